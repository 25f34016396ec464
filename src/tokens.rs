//! Tokens of a canonical claim text (see `claimtext`), for the token diff in `textdiff`.
//!
//! Words and numbers are tokens; so are footnote and reference marks, shell prompt markers and
//! comparison symbols (`<`, `≥`). Other punctuation is no token: it only marks where sentences
//! end. Code spans (between backticks), inline math (`$…$`) and the rest of a line after a
//! `$ ` prompt are code.

use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    /// Starts with a digit, possibly after `~`, `≈`, `$` or a minus sign.
    Number,
    /// `<`, `>`, `≤`, `≥`, `≠`, `=` and runs of them.
    Symbol,
    /// `[^8]`, `[12]`, `#776`, `¹`, `†`.
    Footnote,
    /// A shell prompt marker: `$` before a space.
    Prompt,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub span: Range<usize>,
    pub kind: Kind,
    pub code: bool,
    /// First token of the text or of a sentence, paragraph or list item.
    pub sentence_start: bool,
    /// Lowercase text, the key the diff compares.
    pub key: String,
}

impl Token {
    pub fn text<'a>(&self, s: &'a str) -> &'a str {
        &s[self.span.clone()]
    }
}

/// `⁰¹²³⁴⁵⁶⁷⁸⁹†‡`: a footnote mark after a word. A `match` rather than a search in a string
/// of them, as it runs on every character of every claim.
fn is_superscript(c: char) -> bool {
    matches!(
        c,
        '⁰' | '¹' | '²' | '³' | '⁴' | '⁵' | '⁶' | '⁷' | '⁸' | '⁹' | '†' | '‡'
    )
}
const SYMBOLS: &str = "<>=≤≥≠";
const SENTENCE_ENDS: &str = ".!?;:\n";
/// Characters that join two alphanumeric runs into one token: `real-time`, `won't`, `v1.2`.
const JOINERS: &str = "-.'’/_+@";

pub fn tokenize(s: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|c| c.1);
    let pos = |i: usize| chars.get(i).map_or(s.len(), |c| c.0);
    let mut out: Vec<Token> = Vec::new();
    let mut code = false;
    let mut math = false;
    let mut prompt = false;
    let mut sentence = true;
    let mut i = 0;
    let push = |out: &mut Vec<Token>, r: Range<usize>, kind: Kind, code: bool, start: bool| {
        let key = s[r.clone()].to_lowercase().replace('’', "'");
        out.push(Token {
            span: r,
            kind,
            code,
            sentence_start: start,
            key,
        });
    };
    while i < chars.len() {
        let c = chars[i].1;
        let prev_space = i == 0 || at(i - 1).is_some_and(char::is_whitespace);
        if c == '`' {
            code = !code;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            if c == '\n' {
                sentence = true;
                prompt = false;
            }
            i += 1;
            continue;
        }
        if c == '$' {
            let next = at(i + 1);
            if next.is_none_or(char::is_whitespace) && !math {
                push(&mut out, pos(i)..pos(i + 1), Kind::Prompt, code, sentence);
                prompt = true;
                i += 1;
                continue;
            }
            if !next.is_some_and(|n| n.is_ascii_digit()) {
                math = !math;
                i += 1;
                continue;
            }
        }
        if c == '&' && prev_space && at(i + 1).is_none_or(char::is_whitespace) {
            // `A & B` reads as `A and B`.
            out.push(Token {
                span: pos(i)..pos(i + 1),
                kind: Kind::Word,
                code,
                sentence_start: false,
                key: "and".into(),
            });
            i += 1;
            continue;
        }
        if is_superscript(c) {
            push(&mut out, pos(i)..pos(i + 1), Kind::Footnote, code, false);
            i += 1;
            continue;
        }
        if c == '[' {
            if let Some(len) = footnote_len(&chars[i..]) {
                push(&mut out, pos(i)..pos(i + len), Kind::Footnote, code, false);
                i += len;
                continue;
            }
        }
        if c == '(' {
            if let Some(len) = citation_len(&chars[i..]) {
                push(&mut out, pos(i)..pos(i + len), Kind::Footnote, code, false);
                i += len;
                continue;
            }
        }
        if c == '#' && at(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            let mut j = i + 1;
            while at(j).is_some_and(|n| n.is_ascii_digit()) {
                j += 1;
            }
            push(&mut out, pos(i)..pos(j), Kind::Footnote, code, false);
            i = j;
            continue;
        }
        if SYMBOLS.contains(c) {
            let arrow = (c == '>' && i > 0 && matches!(at(i - 1), Some('-' | '=')))
                || (c == '<' && at(i + 1) == Some('-'))
                || (c == '=' && at(i + 1) == Some('>'));
            if !arrow {
                let mut j = i;
                while at(j).is_some_and(|n| SYMBOLS.contains(n)) {
                    j += 1;
                }
                push(
                    &mut out,
                    pos(i)..pos(j),
                    Kind::Symbol,
                    code || math,
                    sentence,
                );
                sentence = false;
                i = j;
                continue;
            }
        }
        let lead = lead_len(&chars[i..], prev_space);
        if c.is_alphanumeric() || lead > 0 {
            let start = i;
            let mut j = i + lead;
            while let Some(n) = at(j) {
                let joins = JOINERS.contains(n)
                    && at(j + 1).is_some_and(char::is_alphanumeric)
                    && j > start;
                let percent = n == '%' && at(j - 1).is_some_and(|p| p.is_ascii_digit());
                // `space¹`: a superscript is a mark after the word, not part of it.
                if is_superscript(n) || !(n.is_alphanumeric() || joins || percent) {
                    break;
                }
                j += 1;
            }
            let first = chars[start + lead].1;
            let kind = if first.is_ascii_digit() {
                Kind::Number
            } else {
                Kind::Word
            };
            push(
                &mut out,
                pos(start)..pos(j),
                kind,
                code || math || prompt,
                sentence,
            );
            sentence = false;
            i = j;
            continue;
        }
        if SENTENCE_ENDS.contains(c) {
            sentence = true;
            prompt = false;
        }
        i += 1;
    }
    out
}

