//! Diagnostics: every problem with the input, located at file:line:column, with what was
//! expected and a hint. Collected, never fatal one at a time, and rendered with miette.

use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::ops::Range;
use std::path::{Path, PathBuf};

mod code;
mod near;

pub use code::Code;
pub use near::{did_you_mean, NearNames};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warning,
    Error,
}

/// A secondary place a diagnostic points at (the other page of a duplicate id, a cycle hop).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub path: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    /// Stable machine name, e.g. `link-to-no-page`.
    pub code: Code,
    pub path: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub expected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Byte range in the file, for the snippet.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

impl Diagnostic {
    pub fn error(code: Code, path: &Path, at: Pos, message: impl Into<String>) -> Self {
        Self::new(Level::Error, code, path, at, message)
    }

    pub fn warning(code: Code, path: &Path, at: Pos, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, path, at, message)
    }

    fn new(level: Level, code: Code, path: &Path, at: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code,
            path: path.to_path_buf(),
            line: at.line,
            col: at.col,
            message: message.into(),
            expected: String::new(),
            hint: None,
            notes: Vec::new(),
            span: at.span(),
        }
    }

    /// A managed block (`what`: "warning block", "backlinks block") that could not be written
    /// to its page.
    pub fn write_failed(path: &Path, what: &str, error: &str) -> Self {
        Self::error(
            Code::WriteFailed,
            path,
            Pos::at(1, 1),
            format!("cannot write the {what}: {error}"),
        )
        .expected("a writable page")
        .hint("check the file's permissions")
    }

    /// The research repo folder could not be locked for a write.
    pub fn lock_failed(error: &std::io::Error) -> Self {
        Self::error(
            Code::LockFailed,
            Path::new("."),
            Pos::at(1, 1),
            format!("cannot lock the research repo for writing: {error}"),
        )
        .expected("a research repo folder rescore can open")
        .hint("check the folder's permissions")
    }

    /// An `exclude` glob of `rescore.toml` that does not parse, at `at`.
    pub fn bad_exclude(config: &Path, at: Pos, message: impl Into<String>) -> Self {
        Self::error(Code::BadExclude, config, at, message)
            .expected("a gitignore-style glob relative to the root")
            .hint("check the brackets and stars in the glob")
    }

    /// The research repo root is not a folder rescore can read.
    pub fn no_root(root: &Path, message: impl Into<String>) -> Self {
        Self::error(Code::NoRoot, root, Pos::at(1, 1), message)
            .expected("a folder holding markdown pages (and optionally rescore.toml)")
            .hint("pass --root DIR or run rescore inside the research repo")
    }

    /// A command line rescore cannot act on, as carried by a machine format's document.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::error(Code::Usage, Path::new("."), Pos::at(1, 1), message)
            .expected("a command line rescore accepts (see `rescore help`)")
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = expected.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn note(mut self, path: &Path, line: u32, col: u32, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            path: path.to_path_buf(),
            line,
            col,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// A GitHub Actions workflow command (`::error` / `::warning`) annotating the place; its
    /// path is put under `prefix`, the research root's folder in the git repo.
    pub fn github(&self, prefix: &Path) -> String {
        let file = crate::ci::ci_path(prefix, &self.path.to_string_lossy());
        let place = crate::ci::Place {
            file: &file,
            line: self.line,
            col: Some(self.col),
        };
        let hint = self
            .hint
            .as_deref()
            .map(|h| format!(" hint: {h}"))
            .unwrap_or_default();
        crate::ci::annotation(
            self.is_error(),
            &place,
            &format!("rescore {}", self.code),
            &format!("{} (expected {}){hint}", self.message, self.expected),
        )
    }

    /// `path:line:col`, the form editors and CI jump to.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path.display(), self.line, self.col)
    }

    /// Renders for a terminal: a header line that names the place, then miette's snippet
    /// when the source text is at hand.
    pub fn render(&self, source: Option<&str>, colour: bool) -> String {
        let mut out = String::new();
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "{level}[{}]: {}: {}",
            self.code,
            self.location(),
            self.message
        );
        let snippet = source.and_then(|text| self.snippet(text, colour));
        match snippet {
            Some(s) => out.push_str(&s),
            None => {
                if !self.expected.is_empty() {
                    let _ = writeln!(out, "  expected: {}", self.expected);
                }
                if let Some(hint) = &self.hint {
                    let _ = writeln!(out, "  hint: {hint}");
                }
            }
        }
        for note in &self.notes {
            let _ = writeln!(
                out,
                "  note: {}:{}:{}: {}",
                note.path.display(),
                note.line,
                note.col,
                note.message
            );
        }
        out
    }

    fn snippet(&self, text: &str, colour: bool) -> Option<String> {
        let span = self.span.clone()?;
        if span.end > text.len()
            || !text.is_char_boundary(span.start)
            || !text.is_char_boundary(span.end)
        {
            return None;
        }
        let mut diag = MietteDiagnostic::new(self.message.clone()).with_label(LabeledSpan::new(
            Some(format!("expected {}", self.expected)),
            span.start,
            span.len(),
        ));
        if let Some(hint) = &self.hint {
            diag = diag.with_help(hint.clone());
        }
        let report = miette::Report::new(diag).with_source_code(NamedSource::new(
            self.path.display().to_string(),
            text.to_string(),
        ));
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut out = String::new();
        GraphicalReportHandler::new_themed(theme)
            .with_context_lines(1)
            .with_width(100)
            .render_report(&mut out, report.as_ref())
            .ok()?;
        // miette repeats the message as its first line; ours is already in the header.
        let body = out.split_once('\n').map(|(_, rest)| rest).unwrap_or("");
        Some(body.trim_end().to_string() + "\n")
    }
}

