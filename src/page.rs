//! One markdown page parsed on its own: kind, id, title, claims, benchmark rows and links.
//! Nothing here looks at other pages; resolving links across the repo is `resolve`'s job.

use std::ops::Range;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use rescore_graph::quantity::{
    extract_quantities, normalise_text, parse_value, Quantity, Value, HIDDEN,
};
use serde::Serialize;

use crate::claimtext;
use crate::config::Folders;
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Pos};
use crate::frontmatter::{self, FrontMatter};
use crate::rules::Scale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Concept,
    Thesis,
    Source,
    /// Any other markdown page: resolvable as a link target, never a node.
    Note,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Concept => "concept",
            PageKind::Thesis => "thesis",
            PageKind::Source => "source",
            PageKind::Note => "note",
        }
    }
}

/// Where a link points, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum Target {
    /// `[[name]]`: a page id or title, case-insensitive.
    Wiki { name: String },
    /// `[text](../concepts/x.md)`: a path, already joined to the page's folder and normalised.
    Path { path: PathBuf },
    /// `[text](#anchor)`: this page.
    Here,
}

/// What part of the page a link sits in, which decides the edge it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "in", content = "index", rename_all = "snake_case")]
pub enum Role {
    Body,
    Related,
    ClaimSource(usize),
    RowSource(usize),
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    pub role: Role,
    #[serde(skip)]
    pub pos: Pos,
    /// The link as written, for messages.
    pub raw: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: String,
    pub explicit_id: bool,
    /// Canonical evidence level (scale aliases applied).
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// Source names written without a link; resolved against source pages later.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bare_sources: Vec<String>,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quantities: Vec<Quantity>,
    pub line: u32,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub value: Value,
    pub line: u32,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub path: PathBuf,
    pub kind: PageKind,
    /// The kind was written in the front matter (not taken from the folder).
    #[serde(skip)]
    pub kind_written: bool,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub part_of: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retracted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub claims: Vec<Claim>,
    pub rows: Vec<Row>,
    pub links: Vec<Link>,
    /// Where the page's title (or first line) is, for reports that point at the page.
    #[serde(skip)]
    pub head: Pos,
    /// Where front matter keys that name other pages are written.
    #[serde(skip)]
    pub key_pos: KeyPositions,
}

#[derive(Debug, Clone, Default)]
pub struct KeyPositions {
    pub part_of: Pos,
    pub depends_on: Pos,
    pub superseded_by: Pos,
}

/// What parsing a page needs from the repo's settings.
pub struct ParseContext<'a> {
    pub folders: &'a Folders,
    pub scale: &'a Scale,
}