/// The text with its footnote and reference marks blanked out.
pub fn without_marks(s: &str) -> Cow<'_, str> {
    // Runs on every claim while parsing: no tokens, and no scan at all for most texts.
    let bytes = s.as_bytes();
    let citation = memchr::memchr(b'(', bytes).is_some()
        && bytes.windows(4).any(|w| w.iter().all(u8::is_ascii_digit));
    let marks = memchr::memchr2(b'[', b'#', bytes).is_some() || has_superscript(s);
    if !citation && !marks {
        return Cow::Borrowed(s);
    }
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let pos = |i: usize| chars.get(i).map_or(s.len(), |c| c.0);
    let mut out = String::with_capacity(s.len());
    let (mut last, mut i) = (0, 0);
    while i < chars.len() {
        let len = match chars[i].1 {
            '[' => footnote_len(&chars[i..]),
            '(' => citation_len(&chars[i..]),
            '#' => {
                let digits = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.1.is_ascii_digit())
                    .count();
                (digits > 0).then_some(digits + 1)
            }
            c if is_superscript(c) => Some(1),
            _ => None,
        };
        match len {
            Some(len) => {
                out.push_str(&s[last..pos(i)]);
                out.push(' ');
                last = pos(i + len);
                i += len;
            }
            None => i += 1,
        }
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// Whether `s` holds a superscript mark: only a character whose UTF-8 starts with `0xC2`
/// (`¹²³`) or `0xE2` (the rest) can be one, so most of a text with non-ASCII letters or dashes
/// is never decoded.
fn has_superscript(s: &str) -> bool {
    memchr::memchr2_iter(0xC2, 0xE2, s.as_bytes())
        .any(|i| s[i..].chars().next().is_some_and(is_superscript))
}

/// Length of a footnote or reference mark at the start: `[^label]`, `[12]`, `[3, 4]`.
fn footnote_len(chars: &[(usize, char)]) -> Option<usize> {
    let close = chars.iter().take(40).position(|c| c.1 == ']')?;
    let inner: Vec<char> = chars[1..close].iter().map(|c| c.1).collect();
    let note = inner.first() == Some(&'^') && inner.len() > 1;
    let numbers = !inner.is_empty()
        && inner.iter().any(char::is_ascii_digit)
        && inner
            .iter()
            .all(|c| c.is_ascii_digit() || *c == ',' || *c == ' ' || *c == '-');
    (note || numbers).then_some(close + 1)
}

/// Length of an author-year citation at the start: `(LeCun, 2022)`, `(Ha and Schmidhuber
/// 2018; Hafner et al., 2023a)`.
fn citation_len(chars: &[(usize, char)]) -> Option<usize> {
    let close = chars.iter().take(120).position(|c| c.1 == ')')?;
    let inner: String = chars[1..close].iter().map(|c| c.1).collect();
    let cites = inner.split(';').all(|part| {
        let words: Vec<&str> = part.split_whitespace().collect();
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return false;
        };
        let year = last.trim_end_matches(|c: char| c.is_ascii_lowercase());
        first.chars().next().is_some_and(char::is_uppercase)
            && !MONTHS.contains(&first.to_lowercase().trim_end_matches('.'))
            && words.len() <= 6
            && year.len() == 4
            && year.chars().all(|c| c.is_ascii_digit())
            && words
                .iter()
                .any(|w| *w == "al." || *w == "and" || *w == "&" || w.ends_with(','))
    });
    cites.then_some(close + 1)
}

/// Month names, which a parenthesised date starts with: `(Dec 12, 2025)` is no citation.
#[rustfmt::skip]
const MONTHS: [&str; 24] = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
];

