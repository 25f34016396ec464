//! What a benchmark table's labels and cells say, without their decorations: footnote marks
//! (`[^8]`, `¹`, `*`, `†`) and the many spellings of a check mark. A row's id and its text value
//! are taken from these, so decorating a cell never changes which row it is or what it holds.
//! Also the test for a relabelled row: old and new labels that differ only by a typo.

use std::borrow::Cow;

const SUPERSCRIPTS: &[char] = &['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
/// Marks that stand for a footnote when they end a label.
const TRAILING_MARKS: &[char] = &['*', '†', '‡', '§', '¶'];

/// A label (a Metric or System cell, a column header) without its footnote marks.
/// Labels that carry none come back unchanged, so their ids stay what they were.
pub fn label(s: &str) -> Cow<'_, str> {
    if !s.contains(['[', '^']) && !s.contains(SUPERSCRIPTS) && !s.contains(TRAILING_MARKS) {
        return Cow::Borrowed(s);
    }
    let mut out = strip_bracket_marks(s);
    // A `[^8]` whose footnote is defined on the page reads as a link with the text `^8`.
    out = strip_caret_marks(&out, |_| true);
    Cow::Owned(strip_trailing_marks(&out).to_string())
}

/// A value cell without footnote marks; a cell that is only a check or cross mark is spelt one
/// way (`√`, `✔️`, `✅` → `✓`). Inside text the symbols are left alone (`√2`).
pub fn value(s: &str) -> Cow<'_, str> {
    let has_marks = s.contains(['[', '^']) || s.contains(SUPERSCRIPTS);
    let mut out = Cow::Borrowed(s);
    if has_marks {
        let stripped = strip_bracket_marks(s);
        // `10^9` is a number, `n/a^7` a footnote: only a caret after a non-digit is a mark.
        let stripped = strip_caret_marks(&stripped, |before| {
            !before.is_some_and(|c| c.is_ascii_digit())
        });
        out = Cow::Owned(
            stripped
                .trim_end_matches(|c: char| SUPERSCRIPTS.contains(&c) || c.is_whitespace())
                .to_string(),
        );
    }
    let mut symbol = None;
    for c in out.trim().chars() {
        match (check_symbol(c), symbol) {
            (Some(Some(canonical)), None) => symbol = Some(canonical),
            (Some(None), Some(_)) => {}
            _ => return out,
        }
    }
    match symbol {
        Some(canonical) => Cow::Owned(canonical.to_string()),
        None => out,
    }
}

/// `Some(Some(c))`: a check or cross mark and its one spelling; `Some(None)`: a character that
/// only changes how the mark is drawn; `None`: anything else.
fn check_symbol(c: char) -> Option<Option<char>> {
    match c {
        '✓' | '✔' | '√' | '✅' | '☑' | '🗸' => Some(Some('✓')),
        '✗' | '✘' | '❌' | '❎' | '☒' => Some(Some('✗')),
        '\u{fe0e}' | '\u{fe0f}' => Some(None),
        _ => None,
    }
}

/// Removes every `[^…]` footnote reference.
fn strip_bracket_marks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find("[^") {
        match rest[open..].find(']') {
            Some(len) if !rest[open + 2..open + len].contains(char::is_whitespace) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + len + 1..];
            }
            _ => {
                out.push_str(&rest[..open + 2]);
                rest = &rest[open + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes `^` followed by a word (`^8`, `^a`) where `allowed` says the character before it
/// may precede a mark.
fn strip_caret_marks(s: &str, allowed: impl Fn(Option<char>) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let word_follows = chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c == '^' && word_follows && allowed(out.chars().next_back()) {
            while chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Removes superscript digits and `*`, `†`, … at the end of a label. In the middle they may
/// belong to it (`m²`, `C*-algebra`), at the end they are a footnote.
fn strip_trailing_marks(s: &str) -> &str {
    s.trim_end_matches(|c: char| {
        SUPERSCRIPTS.contains(&c) || TRAILING_MARKS.contains(&c) || c.is_whitespace()
    })
}

/// Whether two row ids (`metric@system` slugs) name one row with a typo fixed in a label:
/// the same words except one stretch that differs by a small edit inside a word
/// (`pet-lora` → `peft-lora`) or only by how it is split (`frame-rate` → `framerate`). A changed
/// number (`genie-2` → `genie-3`), an added word (`gpt-4o` → `gpt-4o-mini`) or a replaced short
/// word (`model-a` → `model-b`) is another row.
pub fn same_row(old: &str, new: &str) -> bool {
    if old == new {
        return true;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if digits(old) != digits(new) {
        return false;
    }
    let words = |s: &str| -> Vec<String> {
        s.split('@')
            .enumerate()
            .flat_map(|(i, part)| {
                let at = (i > 0).then(|| "@".to_string());
                at.into_iter()
                    .chain(part.split('-').map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (a, b) = (words(old), words(new));
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let middle = |w: &[String]| w[prefix..w.len() - suffix].concat();
    let (x, y) = (middle(&a), middle(&b));
    if x.contains('@') || y.contains('@') {
        return false;
    }
    if x == y {
        return true;
    }
    let shorter = x.chars().count().min(y.chars().count());
    let allowed = if shorter >= 8 { 2 } else { 1 };
    shorter >= 3 && strsim::damerau_levenshtein(&x, &y) <= allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_labels_are_untouched() {
        for s in [
            "Parameters",
            "Genie 3",
            "Frame rate",
            "Area (m²)",
            "C*-algebra",
        ] {
            assert_eq!(label(s), s);
        }
    }

    #[test]
    fn footnote_marks_leave_labels() {
        assert_eq!(label("GPQA [^8]"), "GPQA");
        assert_eq!(label("GPQA[^note]"), "GPQA");
        assert_eq!(label("GPQA^8"), "GPQA");
        assert_eq!(label("GPQA¹²"), "GPQA");
        assert_eq!(label("Genie 3*"), "Genie 3");
        assert_eq!(label("Genie 3 †"), "Genie 3");
        assert_eq!(label("[^ not a mark]"), "[^ not a mark]");
    }

    #[test]
    fn value_cells_lose_marks_and_spell_checks_one_way() {
        assert_eq!(value("n/a[^7]"), "n/a");
        assert_eq!(value("n/a^7"), "n/a");
        assert_eq!(value("10^9"), "10^9");
        assert_eq!(value("√"), value("✅"));
        assert_eq!(value("✔️"), "✓");
        assert_eq!(value("❌"), value("✗"));
        assert_eq!(value("24 fps"), "24 fps");
        assert_eq!(value("√2"), "√2");
        assert_eq!(value("✅ yes"), "✅ yes");
    }

    #[test]
    fn typo_fixes_keep_a_row_and_other_edits_do_not() {
        assert!(same_row("accuracy@pet-lora", "accuracy@peft-lora"));
        assert!(same_row("frame-rate@genie-3", "framerate@genie-3"));
        assert!(same_row("acuracy@x", "accuracy@x"));
        assert!(!same_row("parameters@genie-2", "parameters@genie-3"));
        assert!(!same_row("score@gpt-4o", "score@gpt-4o-mini"));
        assert!(!same_row("score@model-a", "score@model-b"));
        assert!(!same_row("latency@x", "throughput@x"));
        assert!(!same_row("latency", "latency@x"));
    }
}