/// Parses one page. Problems that make the page unusable come back as `Err`; problems with one
/// claim or key ride along in the second vector and leave the rest of the page intact.
pub fn parse(path: &Path, text: &str, cx: &ParseContext) -> (Option<Page>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let mut diags = Vec::new();
    let split = match frontmatter::split(text, path, &lines) {
        Ok(s) => s,
        Err(d) => return (None, vec![d]),
    };
    let fm = &split.front;
    let key = |k: &str| {
        frontmatter::key_pos(split.front_text, split.front_start, text, k, &lines)
            .unwrap_or_else(|| lines.span(text, 0..0))
    };
    let kind = match fm.kind.as_deref().map(str::trim) {
        Some(k) => match k.to_lowercase().as_str() {
            "concept" => PageKind::Concept,
            "thesis" => PageKind::Thesis,
            "source" => PageKind::Source,
            "note" => PageKind::Note,
            other => {
                let kinds = ["concept", "thesis", "source", "note"];
                let mut d = Diagnostic::error(
                    Code::UnknownKind,
                    path,
                    key("kind"),
                    format!("unknown page kind `{other}`"),
                )
                .expected("kind = \"concept\", \"thesis\" or \"source\" (or \"note\")");
                d = match did_you_mean(other, kinds) {
                    Some(near) => d.hint(format!("did you mean `{near}`?")),
                    None => d.hint("remove `kind` to take the kind from the page's folder"),
                };
                return (None, vec![d]);
            }
        },
        // A folder's README or index describes the folder: a note, wherever it sits.
        None if is_folder_page(path) => PageKind::Note,
        None => kind_from_folder(path, cx.folders),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = fm.id.clone().map(|s| s.trim().to_string()).unwrap_or(stem);

    let mut body = Body::parse(
        split.body,
        split.body_start,
        text,
        &lines,
        path,
        kind,
        cx,
        &mut diags,
    );
    let title = fm.title.clone().or(body.h1.take());
    let head = body.head.clone().unwrap_or_else(|| lines.span(text, 0..0));

    let mut score = None;
    if kind == PageKind::Thesis {
        score = thesis_score(fm, path, &key, &head, &mut diags);
    } else if kind == PageKind::Note && fm.kind.is_none() && fm.score.is_some() {
        diags.push(
            Diagnostic::warning(
                Code::ScoreOnNote,
                path,
                key("score"),
                "page has a `score` but no kind, so it is a note and no thesis",
            )
            .expected("a thesis: `kind = \"thesis\"`, or a page in a theses folder")
            .hint("add `kind = \"thesis\"` to the front matter, or move the page into a folder named in `[folders] thesis` of rescore.toml"),
        );
    }
    let page = Page {
        path: path.to_path_buf(),
        kind,
        kind_written: fm.kind.is_some(),
        id,
        title,
        // "Active Frontier" and "active-frontier" are one status.
        status: fm.status.as_deref().map(slug).filter(|s| !s.is_empty()),
        part_of: fm.part_of.clone(),
        depends_on: fm.depends_on.clone(),
        score,
        scored: fm.scored.as_ref().map(json_text),
        retracted: fm.retracted.unwrap_or(false),
        superseded_by: fm.superseded_by.clone().filter(|s| !s.trim().is_empty()),
        url: fm.url.clone(),
        published: fm.published.as_ref().map(json_text),
        claims: body.claims,
        rows: body.rows,
        links: body.links,
        head,
        key_pos: KeyPositions {
            part_of: key("part_of"),
            depends_on: key("depends_on"),
            superseded_by: key("superseded_by"),
        },
    };
    (Some(page), diags)
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn thesis_score(
    fm: &FrontMatter,
    path: &Path,
    key: &dyn Fn(&str) -> Pos,
    head: &Pos,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let bad = |pos: Pos, what: String| {
        Diagnostic::error(Code::ThesisWithoutScore, path, pos, what)
            .expected("a numeric `score` in the thesis's front matter, e.g. score = 0.62")
            .hint("write the researcher's current confidence as a number (quotes make it text)")
    };
    match &fm.score {
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                diags.push(bad(
                    key("score"),
                    "thesis score is not a finite number".into(),
                ));
                None
            }
        },
        Some(other) => {
            diags.push(bad(
                key("score"),
                format!("thesis score is {other}, not a number"),
            ));
            None
        }
        None => {
            diags.push(bad(head.clone(), "thesis has no score".into()));
            None
        }
    }
}

/// `README.md` or `index.md` (any case).
fn is_folder_page(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("readme") || s.eq_ignore_ascii_case("index"))
}

fn kind_from_folder(path: &Path, folders: &Folders) -> PageKind {
    let dirs: Vec<String> = path
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let has = |names: &[String]| dirs.iter().any(|d| names.iter().any(|n| n == d));
    if has(&folders.thesis) {
        PageKind::Thesis
    } else if has(&folders.concept) {
        PageKind::Concept
    } else if has(&folders.source) {
        PageKind::Source
    } else {
        PageKind::Note
    }
}

/// A slug: lowercase alphanumerics joined by single hyphens.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c);
            dash = false;
        } else {
            dash = true;
        }
    }
    out
}

/// How many words of a claim make its id when it has no `{#id}`.
const SLUG_WORDS: usize = 6;

/// Text collected from one list item or table cell, with the links inside it.
#[derive(Default)]
struct Buf {
    text: String,
    /// (range in `text`, index into the page's links)
    links: Vec<(Range<usize>, usize)>,
    /// Ranges of `text` that hold no quantity: the text of every link, and code spans.
    hidden: Vec<Range<usize>>,
    /// Byte offset of the item in the file.
    start: usize,
    /// Ranges of `text` that are inline code.
    code: Vec<Range<usize>>,
    /// Ranges of `text` that are code blocks.
    blocks: Vec<Range<usize>>,
    /// Positions in `text` of the line breaks that end a paragraph or code block.
    breaks: Vec<usize>,
    /// Nested list items (that are no claims themselves) and tables, with the position in
    /// `text` where each one appeared: part of a claim's text.
    children: Vec<(usize, Buf)>,
}

