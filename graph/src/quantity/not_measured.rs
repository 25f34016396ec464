//! Numbers that are not measurements: years and dates, versions after a name and labels,
//! prompting annotations, enumerators, and the spans that hold none (links, reference marks,
//! math, URLs).

use super::{digit_at, is_word_char, word_after_space, word_at, Case, Parsed, Place, HYPHENS};

/// Whether digits are a year: four of them, 1900–2099.
pub(super) fn is_year(digits: &str) -> bool {
    digits.len() == 4
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (1900..=2099).contains(&digits.parse::<u32>().unwrap_or(0))
}

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
];

/// A capitalised month name. Canonical text has lost the capital (and `may` is a verb), so
/// there no word is a month: that reading keeps every number the written one keeps, which is
/// what comparing the two needs.
fn is_month(word: &str, case: Case) -> bool {
    let word = word.strip_suffix('.').unwrap_or(word);
    case == Case::Written && MONTHS.contains(&word)
}

/// Words after which a number is a label, not a measurement (`Table 3`, `version 2`).
const LABEL_WORDS: &[&str] = &[
    "version",
    "v",
    "release",
    "figure",
    "fig",
    "table",
    "tab",
    "section",
    "sec",
    "eq",
    "equation",
    "chapter",
    "ch",
    "appendix",
    "app",
    "no",
    "number",
    "issue",
    "pr",
    "step",
    "stage",
    "phase",
    "level",
    "round",
    "tier",
    "gen",
    "generation",
    "part",
    "item",
    "page",
    "rank",
    "top",
    "layer",
    "day",
];

/// Capitalised words that start sentences: a bare number after them is still a measurement.
const SENTENCE_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "in",
    "on",
    "at",
    "of",
    "for",
    "from",
    "to",
    "by",
    "with",
    "without",
    "over",
    "under",
    "above",
    "below",
    "about",
    "around",
    "after",
    "before",
    "within",
    "across",
    "only",
    "just",
    "all",
    "some",
    "most",
    "many",
    "few",
    "nearly",
    "almost",
    "roughly",
    "approximately",
    "up",
    "than",
    "between",
    "among",
    "each",
    "every",
    "both",
    "these",
    "those",
    "this",
    "that",
    "it",
    "its",
    "we",
    "they",
    "our",
    "their",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "uses",
    "needs",
    "takes",
    "reaches",
    "scores",
    "achieves",
    "requires",
    "runs",
    "costs",
    "gets",
    "via",
    "per",
    "vs",
    "versus",
    "then",
    "also",
    "still",
    "even",
    "while",
    "when",
    "where",
    "as",
    "if",
    "since",
    "until",
    "into",
    "through",
    "during",
    "exactly",
    "less",
    "more",
    "fewer",
    "least",
    "see",
    "plus",
    "minus",
];

/// The word right before `start`, across exactly one space, with a trailing `.` kept.
fn word_before(text: &str, start: usize) -> Option<&str> {
    let before = text[..start].strip_suffix(' ')?;
    let from = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(is_word_char(c) || c == '.' || HYPHENS.contains(&c)))
        .map_or(0, |(k, c)| k + c.len_utf8());
    let word = &before[from..];
    (!word.is_empty()).then_some(word)
}

/// A version after a name (`Genie 3`, `V-JEPA 2`, `Llama 3.1`) or a label (`Table 3`).
fn labelled(text: &str, start: usize, digits: &str, case: Case) -> bool {
    let Some(word) = word_before(text, start) else {
        return false;
    };
    let bare = word.trim_end_matches('.');
    if LABEL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(bare)) {
        return true;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let version_shaped = (1..=2).contains(&int.len()) && frac.len() <= 2;
    let named = case == Case::Written
        && bare.chars().next().is_some_and(char::is_uppercase)
        && !SENTENCE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(bare));
    version_shaped && named
}

/// A prompting annotation after the number (`5-shot`, `0 shot`, `5-way`): where it ends.
fn annotation_end(text: &str, end: usize) -> Option<usize> {
    let rest = &text[end..];
    let sep = rest
        .chars()
        .next()
        .filter(|c| *c == ' ' || HYPHENS.contains(c))?;
    let word_start = end + sep.len_utf8();
    let (word, word_end) = word_at(text, word_start)?;
    ["shot", "shots", "way"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
        .then_some(word_end)
}

/// `1/6/2025` or `06/2025`: slash-separated numbers that hold a year, or three of them.
pub(super) fn slash_date_end(text: &str, start: usize) -> Option<usize> {
    // Runs at every number: the groups are counted, not collected.
    let b = text.as_bytes();
    let (mut groups, mut year) = (0, false);
    let mut i = start;
    loop {
        let g = i;
        while digit_at(b, i) {
            i += 1;
        }
        groups += 1;
        year |= is_year(&text[g..i]);
        if b.get(i) == Some(&b'/') && digit_at(b, i + 1) {
            i += 1;
        } else {
            break;
        }
    }
    (groups >= 3 || (groups == 2 && year)).then_some(i)
}

/// Where a date that a year starts ends: `2025-06`, `2025/06/01`.
fn date_chain_end(text: &str, mut end: usize) -> usize {
    let b = text.as_bytes();
    while matches!(b.get(end), Some(b'-' | b'/')) && digit_at(b, end + 1) {
        end += 1;
        while digit_at(b, end) {
            end += 1;
        }
    }
    end
}

/// When a number read at `start` is not a measurement, where scanning resumes.
pub(super) fn not_a_measurement(
    text: &str,
    start: usize,
    parsed: &Parsed,
    case: Case,
    at: Place,
) -> Option<usize> {
    let (from, to) = parsed.plain?;
    let digits = &text[from..to];
    let end = parsed.end;
    if at == Place::Text && is_year(digits) {
        return Some(date_chain_end(text, end));
    }
    let small = digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit());
    let month_near = || {
        word_before(text, start).is_some_and(|w| is_month(w, case))
            || word_after_space(text, end).is_some_and(|(w, _)| is_month(w, case))
    };
    if small && month_near() {
        return Some(end);
    }
    if !parsed.quantity.approx && labelled(text, start, digits, case) {
        return Some(end);
    }
    if let Some(e) = annotation_end(text, end) {
        return Some(e);
    }
    let enumerator =
        digits.len() == 1 && text[..start].ends_with('(') && text[end..].starts_with(')');
    let list_number = (start == 0 || text[..start].ends_with('\n'))
        && (text[end..].starts_with(". ") || text[end..].starts_with(") "));
    (small && (enumerator || list_number)).then_some(end)
}