/// A position: 1-based line and column, plus the byte span it covers when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    /// Start (plus one, so that `None` takes no room of its own) and end byte offsets, as
    /// `u32`: every parsed claim, row and link carries a `Pos`, so a wider span here costs
    /// megabytes on a large repo. A span past 4 GiB is dropped (it only feeds the source
    /// snippet of a message).
    span: Option<(NonZeroU32, u32)>,
}

impl Pos {
    pub fn at(line: u32, col: u32) -> Self {
        Pos {
            line,
            col,
            span: None,
        }
    }

    /// A position covering the bytes `range`, when it is known.
    pub fn spanning(line: u32, col: u32, range: Option<Range<usize>>) -> Self {
        let span = range.and_then(|r| {
            let start = u32::try_from(r.start).ok()?.checked_add(1)?;
            Some((NonZeroU32::new(start)?, u32::try_from(r.end).ok()?))
        });
        Pos { line, col, span }
    }

    /// The bytes this position covers, when known.
    pub fn span(&self) -> Option<Range<usize>> {
        self.span
            .map(|(start, end)| start.get() as usize - 1..end as usize)
    }
}

/// Byte offsets to line and column, for one file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // Built for every page: a SIMD scan for the line breaks, into a vector sized for the
        // ~50-byte lines of markdown prose so it rarely grows.
        let mut starts = Vec::with_capacity(text.len() / 48 + 2);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn pos(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line as u32 + 1, col as u32 + 1)
    }

    pub fn span(&self, text: &str, range: Range<usize>) -> Pos {
        let (line, col) = self.pos(text, range.start);
        Pos::spanning(line, col, Some(range))
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get((line as usize).checked_sub(1)?).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pos_keeps_its_span_and_drops_one_past_four_gib() {
        assert_eq!(Pos::spanning(3, 5, Some(10..14)).span(), Some(10..14));
        let far = u32::MAX as usize + 1;
        let dropped = Pos::spanning(3, 5, Some(far..far + 1));
        assert_eq!((dropped.line, dropped.col, dropped.span()), (3, 5, None));
        let last = u32::MAX as usize - 1;
        assert_eq!(
            Pos::spanning(1, 1, Some(last..last)).span(),
            Some(last..last)
        );
        assert_eq!(Pos::spanning(1, 1, Some(0..0)).span(), Some(0..0));
        assert_eq!(Pos::at(1, 1).span(), None);
        // `None` takes no room of its own: a span is eight bytes, a position sixteen.
        assert_eq!(std::mem::size_of::<Pos>(), 16);
    }

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let text = "ab\nçé x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.pos(text, 0), (1, 1));
        assert_eq!(idx.pos(text, 3), (2, 1));
        let x = text.find('x').expect("x in text");
        assert_eq!(idx.pos(text, x), (2, 4));
    }

    #[test]
    fn a_github_annotation_escapes_what_the_input_put_in_it() {
        let d = Diagnostic::error(
            Code::BadToml,
            Path::new("a,b.toml"),
            Pos::at(2, 3),
            "50% of\nthe file",
        )
        .expected("x: y");
        assert_eq!(
            d.github(Path::new("")),
            "::error file=a%2Cb.toml,line=2,col=3,title=rescore bad-toml::50%25 of%0Athe file (expected x: y)"
        );
    }
}