impl Buf {
    /// Feeds the text, nested items and tables included, to a canonical-text builder and (less
    /// code blocks and link text) to `plain`; `cut` ranges of this item's own text are left out.
    fn feed(&self, cut: &[Range<usize>], b: &mut claimtext::Builder, plain: &mut String) {
        // Segments between every place where what a character is can change.
        let ranges = cut
            .iter()
            .chain(&self.blocks)
            .chain(&self.code)
            .chain(&self.hidden);
        let mut cuts: Vec<usize> = ranges.flat_map(|r| [r.start, r.end]).collect();
        cuts.extend(self.breaks.iter().flat_map(|&i| [i, i + 1]));
        cuts.extend(self.children.iter().map(|(at, _)| *at));
        cuts.extend([0, self.text.len()]);
        cuts.retain(|&i| i <= self.text.len());
        cuts.sort_unstable();
        cuts.dedup();
        let inside = |rs: &[Range<usize>], i: usize| rs.iter().any(|r| r.contains(&i));
        let mut kids = self.children.iter().peekable();
        for w in cuts.windows(2) {
            let (start, end) = (w[0], w[1]);
            while let Some((_, kid)) = kids.next_if(|(at, _)| *at <= start) {
                b.block();
                kid.feed(&[], b, plain);
                b.block();
                plain.push('\n');
            }
            if inside(cut, start) {
                continue;
            }
            if self.breaks.contains(&start) {
                b.block();
                plain.push('\n');
                continue;
            }
            let segment = &self.text[start..end];
            let block = inside(&self.blocks, start);
            let code = block || inside(&self.code, start);
            b.push_str(segment, code);
            // Numbers in link text (`[[V-JEPA 2]]`, `[#776](…)`) and code are no measurements.
            if inside(&self.hidden, start) {
                plain.push(HIDDEN);
            } else if !block {
                plain.push_str(segment);
            }
        }
        for (_, kid) in kids {
            b.block();
            kid.feed(&[], b, plain);
            plain.push('\n');
        }
    }
}

struct OpenLink {
    index: usize,
    text_start: usize,
}

struct Body {
    h1: Option<String>,
    head: Option<Pos>,
    claims: Vec<Claim>,
    rows: Vec<Row>,
    links: Vec<Link>,
}