/// Byte ranges that hold no quantity even where they hold digits: wikilinks and markdown links
/// (text and target), footnote and reference marks (`[^8]`, `[12]`, `[3, 4]`), math (`$x_2$`,
/// `$$…$$`) and URLs.
pub(super) fn hidden_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Only these three bytes open a span: the search jumps from one to the next.
    while let Some(k) = memchr::memchr3(b'[', b'$', b':', &b[i..]) {
        i += k;
        match span_end(text, i) {
            Some(end) => {
                out.push((i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// The end of the span that opens at `i`, if one does.
fn span_end(text: &str, i: usize) -> Option<usize> {
    match text.as_bytes()[i] {
        b'[' => bracket_end(text, i),
        b'$' => math_end(text, i),
        b':' if text[i..].starts_with("://") => Some(
            text[i..]
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>'))
                .map_or(text.len(), |k| i + k),
        ),
        _ => None,
    }
}

/// The end of a link, wikilink or reference mark that opens at `i` (a `[`).
fn bracket_end(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    if rest.starts_with("[[") {
        return rest.find("]]").map(|k| i + k + 2);
    }
    let close = i + rest.find(']')?;
    let inner = &text[i + 1..close];
    let after = &text[close + 1..];
    if after.starts_with('(') {
        return after.find(')').map(|k| close + 1 + k + 1);
    }
    let reference = inner.starts_with('^')
        || (inner.bytes().any(|c| c.is_ascii_digit())
            && inner
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '-' | '–')));
    reference.then_some(close + 1)
}

/// The end of inline math opening at `i` (a `$`), by pandoc's rule: the opening `$` has a
/// non-space to its right, the closing one a non-space to its left and no digit after it (so
/// `$5B and $3B` is money, not math).
fn math_end(text: &str, i: usize) -> Option<usize> {
    if let Some(rest) = text[i..].strip_prefix("$$") {
        return rest.find("$$").map(|k| i + 2 + k + 2);
    }
    let b = text.as_bytes();
    if b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()) {
        return None;
    }
    let mut k = i + 1;
    while k < b.len() && b[k] != b'\n' {
        if b[k] == b'$' && !b[k - 1].is_ascii_whitespace() && !digit_at(b, k + 1) {
            return Some(k + 1);
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashed_numbers_are_a_date_with_a_year_or_three_of_them() {
        let end = |text: &str| slash_date_end(text, 0);
        assert_eq!(end("1/6/2025 x"), Some(8));
        assert_eq!(end("06/2025"), Some(7));
        assert_eq!(end("2099/12"), Some(7));
        assert_eq!(end("1/2/3"), Some(5));
        assert_eq!(end("3/4"), None);
        assert_eq!(end("5/1800"), None);
        assert_eq!(end("2025"), None);
        assert_eq!(end("2025/"), None);
    }

    fn hidden(text: &str) -> Vec<&str> {
        hidden_spans(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    /// The byte-at-a-time `hidden_spans` this replaced, as the reference.
    fn reference_hidden_spans(text: &str) -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match span_end(text, i) {
                Some(end) => {
                    out.push((i, end));
                    i = end;
                }
                None => i += 1,
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn spans_found_by_search_are_the_reference_spans(
            text in "([a-z0-9 ^#,\\-–]{0,6}|\\[\\[|\\]\\]|[\\[\\]()$:/>\n]|://|\u{e9}){0,30}"
        ) {
            proptest::prop_assert_eq!(hidden_spans(&text), reference_hidden_spans(&text));
        }
    }

    #[test]
    fn spans_cover_links_marks_math_and_urls() {
        assert_eq!(
            hidden("a [[Genie 3]] b [#776](https://x.org/776) c [^8] d [3, 4] e"),
            ["[[Genie 3]]", "[#776](https://x.org/776)", "[^8]", "[3, 4]"]
        );
        assert_eq!(hidden("as $e=mc^2$ and $$x_2$$"), ["$e=mc^2$", "$$x_2$$"]);
        assert_eq!(hidden("see https://x.org/v2/42 now"), ["://x.org/v2/42"]);
    }

    #[test]
    fn money_and_plain_brackets_are_not_hidden() {
        assert!(hidden("costs $5B and $3B").is_empty());
        assert!(hidden("$5/$10").is_empty());
        assert!(hidden("[10 GB] buffer").is_empty());
    }

    #[test]
    fn years_are_four_digits_from_1900_to_2099() {
        assert!(is_year("1900") && is_year("2025") && is_year("2099"));
        assert!(!is_year("1899") && !is_year("2100") && !is_year("025") && !is_year("2,025"));
    }
}
