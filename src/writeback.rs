//! The managed warning block rescore writes into a stale thesis page: a `> [!WARNING]` callout
//! between marker comments, right under the title. Bytes outside the block are never touched,
//! and writing the same causes twice changes nothing.

use std::path::Path;

use crate::eval::Verdict;

pub const BEGIN: &str =
    "<!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->";
pub const END: &str = "<!-- rescore:end -->";

/// The block for a stale thesis, lines without line endings.
pub fn block(v: &Verdict) -> Vec<String> {
    let mut lines = vec![
        BEGIN.to_string(),
        "> [!WARNING]".to_string(),
        "> **Re-score needed.** Evidence under this thesis changed materially since it was scored:"
            .to_string(),
    ];
    for c in &v.causes {
        let detail = c
            .detail
            .as_deref()
            .map(|d| format!("{d}, "))
            .unwrap_or_default();
        lines.push(format!(
            "> - `{}`: {} {} → {} ({}rule {}, {})",
            c.node, c.field, c.before, c.after, detail, c.rule, c.severity
        ));
    }
    lines.push(END.to_string());
    lines
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

/// Where an existing block sits: from the blank line before it through its end line.
fn find(text: &str) -> Option<std::ops::Range<usize>> {
    let begin = text.find("<!-- rescore:begin")?;
    let end_marker = text[begin..].find(END)? + begin;
    let mut end = past_eol(text, end_marker + END.len());
    // A block written after a last line without a line ending ends the page without one.
    let at_bare_end = end == end_marker + END.len() && end == text.len();
    let mut start = begin;
    if at_bare_end && start > 0 && text[..start].ends_with("\r\n\r\n") {
        start -= 4;
    } else if at_bare_end && start > 0 && text[..start].ends_with("\n\n") {
        start -= 2;
    } else if start == 0 {
        // A block at the very top was written with a blank line after it.
        end = past_eol(text, end);
    } else {
        start = before_blank_line(text, start);
    }
    Some(start..end)
}

/// The page with its block removed (if any).
pub fn strip(text: &str) -> String {
    match find(text) {
        Some(r) => format!("{}{}", &text[..r.start], &text[r.end..]),
        None => text.to_string(),
    }
}

/// The page with `lines` as its block, placed under the first H1 (or the front matter, or at
/// the top), in the page's own line endings.
pub fn put(text: &str, lines: &[String]) -> String {
    let clean = strip(text);
    let eol = if clean.contains("\r\n") { "\r\n" } else { "\n" };
    let at = insertion_point(&clean);
    let mut block = String::new();
    let before = &clean[..at];
    let unterminated = !before.is_empty() && !before.ends_with('\n');
    if unterminated {
        block.push_str(eol);
    }
    if !before.is_empty() {
        block.push_str(eol);
    }
    for (i, l) in lines.iter().enumerate() {
        block.push_str(l);
        // After a last line without a line ending the block has none either, so `strip` can
        // tell this page from the same page with one and give back the exact bytes.
        if !(unterminated && i + 1 == lines.len()) {
            block.push_str(eol);
        }
    }
    if at == 0 {
        block.push_str(eol);
    }
    format!("{}{}{}", before, block, &clean[at..])
}

/// Just after the line of the first `# ` heading; else after front matter; else the start.
fn insertion_point(text: &str) -> usize {
    let mut offset = 0;
    let mut in_front: Option<&str> = None;
    let mut front_end = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim_end();
        if i == 0 && (t == "+++" || t == "---") {
            in_front = Some(if t == "+++" { "+++" } else { "---" });
        } else if let Some(f) = in_front {
            if t == f {
                in_front = None;
                front_end = offset + line.len();
            }
        } else if t.starts_with("# ") || t == "#" {
            return offset + line.len();
        }
        offset += line.len();
    }
    front_end
}

/// Brings a page's block in line with its verdict. Returns the new text when it changes.
pub fn updated(text: &str, verdict: Option<&Verdict>) -> Option<String> {
    let new = match verdict {
        Some(v) => put(text, &block(v)),
        None => strip(text),
    };
    (new != text).then_some(new)
}

/// Whether a path names a page that holds a block (for the watcher's own-write filter).
pub fn has_block(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| find(&t).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Cause, Status};
    use crate::rules::Severity;

    fn verdict() -> Verdict {
        Verdict {
            thesis: "t".into(),
            path: "theses/t.md".into(),
            line: 4,
            status: Status::Stale,
            causes: vec![Cause {
                rule: "evidence-down".into(),
                field: "evidence",
                severity: Severity::Major,
                node: "c#x".into(),
                was: None,
                before: "strong".into(),
                after: "weak".into(),
                detail: None,
                via: vec![],
            }],
            waiting_on: vec![],
            ix: None,
        }
    }

    #[test]
    fn put_then_strip_gives_back_the_exact_bytes() {
        for page in [
            "+++\nkind = \"thesis\"\n+++\n# Title\n\nBody text.\n",
            "+++\r\nkind = \"thesis\"\r\n+++\r\n# Title\r\n\r\nBody.\r\n",
            "No title, no newline at end",
            "+++\nscore = 1\n+++\nno heading\n",
        ] {
            let with = put(page, &block(&verdict()));
            assert!(with.contains("[!WARNING]"));
            assert_eq!(strip(&with), page);
        }
    }

    #[test]
    fn writing_twice_is_idempotent() {
        let page = "# Title\n\nBody.\n";
        let once = put(page, &block(&verdict()));
        assert_eq!(updated(&once, Some(&verdict())), None);
    }

    #[test]
    fn crlf_pages_get_crlf_blocks() {
        let with = put("# T\r\nx\r\n", &block(&verdict()));
        assert!(!with.replace("\r\n", "").contains('\n'));
    }
}