impl Body {
    #[allow(clippy::too_many_arguments)]
    fn parse(
        body: &str,
        base: usize,
        text: &str,
        lines: &LineIndex,
        path: &Path,
        kind: PageKind,
        cx: &ParseContext,
        diags: &mut Vec<Diagnostic>,
    ) -> Body {
        let mut out = Body {
            h1: None,
            head: None,
            claims: Vec::new(),
            rows: Vec::new(),
            links: Vec::new(),
        };
        let opts =
            Options::ENABLE_WIKILINKS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut items: Vec<Buf> = Vec::new();
        let mut heading: Option<(pulldown_cmark::HeadingLevel, Buf)> = None;
        let mut section = String::new();
        let mut table: Option<Table> = None;
        let mut open_links: Vec<OpenLink> = Vec::new();
        let mut code_block: Option<usize> = None;

        for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
            let abs = base + range.start..base + range.end;
            match event {
                Event::Start(Tag::Item) => items.push(Buf {
                    start: abs.start,
                    ..Buf::default()
                }),
                Event::End(TagEnd::Item) => {
                    if let Some(buf) = items.pop() {
                        if kind == PageKind::Concept {
                            diags.extend(anchored_without_evidence(&buf, text, lines, path));
                            match claim(
                                &buf,
                                text,
                                lines,
                                path,
                                cx,
                                &mut out.links,
                                out.claims.len(),
                                diags,
                            ) {
                                Some(claim) => out.claims.push(claim),
                                // A nested item is part of the text of the item it is in.
                                None => {
                                    if let Some(parent) = items.last_mut() {
                                        parent.children.push((parent.text.len(), buf));
                                    }
                                }
                            }
                        }
                    }
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    code_block = current(&mut table, &mut heading, &mut items).map(|b| {
                        // In a tight item the block follows the last line with no paragraph end.
                        if !b.text.is_empty() && !b.text.ends_with('\n') {
                            b.breaks.push(b.text.len());
                            b.text.push('\n');
                        }
                        b.text.len()
                    });
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let (Some(start), Some(buf)) = (
                        code_block.take(),
                        current(&mut table, &mut heading, &mut items),
                    ) {
                        let end = buf.text.len();
                        buf.blocks.push(start..end);
                        buf.breaks.push(end);
                        buf.text.push('\n');
                    }
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some((
                        level,
                        Buf {
                            start: abs.start,
                            ..Buf::default()
                        },
                    ))
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, buf)) = heading.take() {
                        let t = buf.text.trim().to_string();
                        if level == pulldown_cmark::HeadingLevel::H1 && out.h1.is_none() {
                            out.head = Some(lines.span(text, abs.clone()));
                            out.h1 = Some(t.clone());
                        }
                        if level <= pulldown_cmark::HeadingLevel::H3 {
                            section = t.to_lowercase();
                        }
                    }
                }
                Event::Start(Tag::Table(_)) => table = Some(Table::default()),
                Event::End(TagEnd::Table) => {
                    if let Some(t) = table.take() {
                        if kind == PageKind::Concept {
                            if let Some(item) = items.last_mut() {
                                item.children.push((item.text.len(), t.as_text()));
                            }
                            t.rows_into(&mut out, text, lines);
                        }
                    }
                }
                Event::Start(Tag::TableHead) => {
                    if let Some(t) = table.as_mut() {
                        t.in_head = true;
                    }
                }
                Event::End(TagEnd::TableHead) => {
                    if let Some(t) = table.as_mut() {
                        t.in_head = false;
                    }
                }
                Event::Start(Tag::TableRow) => {
                    if let Some(t) = table.as_mut() {
                        t.body.push((abs.start, Vec::new()));
                    }
                }
                Event::Start(Tag::TableCell) => {
                    if let Some(t) = table.as_mut() {
                        t.cell = Some(Buf {
                            start: abs.start,
                            ..Buf::default()
                        });
                    }
                }
                Event::End(TagEnd::TableCell) => {
                    if let Some(t) = table.as_mut() {
                        if let Some(cell) = t.cell.take() {
                            if t.in_head {
                                let name = crate::label::label(cell.text.trim());
                                t.head.push(name.trim().to_lowercase());
                            } else if let Some(row) = t.body.last_mut() {
                                row.1.push(cell);
                            }
                        }
                    }
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    ..
                }) => {
                    let raw = text.get(abs.clone()).unwrap_or("").to_string();
                    let index = out.links.len();
                    if let Some((target, anchor)) = link_target(link_type, &dest_url, path) {
                        let role = if section.starts_with("related") {
                            Role::Related
                        } else {
                            Role::Body
                        };
                        out.links.push(Link {
                            target,
                            anchor,
                            role,
                            pos: lines.span(text, abs.clone()),
                            raw,
                        });
                        let buf = current(&mut table, &mut heading, &mut items);
                        let text_start = buf.map_or(0, |b| b.text.len());
                        open_links.push(OpenLink { index, text_start });
                    } else {
                        let buf = current(&mut table, &mut heading, &mut items);
                        open_links.push(OpenLink {
                            index: usize::MAX,
                            text_start: buf.map_or(0, |b| b.text.len()),
                        });
                    }
                }
                Event::End(TagEnd::Link) => {
                    if let Some(open) = open_links.pop() {
                        if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                            let end = buf.text.len();
                            buf.hidden.push(open.text_start..end);
                            if open.index != usize::MAX {
                                buf.links.push((open.text_start..end, open.index));
                            }
                        }
                    }
                }
                Event::Text(t) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.text.push_str(&t);
                    }
                }
                Event::Code(t) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        let start = buf.text.len();
                        buf.text.push_str(&t);
                        buf.code.push(start..buf.text.len());
                        buf.hidden.push(start..buf.text.len());
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.text.push('\n');
                    }
                }
                Event::End(TagEnd::Paragraph) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.breaks.push(buf.text.len());
                        buf.text.push('\n');
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The buffer text goes into: a table cell, a heading, or the innermost list item.
fn current<'a>(
    table: &'a mut Option<Table>,
    heading: &'a mut Option<(pulldown_cmark::HeadingLevel, Buf)>,
    items: &'a mut [Buf],
) -> Option<&'a mut Buf> {
    if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
        return Some(cell);
    }
    if let Some((_, buf)) = heading.as_mut() {
        return Some(buf);
    }
    items.last_mut()
}

fn link_target(link_type: LinkType, dest: &str, page: &Path) -> Option<(Target, Option<String>)> {
    let dest = dest.trim();
    if let LinkType::WikiLink { .. } = link_type {
        let (name, anchor) = split_anchor(dest);
        if name.is_empty() {
            return Some((Target::Here, anchor));
        }
        return Some((
            Target::Wiki {
                name: name.to_string(),
            },
            anchor,
        ));
    }
    if matches!(link_type, LinkType::Autolink | LinkType::Email)
        || dest.contains("://")
        || dest.starts_with("mailto:")
    {
        return None;
    }
    let (file, anchor) = split_anchor(dest);
    if file.is_empty() {
        return anchor.map(|a| (Target::Here, Some(a)));
    }
    let file = percent_decode(file);
    if !file.ends_with(".md") {
        return None;
    }
    let joined = page.parent().unwrap_or(Path::new("")).join(&file);
    Some((
        Target::Path {
            path: normalise_path(&joined),
        },
        anchor,
    ))
}

