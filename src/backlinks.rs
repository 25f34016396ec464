//! `rescore backlinks`: each concept page's "Theses that depend on this concept" section, as a
//! managed block at the end of the page. It is generated from the graph and never read as
//! input: its list items carry no `Evidence:` line (so they are not claims), its section is not
//! "Related Concepts" (so its links make no edges), and links in a concept's body only get
//! checked to resolve.
//!
//! The block replaces an existing one in place, or is appended at the end; bytes outside it are
//! never touched, writing twice changes nothing, and a CRLF page gets CRLF lines. A concept no
//! thesis depends on gets no block (an old one is removed).

use std::path::PathBuf;

use rescore_graph::NodeKind;

use crate::load::Repo;
use crate::managed::{self, before_blank_line, past_eol};
use crate::page::PageKind;
use crate::resolve::page_key;

pub const BEGIN: &str =
    "<!-- rescore:backlinks:begin (managed by rescore: `rescore backlinks --write`) -->";
pub const END: &str = "<!-- rescore:backlinks:end -->";
pub const HEADING: &str = "## Theses that depend on this concept";
pub const INTRO: &str = "These research positions cite this concept in their evidence. If the \
concept changes materially, these theses may need re-scoring.";

/// The block's lines (no line endings) for a concept and its dependent theses as (id, title).
pub fn block(theses: &[(String, String)]) -> Vec<String> {
    let mut lines = vec![
        BEGIN.to_string(),
        HEADING.to_string(),
        String::new(),
        INTRO.to_string(),
        String::new(),
    ];
    for (id, title) in theses {
        if title.is_empty() || title.eq_ignore_ascii_case(id) {
            lines.push(format!("- [[{id}]]"));
        } else {
            lines.push(format!("- [[{id}]] — {title}"));
        }
    }
    lines.push(END.to_string());
    lines
}

/// Whether the lines between the markers are a backlinks block's: the heading, then the
/// intro, blank lines and list items.
fn backlinks_shape(lines: &[&str]) -> bool {
    lines.first() == Some(&HEADING)
        && lines[1..]
            .iter()
            .all(|l| l.is_empty() || *l == INTRO || l.starts_with("- "))
}

/// The byte range of an existing block: its begin line through its end line (and line ending),
/// with the blank line before it.
fn find(text: &str) -> Option<std::ops::Range<usize>> {
    let r = managed::blocks(text, BEGIN, END, backlinks_shape)
        .into_iter()
        .next()?;
    let end = past_eol(text, r.end);
    // A block appended after a last line without a line ending ends the page without one.
    let eol = managed::eol(text);
    let after_bare_line = end == text.len() && end == r.end;
    let start = if after_bare_line && r.start > 0 && text[..r.start].ends_with(&eol.repeat(2)) {
        r.start - 2 * eol.len()
    } else {
        before_blank_line(text, r.start)
    };
    Some(start..end)
}

/// The page with `lines` as its block (or with no block when `lines` is `None`). `None` for a
/// page whose front matter is never closed.
pub fn put(text: &str, lines: Option<&[String]>) -> Option<String> {
    managed::body_start(text)?;
    let new = placed(text, lines);
    // Only a block that reads back as one is written (a page ending inside a code block or an
    // open comment would otherwise get one more block on every run).
    (find(&new).is_some() == lines.is_some()).then_some(new)
}

fn placed(text: &str, lines: Option<&[String]>) -> String {
    let eol = managed::eol(text);
    let render = |before: &str, at_end: bool| {
        let mut b = String::new();
        if let Some(lines) = lines {
            let unterminated = !before.is_empty() && !before.ends_with('\n');
            if !before.is_empty() {
                if unterminated {
                    b.push_str(eol);
                }
                b.push_str(eol);
            }
            for (i, l) in lines.iter().enumerate() {
                b.push_str(l);
                // After a last line without a line ending the block has none either, so
                // removing it gives back the exact bytes.
                if !(unterminated && at_end && i + 1 == lines.len()) {
                    b.push_str(eol);
                }
            }
        }
        b
    };
    match find(text) {
        Some(r) => {
            let before = &text[..r.start];
            let after = &text[r.end..];
            let mut block = render(before, after.is_empty());
            // A block in the middle of a page keeps a blank line after it.
            if lines.is_some() && !after.is_empty() && !after.starts_with(eol) {
                block.push_str(eol);
            }
            if lines.is_none() && !after.is_empty() && !before.is_empty() && !after.starts_with(eol)
            {
                // Removing a block from the middle: keep the paragraphs apart.
                return format!("{before}{eol}{after}");
            }
            format!("{before}{block}{after}")
        }
        None if lines.is_none() => text.to_string(),
        None => format!("{text}{}", render(text, true)),
    }
}

/// One concept page whose block is out of date.
#[derive(Debug, Clone)]
pub struct Change {
    /// Relative to the root.
    pub path: PathBuf,
    pub concept: String,
    pub theses: Vec<String>,
    /// The block's lines (`None`: the page should have no block).
    pub lines: Option<Vec<String>>,
    pub old: String,
    pub new: String,
}

