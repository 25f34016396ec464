//! The managed warning block rescore writes into a stale thesis page: a `> [!WARNING]` callout
//! between marker comments, right under the title. Bytes outside the block are never touched,
//! and writing the same causes twice changes nothing.

use crate::eval::Verdict;
use crate::managed;

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
        let line = format!(
            "> - `{}`: {} {} → {} ({}rule {}, {})",
            c.node, c.field, c.before, c.after, detail, c.rule, c.severity
        );
        // Values are quoted from pages; a line break in one would end the callout.
        lines.push(line.replace(['\r', '\n'], " "));
    }
    lines.push(END.to_string());
    lines
}

/// Whether the lines between the markers are a warning block's: the callout, line by line.
fn warning_shape(lines: &[&str]) -> bool {
    lines.first() == Some(&"> [!WARNING]") && lines.iter().all(|l| l.starts_with('>'))
}

/// Every warning block in the page, each from the blank line before it through its end line
/// (and line ending), as `put` lays it out.
fn find(text: &str) -> Vec<std::ops::Range<usize>> {
    let top = managed::content_start(text);
    managed::blocks(text, BEGIN, END, warning_shape)
        .into_iter()
        .map(|r| {
            let begin = r.start;
            let mut end = managed::past_eol(text, r.end);
            // A block written after a last line without a line ending ends the page without one.
            let at_bare_end = end == r.end && end == text.len();
            let mut start = begin;
            if begin == top {
                // A block at the very top was written with a blank line after it.
                end = managed::past_eol(text, end);
            } else if at_bare_end && text[..start].ends_with("\r\n\r\n") {
                start -= 4;
            } else if at_bare_end && text[..start].ends_with("\n\n") {
                start -= 2;
            } else {
                start = managed::before_blank_line(text, start);
            }
            start..end
        })
        .collect()
}

/// The page with its warning blocks removed (if any).
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in find(text) {
        out.push_str(&text[at..r.start]);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The page with `lines` as its block, placed under the first top-level H1 (else after the
/// front matter, else at the top, past a BOM), in the page's own line endings. `None` for a
/// page whose front matter is never closed (there is no telling where its body starts), or
/// where the block would not read back as one.
pub fn put(text: &str, lines: &[String]) -> Option<String> {
    let clean = strip(text);
    let eol = managed::eol(&clean);
    let body = managed::body_start(&clean)?;
    let top = managed::content_start(&clean);
    let at = managed::after_title(&clean, body).unwrap_or(body);
    let mut block = String::new();
    let before = &clean[..at];
    let at_top = at == top;
    let unterminated = !at_top && !before.ends_with('\n');
    if unterminated {
        block.push_str(eol);
    }
    if !at_top {
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
    if at_top {
        block.push_str(eol);
    }
    let new = format!("{}{}{}", before, block, &clean[at..]);
    // Only a block that reads back as one is written: anything else would be added again on
    // every run.
    (strip(&new) == clean && find(&new).len() == 1).then_some(new)
}

/// Brings a page's block in line with its verdict. Returns the new text when it changes.
pub fn updated(text: &str, verdict: Option<&Verdict>) -> Option<String> {
    let new = match verdict {
        Some(v) => put(text, &block(v))?,
        None => strip(text),
    };
    (new != text).then_some(new)
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
            let with = put(page, &block(&verdict())).expect("placed");
            assert!(with.contains("[!WARNING]"));
            assert_eq!(strip(&with), page);
        }
    }

    #[test]
    fn writing_twice_is_idempotent() {
        let page = "# Title\n\nBody.\n";
        let once = put(page, &block(&verdict())).expect("placed");
        assert_eq!(updated(&once, Some(&verdict())), None);
    }

    #[test]
    fn crlf_pages_get_crlf_blocks() {
        let with = put("# T\r\nx\r\n", &block(&verdict())).expect("placed");
        assert!(!with.replace("\r\n", "").contains('\n'));
    }
}