fn split_anchor(dest: &str) -> (&str, Option<String>) {
    match dest.split_once('#') {
        Some((a, b)) => (
            a.trim(),
            Some(b.trim().to_string()).filter(|s| !s.is_empty()),
        ),
        None => (dest, None),
    }
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Folds `.` and `..` out of a relative path without touching the filesystem.
pub fn normalise_path(p: &Path) -> PathBuf {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir
            | std::path::Component::RootDir
            | std::path::Component::Prefix(_) => {}
            std::path::Component::ParentDir => {
                if parts.pop().is_none() {
                    parts.push("..".into());
                }
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    parts.iter().collect()
}

/// Turns a list item with an `Evidence:` line into a claim.
#[allow(clippy::too_many_arguments)]
fn claim(
    buf: &Buf,
    text: &str,
    lines: &LineIndex,
    path: &Path,
    cx: &ParseContext,
    links: &mut [Link],
    index: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Claim> {
    let (ev, marker_len) = find_evidence(&buf.text)?;
    let item_pos = lines.span(text, buf.start..buf.start + 1);
    let (claim_text, explicit) = strip_id(&buf.text[..ev]);
    let marker = &buf.text[ev..ev + marker_len];
    let after_start = ev + marker_len;
    let after = &buf.text[after_start..];
    let line_end = after.find('\n').unwrap_or(after.len());
    let evidence_line = &after[..line_end];
    let groups = paren_groups(evidence_line);
    let level_end = groups.first().map_or(evidence_line.len(), |g| g.start - 1);
    let level_word = evidence_line[..level_end]
        .trim()
        .trim_end_matches(['.', ',', ';'])
        .trim();
    let level_pos = evidence_pos(text, lines, buf.start, marker).unwrap_or(item_pos.clone());
    let level = match cx.scale.canonical(level_word) {
        Some(l) => l.to_string(),
        None => {
            let mut d = Diagnostic::error(
                Code::UnknownEvidenceLevel,
                path,
                level_pos,
                if level_word.is_empty() {
                    "evidence line names no level".to_string()
                } else {
                    format!("unknown evidence level `{level_word}`")
                },
            )
            .expected(format!(
                "a level of the evidence scale: {}",
                cx.scale.words().collect::<Vec<_>>().join(", ")
            ));
            d = match did_you_mean(level_word, cx.scale.words()) {
                Some(near) if !level_word.is_empty() => d.hint(format!("did you mean `{near}`?")),
                _ => d.hint("write `Evidence: LEVEL (QUALIFIER) (SOURCES)`, or change the scale in rescore.toml"),
            };
            diags.push(d);
            return None;
        }
    };
    let (qualifier, sources_group) = match groups.len() {
        0 => (None, None),
        1 => (None, Some(groups[0].clone())),
        n => (
            Some(normalise_text(&evidence_line[groups[0].clone()])),
            Some(groups[n - 1].clone()),
        ),
    };
    let mut bare_sources = Vec::new();
    if let Some(g) = sources_group {
        let abs = after_start + g.start..after_start + g.end;
        let mut rest = String::new();
        let mut last = abs.start;
        for (r, li) in &buf.links {
            if r.start >= abs.start && r.end <= abs.end {
                if let Some(l) = links.get_mut(*li) {
                    l.role = Role::ClaimSource(index);
                }
                rest.push_str(&buf.text[last..r.start]);
                rest.push(',');
                last = r.end;
            }
        }
        rest.push_str(&buf.text[last..abs.end]);
        for name in rest.split([',', ';']) {
            let n = name.trim();
            if !n.is_empty() {
                bare_sources.push(n.to_string());
            }
        }
    }
    let explicit_id = explicit.is_some();
    // The claim's text is the whole item but its id marker and Evidence line.
    let evidence = ev..after_start + line_end;
    let marker = explicit
        .as_ref()
        .and_then(|_| buf.text[..ev].find("{#"))
        .and_then(|open| Some(open..open + buf.text[open..ev].find('}')? + 1));
    let cut: Vec<Range<usize>> = std::iter::once(evidence).chain(marker).collect();
    let mut builder = claimtext::Builder::new();
    let mut plain = String::new();
    buf.feed(&cut, &mut builder, &mut plain);
    let id = match explicit {
        Some(id) => id,
        None => slug(
            &normalise_text(&claim_text)
                .split_whitespace()
                .take(SLUG_WORDS)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };
    // Quantities come from the text before lowercasing ("1.5M" is mega, "1.5m" is not), with
    // line breaks folded so a reflowed claim reads the same, without code blocks, and without
    // footnote and reference marks (`[^8]`, `[12]`, `#776`), which are no measurements.
    let folded = crate::tokens::without_marks(&plain)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let quantities = extract_quantities(&folded);
    Some(Claim {
        explicit_id,
        id,
        level,
        qualifier,
        bare_sources,
        text: builder.finish(),
        quantities,
        line: item_pos.line,
        pos: item_pos,
    })
}

/// `text` with each hidden range (clipped to the text) replaced by one [`HIDDEN`] mark.
fn hide(text: &str, hidden: &[Range<usize>]) -> String {
    let mut ranges = hidden.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in &ranges {
        let (start, end) = (r.start.max(last), r.end.min(text.len()));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push(HIDDEN);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// A benchmark cell's value without footnote marks: its numbers, read with link text and code
/// hidden, or its text.
fn cell_value(cell: &Buf) -> Value {
    let hidden = hide(&cell.text, &cell.hidden);
    match parse_value(&crate::label::value(hidden.trim())) {
        Value::Text { .. } => Value::Text {
            text: normalise_text(&crate::label::value(cell.text.trim())),
        },
        numbers => numbers,
    }
}

/// The Evidence line's marker in the item text: its byte position and length. `Evidence:` counts
/// at a line start or after whitespace. Near-misses whose intent is plain count at a line start
/// only: `evidence:` in any case, `Evidence -` / `–` / `—` (a dash followed by a space). The
/// last marker wins.
fn find_evidence(s: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    let mut found = None;
    while let Some(i) = s[from..].find("Evidence:") {
        let at = from + i;
        if at == 0 || s[..at].ends_with(char::is_whitespace) {
            found = Some((at, "Evidence:".len()));
        }
        from = at + 1;
    }
    let mut line_start = 0;
    for line in s.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let at = line_start + indent;
        if let Some(len) = near_miss(&line[indent..]) {
            if found.is_none_or(|(f, _)| at > f) {
                found = Some((at, len));
            }
        }
        line_start += line.len();
    }
    found
}

/// The length of an Evidence marker written another way at the start of `line`, if any.
fn near_miss(line: &str) -> Option<usize> {
    const WORD: &str = "evidence";
    if !line.get(..WORD.len())?.eq_ignore_ascii_case(WORD) {
        return None;
    }
    let rest = &line[WORD.len()..];
    let spaced = rest.trim_start_matches([' ', '\t']);
    let mark = spaced.chars().next()?;
    let after = &spaced[mark.len_utf8()..];
    let ends = after.is_empty() || after.starts_with(char::is_whitespace);
    let len = line.len() - after.len();
    match mark {
        ':' => Some(len),
        '-' | '–' | '—' if ends && spaced.len() < rest.len() => Some(len),
        _ => None,
    }
}

/// A warning for a concept's list item that carries a `{#id}` but no Evidence line: it is meant
/// as a claim, and a thesis linking to its anchor would find nothing.
fn anchored_without_evidence(
    buf: &Buf,
    text: &str,
    lines: &LineIndex,
    path: &Path,
) -> Option<Diagnostic> {
    if find_evidence(&buf.text).is_some() {
        return None;
    }
    let id = strip_id(&buf.text).1?;
    let marker = format!("{{#{id}}}");
    let at = text
        .get(buf.start..)
        .and_then(|rest| rest.find(&marker))
        .map_or(buf.start..buf.start + 1, |i| {
            buf.start + i..buf.start + i + marker.len()
        });
    Some(
        Diagnostic::warning(
            Code::ClaimWithoutEvidence,
            path,
            lines.span(text, at),
            format!("list item `{{#{id}}}` has no Evidence line, so it is no claim"),
        )
        .expected("a claim: `Evidence: LEVEL (QUALIFIER) (SOURCES)` on a line of the item")
        .hint("add an `Evidence:` line to the item, or remove the `{#id}` if it is no claim"),
    )
}

/// Removes a `{#id}` marker, returning the text and the id.
fn strip_id(s: &str) -> (String, Option<String>) {
    if let Some(open) = s.find("{#") {
        if let Some(len) = s[open..].find('}') {
            let id = s[open + 2..open + len].trim();
            if !id.is_empty() && !id.contains(char::is_whitespace) {
                let mut out = s[..open].to_string();
                out.push_str(&s[open + len + 1..]);
                return (out, Some(id.to_string()));
            }
        }
    }
    (s.to_string(), None)
}

/// Top-level parenthesised groups of a line, as ranges of their contents.
fn paren_groups(s: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(start..i);
                }
            }
            _ => {}
        }
    }
    out
}

fn evidence_pos(text: &str, lines: &LineIndex, from: usize, needle: &str) -> Option<Pos> {
    let rest = text.get(from..)?;
    // A near-miss may differ in case from the rendered text only by ASCII letters.
    let at = rest.find(needle).or_else(|| {
        rest.char_indices().map(|(i, _)| i).find(|&i| {
            rest.get(i..i + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
    })? + from;
    let level_start = at + needle.len();
    let rest = text.get(level_start..)?;
    let skip = rest.len() - rest.trim_start().len();
    let end = rest.find(['(', '\n']).unwrap_or(rest.len());
    let start = level_start + skip.min(end);
    Some(lines.span(text, start..(level_start + end).max(start)))
}

#[derive(Default)]
struct Table {
    head: Vec<String>,
    in_head: bool,
    body: Vec<(usize, Vec<Buf>)>,
    cell: Option<Buf>,
}

impl Table {
    /// The table as text inside a claim: a line per row, cells apart.
    fn as_text(&self) -> Buf {
        let mut out = Buf::default();
        let head = self.head.iter().map(|h| Buf {
            text: h.clone(),
            ..Buf::default()
        });
        let mut rows: Vec<Vec<&Buf>> = Vec::new();
        let head: Vec<Buf> = head.collect();
        rows.push(head.iter().collect());
        rows.extend(self.body.iter().map(|(_, cells)| cells.iter().collect()));
        for row in rows {
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    out.text.push_str(" | ");
                }
                let at = out.text.len();
                out.text.push_str(&cell.text);
                let shift = |r: &Range<usize>| r.start + at..r.end + at;
                out.code.extend(cell.code.iter().map(shift));
            }
            out.breaks.push(out.text.len());
            out.text.push('\n');
        }
        out
    }

    fn rows_into(self, out: &mut Body, text: &str, lines: &LineIndex) {
        let col = |name: &str| self.head.iter().position(|h| h == name);
        let (Some(metric), Some(value)) = (col("metric"), col("value")) else {
            return;
        };
        let system = col("system");
        let source = col("source").or(col("sources"));
        for (start, cells) in self.body {
            let cell = |i: usize| cells.get(i).map_or("", |c| c.text.trim());
            // Footnote marks are decoration: the row and its value stay what they were.
            let labelled = |i: usize| crate::label::label(cell(i)).trim().to_string();
            let m = labelled(metric);
            if m.is_empty() {
                continue;
            }
            let sys = system.map(labelled).filter(|s| !s.is_empty());
            let mut id = row_id(&m, sys.as_deref());
            // `GPQA` and `GPQA¹` in one table are two rows: the marked one keeps its mark.
            if out.rows.iter().any(|r| r.id == id) {
                let raw_sys = system.map(cell).filter(|s| !s.is_empty());
                id = row_id(cell(metric), raw_sys);
            }
            let index = out.rows.len();
            if let Some(c) = source.and_then(|i| cells.get(i)) {
                for (_, li) in &c.links {
                    if let Some(l) = out.links.get_mut(*li) {
                        l.role = Role::RowSource(index);
                    }
                }
            }
            let pos = lines.span(text, start..start + 1);
            out.rows.push(Row {
                id,
                metric: normalise_text(&m),
                system: sys.map(|s| normalise_text(&s)),
                value: cells.get(value).map_or_else(|| parse_value(""), cell_value),
                line: pos.line,
                pos,
            });
        }
    }
}

/// `slug(metric)@slug(system)`, or `slug(metric)` without a system.
fn row_id(metric: &str, system: Option<&str>) -> String {
    match system {
        Some(s) => format!("{}@{}", slug(metric), slug(s)),
        None => slug(metric),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_folds_case_and_punctuation() {
        assert_eq!(slug("Consistency horizon"), "consistency-horizon");
        assert_eq!(slug("  Genie 3 — 11B!"), "genie-3-11b");
    }

    #[test]
    fn paths_normalise_without_the_filesystem() {
        assert_eq!(
            normalise_path(Path::new("theses/../concepts/./x.md")),
            PathBuf::from("concepts/x.md")
        );
    }

    #[test]
    fn evidence_groups_split_qualifier_and_sources() {
        let g = paren_groups(" strong (vendor (technical) report) ([Genie 3])");
        assert_eq!(g.len(), 2);
    }

    fn claims_of(page: &str) -> Vec<Claim> {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = Folders::default();
        let cx = ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let (page, diags) = parse(Path::new("concepts/c.md"), page, &cx);
        assert!(diags.is_empty(), "{diags:?}");
        page.expect("page").claims
    }

    #[test]
    fn a_claim_is_its_whole_item() {
        let claims = claims_of(
            "# C\n\n- The tool shall `link` items. {#a}\n  Evidence: strong (s)\n  \
             - Links point up.\n  - A sub-claim.\n    Evidence: weak (s)\n\n  \
             More text.\n\n  | K | V |\n  |---|---|\n  | x | 1 |\n\n  \
             ```\n  doorstop link A B\n  ```\n",
        );
        assert_eq!(claims.len(), 2);
        assert_eq!(claims[0].text, "A sub-claim.");
        assert_eq!(
            claims[1].text,
            "The tool shall `link` items.\nLinks point up.\nMore text.\nk | v\nx | 1\n`doorstop link A B`"
        );
        assert_eq!(claims[1].id, "a");
    }

    #[test]
    fn a_code_block_in_a_tight_item_is_not_read_as_the_evidence_line() {
        let claims = claims_of(
            "# C\n\n- Run it:\n  Evidence: strong (s)\n  ```\n  doorstop new REQ\n  ```\n",
        );
        assert_eq!(claims[0].text, "Run it:\n`doorstop new REQ`");
        assert_eq!(claims[0].bare_sources, ["s"]);
        assert_eq!(claims[0].id, "run-it");
    }

    #[test]
    fn numbers_in_marks_and_link_text_are_no_quantities() {
        let claims = claims_of(
            "# C\n\n- [[V-JEPA 2]] scores 64% [12] on it[^3] (#776).\n  Evidence: strong (s)\n",
        );
        assert_eq!(claims[0].quantities.len(), 1, "{:?}", claims[0].quantities);
    }

    fn concept(body: &str) -> Page {
        let folders = Folders::default();
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let cx = ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let text = format!("+++\nkind = \"concept\"\n+++\n# C\n\n{body}");
        let (page, diags) = parse(Path::new("concepts/c.md"), &text, &cx);
        assert!(diags.is_empty(), "{diags:?}");
        page.expect("a page")
    }

    fn shown(qs: &[Quantity]) -> Vec<String> {
        qs.iter().map(Quantity::to_string).collect()
    }

    #[test]
    fn link_text_and_code_hold_no_quantity() {
        let page = concept(
            "- [Genie 3](../sources/g.md) and [#776](https://x.org/776) run `--steps 3000` at\n  \
             [[Genie 3]] 24 fps, see <https://x.org/2> and [4 GB](https://x.org). {#a}\n  \
             Evidence: strong ([[S]])\n",
        );
        assert_eq!(shown(&page.claims[0].quantities), ["24 fps"]);
    }

    #[test]
    fn a_cell_reads_every_number_but_not_its_links() {
        let page = concept(
            "| Metric | Value |\n|---|---|\n\
             | Memory | 47.14GB GPU / 2.96GB CPU |\n\
             | Params | 11 B [^3] |\n\
             | Model | [Genie 3](../sources/g.md) |\n\
             | Size | 7 [B](https://x.org) |\n\
             | Score | 64.2[^7] |\n\n\
             [^7]: https://x.org/note\n",
        );
        let values: Vec<String> = page.rows.iter().map(|r| r.value.to_string()).collect();
        assert_eq!(
            values,
            ["47.14 gb / 2.96 gb", "11B", "\"genie 3\"", "7", "64.2"]
        );
    }

    #[test]
    fn evidence_near_misses_are_found_at_a_line_start_only() {
        fn marker(s: &str) -> Option<&str> {
            find_evidence(s).map(|(at, len)| &s[at..at + len])
        }
        assert_eq!(marker("claim\nEvidence: strong"), Some("Evidence:"));
        assert_eq!(marker("claim\n  evidence: strong"), Some("evidence:"));
        assert_eq!(marker("claim\nEVIDENCE : strong"), Some("EVIDENCE :"));
        assert_eq!(marker("claim\nEvidence - moderate"), Some("Evidence -"));
        assert_eq!(marker("claim\nEvidence – weak"), Some("Evidence –"));
        assert_eq!(marker("claim\nEvidence-based medicine"), None);
        assert_eq!(marker("claim\nEvidence suggests so"), None);
        assert_eq!(marker("we lack evidence: more runs"), None);
        assert_eq!(marker("we lack evidence - more runs"), None);
    }

    #[test]
    fn readme_and_index_pages_are_folder_pages() {
        assert!(is_folder_page(Path::new("theses/README.md")));
        assert!(is_folder_page(Path::new("concepts/Index.md")));
        assert!(!is_folder_page(Path::new("concepts/readme-notes.md")));
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("my%20page.md"), "my page.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