/// Every concept page whose backlinks block differs from what the graph says, with its new
/// text. Reads the pages from disk (the parsed pages do not keep their text).
pub fn changes(repo: &Repo) -> Vec<Change> {
    let g = &repo.graph;
    let mut out = Vec::new();
    for p in &repo.pages {
        if p.kind != PageKind::Concept {
            continue;
        }
        let key = page_key(p);
        let Some(ix) = g
            .get(&key)
            .filter(|ix| g.node(*ix).kind == NodeKind::Concept)
        else {
            continue;
        };
        let mut theses: Vec<(String, String)> = dependents(g, ix)
            .into_iter()
            .map(|t| {
                let n = g.node(t);
                let title = repo
                    .page_of(n.loc)
                    .and_then(|tp| tp.title.clone())
                    .unwrap_or_default();
                (n.key.clone(), one_line(&title))
            })
            .collect();
        theses.sort();
        theses.dedup();
        let Ok(old) = std::fs::read_to_string(repo.root.join(&p.path)) else {
            continue;
        };
        let lines = (!theses.is_empty()).then(|| block(&theses));
        let Some(new) = put(&old, lines.as_deref()) else {
            // Said out loud: otherwise the command reports the backlinks up to date.
            if lines.is_some() {
                tracing::warn!(
                    "{}: no backlinks block written: the page ends inside an open code block or \
                     HTML comment, which would swallow it; close that so the block can follow",
                    p.path.display()
                );
            }
            continue;
        };
        if new != old {
            out.push(Change {
                path: p.path.to_path_buf(),
                concept: key,
                theses: theses.into_iter().map(|(id, _)| id).collect(),
                lines,
                old,
                new,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short unified-style view of what changes in a page: the removed and added lines of the
/// region that differs.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    for l in &a[head..a.len() - tail] {
        out.push_str("- ");
        out.push_str(l);
        out.push('\n');
    }
    for l in &b[head..b.len() - tail] {
        out.push_str("+ ");
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Theses whose evidence includes the concept: cited whole, by one of its claims or rows, or
/// through a parent concept it is `part_of`. Theses that only build on such a thesis depend on
/// its score, not on the concept, and are left out.
fn dependents(
    g: &rescore_graph::Graph,
    concept: rescore_graph::NodeIx,
) -> Vec<rescore_graph::NodeIx> {
    use rescore_graph::EdgeKind;
    let mut seen = std::collections::HashSet::new();
    let mut todo: Vec<rescore_graph::NodeIx> = std::iter::once(concept)
        .chain(
            g.incoming(concept)
                .filter(|(_, e)| e.kind == EdgeKind::Contains)
                .map(|(n, _)| n),
        )
        .collect();
    let mut theses = Vec::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        if g.node(n).kind == NodeKind::Thesis {
            theses.push(n);
            continue;
        }
        todo.extend(
            g.outgoing(n)
                .filter(|(_, e)| e.kind.propagates())
                .map(|(m, _)| m),
        );
    }
    theses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<String> {
        block(&[
            ("a-thesis".into(), "A thesis".into()),
            ("b-thesis".into(), "".into()),
        ])
    }

    #[test]
    fn appended_at_the_end_and_idempotent() {
        let page = "+++\nkind = \"concept\"\n+++\n# C\n\nBody.\n";
        let once = put(page, Some(&lines())).expect("placed");
        assert!(once.starts_with(page));
        assert!(once.ends_with(&format!("- [[b-thesis]]\n{END}\n")));
        assert!(once.contains(&format!(
            "Body.\n\n{BEGIN}\n{HEADING}\n\n{INTRO}\n\n- [[a-thesis]] — A thesis\n"
        )));
        assert_eq!(put(&once, Some(&lines())), Some(once.clone()));
        // Removing gives the page back byte for byte.
        assert_eq!(put(&once, None).as_deref(), Some(page));
    }

    #[test]
    fn replaced_in_place_with_bytes_around_it_kept() {
        let page = format!(
            "# C\n\nBefore.\n\n{BEGIN}\n{HEADING}\n\n{INTRO}\n\n- [[old-stuff]]\n{END}\n\n## Changelog\n\n- x\n"
        );
        let new = put(&page, Some(&lines())).expect("placed");
        assert!(new.starts_with("# C\n\nBefore.\n\n"));
        assert!(new.ends_with(&format!("{END}\n\n## Changelog\n\n- x\n")));
        assert!(!new.contains("old-stuff"));
        assert_eq!(put(&new, Some(&lines())), Some(new.clone()));
    }

    #[test]
    fn crlf_pages_get_crlf_blocks() {
        let page = "# C\r\n\r\nBody.\r\n";
        let with = put(page, Some(&lines())).expect("placed");
        assert!(!with.replace("\r\n", "").contains('\n'), "{with:?}");
        assert_eq!(put(&with, Some(&lines())), Some(with.clone()));
        assert_eq!(put(&with, None).as_deref(), Some(page));
    }

    #[test]
    fn a_page_without_a_final_newline() {
        let page = "# C\n\nBody.";
        let with = put(page, Some(&lines())).expect("placed");
        assert!(with.starts_with("# C\n\nBody.\n\n<!-- rescore:backlinks:begin"));
        assert_eq!(put(&with, Some(&lines())), Some(with.clone()));
    }

    #[test]
    fn no_theses_no_block() {
        let page = "# C\n";
        assert_eq!(put(page, None).as_deref(), Some(page));
    }

    #[test]
    fn a_page_ending_inside_a_code_block_gets_no_block() {
        assert_eq!(put("# C\n\n```\nopen fence\n", Some(&lines())), None);
        assert_eq!(put("+++\nnever closed\n", Some(&lines())), None);
    }

    #[test]
    fn a_marker_inside_a_line_is_not_a_block() {
        let page = format!("# C\n\nText `{BEGIN}` and `{END}`.\n");
        assert!(find(&page).is_none());
    }

    #[test]
    fn diff_shows_the_changed_region() {
        let d = diff("a\nb\nc\n", "a\nx\ny\nc\n");
        assert_eq!(d, "- b\n+ x\n+ y\n");
    }
}
