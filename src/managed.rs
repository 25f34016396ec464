//! Where rescore's managed blocks (the warning block, the backlinks block) sit in a page, and how
//! one is told from the user's text. A block counts only as rescore writes it: its begin and
//! end markers each an HTML block of one line at the top level of the body, with the exact
//! text, and the lines between them in the block's own shape. A marker quoted in a code span,
//! shown in a fenced or indented code block, written in front matter, inside a list or a quote,
//! or inside an HTML comment that holds other text is the user's, and so is a begin marker
//! with no matching end. (No hash of the body is kept in the marker: a user who edits inside a
//! block would then get a second block, which is worse than taking the edited one back.)

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};

/// The begin and end markers of the warning block rescore writes into a stale thesis page
/// (`writeback`); here so that what only reads pages can tell a page that may hold one.
pub const WARNING_BEGIN: &str =
    "<!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->";
pub const WARNING_END: &str = "<!-- rescore:end -->";

/// The offset just past a UTF-8 byte order mark, if the page starts with one.
pub fn content_start(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// Where the body starts: past a BOM and the front matter, found as the loader finds it (TOML
/// between `+++` lines; YAML from `---` to `---` or `...`). `None` when front matter is opened
/// and never closed: such a page does not load, and no block is placed in it.
pub fn body_start(text: &str) -> Option<usize> {
    let start = content_start(text);
    let rest = &text[start..];
    let fence = if rest.starts_with("+++") {
        "+++"
    } else if rest.starts_with("---") {
        "---"
    } else {
        return Some(start);
    };
    let mut lines = rest.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != fence {
        return Some(start);
    }
    let mut at = start + first.len();
    for line in lines {
        at += line.len();
        let t = line.trim_end();
        if t == fence || (fence == "---" && t == "...") {
            return Some(at);
        }
    }
    None
}

/// `at` moved past a line ending (`\r\n` or `\n`) that starts there, if one does.
pub fn past_eol(text: &str, at: usize) -> usize {
    if text[at..].starts_with("\r\n") {
        at + 2
    } else if text[at..].starts_with('\n') {
        at + 1
    } else {
        at
    }
}

/// `at` moved back over the blank line that ends just before it, if there is one.
pub fn before_blank_line(text: &str, at: usize) -> usize {
    if text[..at].ends_with("\n\r\n") {
        at - 2
    } else if text[..at].ends_with("\n\n") {
        at - 1
    } else {
        at
    }
}

/// The line ending a page uses: CRLF when it holds any.
pub fn eol(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

fn parser(body: &str) -> impl Iterator<Item = (Event<'_>, Range<usize>)> {
    let opts = Options::ENABLE_WIKILINKS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    Parser::new_ext(body, opts).into_offset_iter()
}

/// The top-level blocks of the body, with their depth tracked so nested ones are skipped.
fn top_level(text: &str, from: usize, mut each: impl FnMut(&Tag, Range<usize>) -> bool) {
    let mut depth = 0usize;
    for (event, range) in parser(&text[from..]) {
        match event {
            Event::Start(tag) => {
                if depth == 0 && !each(&tag, from + range.start..from + range.end) {
                    return;
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// The lines that are a top-level HTML block of one line holding exactly `marker`, as the
/// range of the marker text (no line ending).
fn marker_lines(text: &str, from: usize, marker: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    top_level(text, from, |tag, range| {
        if matches!(tag, Tag::HtmlBlock) {
            let line = text[range.clone()].trim_end_matches(['\n', '\r']);
            if line == marker {
                out.push(range.start..range.start + marker.len());
            }
        }
        true
    });
    out
}

/// Every managed block in the page: from the start of its begin line to the end of its end
/// line (before the line ending). A begin marker is paired with the first end marker after it
/// when no other begin marker comes between and `shape` accepts the lines between them.
pub fn blocks(
    text: &str,
    begin: &str,
    end: &str,
    shape: impl Fn(&[&str]) -> bool,
) -> Vec<Range<usize>> {
    if !text.contains(begin) {
        return Vec::new();
    }
    let Some(from) = body_start(text) else {
        return Vec::new();
    };
    let begins = marker_lines(text, from, begin);
    let ends = marker_lines(text, from, end);
    let mut out = Vec::new();
    for (i, b) in begins.iter().enumerate() {
        if out.last().is_some_and(|r: &Range<usize>| r.end > b.start) {
            continue;
        }
        let Some(e) = ends.iter().find(|e| e.start > b.end) else {
            break;
        };
        if begins.get(i + 1).is_some_and(|n| n.start < e.start) {
            continue;
        }
        let inner = &text[past_eol(text, b.end)..e.start];
        let lines: Vec<&str> = inner.lines().collect();
        if shape(&lines) {
            out.push(b.start..e.end);
        }
    }
    out
}

/// Just past the line of the first top-level H1 heading (ATX or setext) of the body.
pub fn after_title(text: &str, from: usize) -> Option<usize> {
    let mut found = None;
    top_level(text, from, |tag, range| match tag {
        Tag::Heading {
            level: HeadingLevel::H1,
            ..
        } => {
            let last = range.end.max(range.start + 1) - 1;
            found = Some(text[last..].find('\n').map_or(text.len(), |i| last + i + 1));
            false
        }
        _ => true,
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "<!-- b -->";
    const E: &str = "<!-- e -->";

    fn any(_: &[&str]) -> bool {
        true
    }

    #[test]
    fn front_matter_forms_end_where_the_loader_ends_them() {
        assert_eq!(body_start("+++\na = 1\n+++\nbody"), Some(14));
        assert_eq!(body_start("---\na: 1\n...\nbody"), Some(13));
        assert_eq!(body_start("\u{feff}+++\r\n# c\r\n+++\r\n# T"), Some(18));
        assert_eq!(body_start("--- rule\ntext"), Some(0));
        assert_eq!(body_start("+++\nnever closed\n"), None);
        assert_eq!(body_start("\u{feff}# T"), Some(3));
    }

    #[test]
    fn only_top_level_marker_lines_make_a_block() {
        let real = format!("# T\n\n{B}\n> x\n{E}\n");
        assert_eq!(blocks(&real, B, E, any).len(), 1);
        for fake in [
            format!("# T\n\n`{B}`\n> x\n`{E}`\n"),
            format!("# T\n\n```\n{B}\n> x\n{E}\n```\n"),
            format!("# T\n\n    {B}\n    {E}\n"),
            format!("+++\n# {B}\n+++\n{E}\n"),
            format!("# T\n\n<!-- note\n{B}\n> x\n{E} -->\n"),
            format!("# T\n\n- {B}\n- {E}\n"),
            format!("# T\n\n{B}\n"),
            format!("# T\n\n{B} and more\n> x\n{E}\n"),
        ] {
            assert!(blocks(&fake, B, E, any).is_empty(), "{fake:?}");
        }
    }

    #[test]
    fn a_stray_begin_does_not_swallow_text_up_to_a_later_block() {
        let page = format!("{B}\n# T\n\n{B}\n> x\n{E}\n");
        let found = blocks(&page, B, E, |l| l.iter().all(|l| l.starts_with('>')));
        assert_eq!(found, vec![page.rfind(B).unwrap_or(0)..page.len() - 1]);
    }

    #[test]
    fn the_title_line_is_found_past_front_matter_and_code() {
        let page = "+++\n# not a title\n+++\n```\n# code\n```\nTitle\n=====\nbody\n";
        let at = after_title(page, body_start(page).unwrap_or(0));
        assert_eq!(at.map(|a| &page[a..]), Some("body\n"));
        assert_eq!(after_title("> # quoted\n", 0), None);
        assert_eq!(after_title("# T", 0), Some(3));
    }
}