/// How many leading marks belong to the token that starts here: `~64%`, `≈2`, `$5`, `-3`,
/// `--force`, `-v`.
fn lead_len(chars: &[(usize, char)], prev_space: bool) -> usize {
    let at = |i: usize| chars.get(i).map(|c| c.1);
    match at(0) {
        Some('~' | '≈' | '$') if at(1).is_some_and(|c| c.is_ascii_digit()) => 1,
        Some('-') if prev_space => {
            let dashes = if at(1) == Some('-') { 2 } else { 1 };
            if at(dashes).is_some_and(char::is_alphanumeric) {
                dashes
            } else {
                0
            }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<(String, Kind, bool)> {
        tokenize(s)
            .into_iter()
            .map(|t| (t.text(s).to_string(), t.kind, t.code))
            .collect()
    }

    #[test]
    fn words_keep_inner_joiners() {
        let t = words("V-JEPA won't use real-time v1.2, e.g. model.fit.");
        let texts: Vec<&str> = t.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(
            texts,
            [
                "V-JEPA",
                "won't",
                "use",
                "real-time",
                "v1.2",
                "e.g",
                "model.fit"
            ]
        );
    }

    #[test]
    fn numbers_marks_and_symbols() {
        let t = words("~64% on GPQA [^8] and [12] #776 x¹ > 5 -> $5");
        let kinds: Vec<(&str, Kind)> = t.iter().map(|w| (w.0.as_str(), w.1)).collect();
        assert_eq!(
            kinds,
            [
                ("~64%", Kind::Number),
                ("on", Kind::Word),
                ("GPQA", Kind::Word),
                ("[^8]", Kind::Footnote),
                ("and", Kind::Word),
                ("[12]", Kind::Footnote),
                ("#776", Kind::Footnote),
                ("x", Kind::Word),
                ("¹", Kind::Footnote),
                (">", Kind::Symbol),
                ("5", Kind::Number),
                ("$5", Kind::Number),
            ]
        );
    }

    #[test]
    fn code_spans_math_and_prompts_are_code() {
        let t = words("run `doorstop new REQ` or $ doorstop create REQ. then $e=mc^2$ holds");
        let code: Vec<&str> = t.iter().filter(|w| w.2).map(|w| w.0.as_str()).collect();
        assert_eq!(
            code,
            ["doorstop", "new", "REQ", "doorstop", "create", "REQ", "e", "=", "mc", "2"]
        );
    }

    #[test]
    fn sentences_start_after_stops_and_breaks() {
        let s = "Genie runs. It fails\nNested item";
        let starts: Vec<&str> = tokenize(s)
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.text(s))
            .collect();
        assert_eq!(starts, ["Genie", "It", "Nested"]);
    }

    #[test]
    fn author_year_citations_are_marks() {
        let kinds = |s: &str| tokenize(s).into_iter().map(|t| t.kind).collect::<Vec<_>>();
        assert_eq!(kinds("x (LeCun, 2022)"), [Kind::Word, Kind::Footnote]);
        assert_eq!(
            kinds("x (Ha and Schmidhuber 2018; Hafner et al., 2023a)"),
            [Kind::Word, Kind::Footnote]
        );
        assert_eq!(kinds("(June 2025)"), [Kind::Word, Kind::Number]);
        assert_eq!(kinds("(Sora 2)"), [Kind::Word, Kind::Number]);
        assert_eq!(kinds("(Dec 2025)"), [Kind::Word, Kind::Number]);
        assert_eq!(
            kinds("(Dec. 12, 2025)"),
            [Kind::Word, Kind::Number, Kind::Number]
        );
    }

    proptest::proptest! {
        #[test]
        fn blanked_marks_are_the_footnote_tokens(s in "[a-z \\[\\]^#(),.0-9¹A-Z&]{0,60}") {
            let mut blanked = String::new();
            let mut last = 0;
            for t in tokenize(&s).iter().filter(|t| t.kind == Kind::Footnote) {
                blanked.push_str(&s[last..t.span.start]);
                blanked.push(' ');
                last = t.span.end;
            }
            blanked.push_str(&s[last..]);
            proptest::prop_assert_eq!(without_marks(&s), blanked);
        }

        #[test]
        fn has_superscript_is_any_char_a_superscript(
            s in "[a-z ¹²³⁰⁴⁹†‡—–é\u{a0}\u{b9}\u{2019}\u{fffc}\u{2080}-\u{2089}\u{2060}-\u{207f}\u{2000}-\u{2030}]{0,30}"
        ) {
            proptest::prop_assert_eq!(has_superscript(&s), s.chars().any(is_superscript));
        }
    }

    #[test]
    fn superscripts_are_the_footnote_marks() {
        let marks = "⁰¹²³⁴⁵⁶⁷⁸⁹†‡";
        for c in ('\0'..='\u{3000}').chain(['\u{1d7ce}']) {
            assert_eq!(is_superscript(c), marks.contains(c), "{c:?}");
        }
    }

    #[test]
    fn marks_are_blanked() {
        assert_eq!(
            without_marks("GPQA [^8] is 59% [12] #776¹"),
            "GPQA   is 59%     "
        );
    }

    #[test]
    fn cli_flags_keep_their_dashes() {
        let t = words("use --force or -v - not that");
        let texts: Vec<&str> = t.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(texts, ["use", "--force", "or", "-v", "not", "that"]);
    }
}
