//! Numbers in claim text and benchmark cells: `11B`, `~64%`, `12,600 videos`, `10–20 minutes`.
//!
//! A hand-written byte scanner (no regex): it runs over every claim of a large research repo.
//! Only measurements are quantities. Identifiers that merely contain digits (`Sora-2`, `GPT4`,
//! `H100`, `3D`), years and dates, versions after a name (`Genie 3`), reference marks (`[12]`,
//! `[^8]`, `#776`), links, math (`$x_2$`) and prompting annotations (`5-shot`, `pass@1`) are not.

mod canonical;
mod compare;
mod not_measured;
mod units;

use std::borrow::Cow;
use std::fmt;

use canonical::strip_quotes;
pub use canonical::{normalise_text, normalise_words};
pub use compare::{
    canonical_numbers_differ, cell_numbers, dimension_change, largest_move, pair, same_values,
};
use not_measured::{hidden_spans, is_year, not_a_measurement, slash_date_end};
pub use units::canonical_unit;
use units::{lookup_unit, si_exponent, SCALE_WORDS, SI, SPACED_SI};

/// Stands in for text that holds no quantity (link text, code) when a caller hides it from
/// the scanner. Before a number it joins like a letter, so `[GPT](…)-4` does not read as -4;
/// after one it ends it, so `64.2[^7]` (a footnote link) is 64.2.
pub const HIDDEN: char = '\u{FFFC}';

/// A number parsed out of text, with its unit. Canonical: two spellings of one value compare equal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Quantity {
    /// The value with any SI suffix applied (`11B` is `11e9`); percentages stay in percent.
    pub value: f64,
    /// Upper bound of a range (`10–20`, `10-20`, `10 to 20`); `value` is the lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// Canonical unit (`%`, `fps`, `p`, `minute`, `video`, ...); `None` for a bare number.
    /// Borrowed from the unit table, as every unit parsing finds is (see [`canonical_unit`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_unit"
    )]
    pub unit: Option<Cow<'static, str>>,
    /// Marked approximate (`~`, `≈`, `about`, `approx.`, `around`, `roughly`, ...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approx: bool,
}

fn deserialize_unit<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'static, str>>, D::Error> {
    let unit: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(unit.map(canonical_unit))
}

/// A benchmark cell or other value: its numbers when the cell starts with (optionally after
/// `~`/`≈`) a number, else normalised text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// Every number of the cell, in order (`47.14GB GPU / 2.96GB CPU` has two).
    Numbers {
        numbers: Vec<Quantity>,
    },
    /// A cell as an older rescore stored it: its first number only. Read from old locks, never
    /// produced by parsing; [`cell_numbers`] compares it with what this version reads.
    Quantity(Quantity),
    Text {
        text: String,
    },
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Numbers { numbers } => {
                for (i, q) in numbers.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" / ")?;
                    }
                    write!(f, "{q}")?;
                }
                Ok(())
            }
            Value::Quantity(q) => write!(f, "{q}"),
            Value::Text { text } => write!(f, "\"{text}\""),
        }
    }
}

/// Whether text is as written (`M` is mega, `m` is not) or canonical, lowercased claim text
/// (where `m` must stand for both, since the two sides of a comparison are read alike).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Written,
    Lowered,
}

/// Words that mark the following number as approximate.
const APPROX_WORDS: &[&str] = &[
    "about",
    "approx",
    "approximately",
    "around",
    "roughly",
    "circa",
];

const APPROX_SIGNS: [char; 3] = ['~', '≈', '∼'];
const HYPHENS: [char; 3] = ['-', '‐', '‑'];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

fn digit_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// One number with its glued suffix or unit, before range and spaced-unit handling.
struct Atom {
    negative: bool,
    /// Byte range of the numeric text (digits, `,` groups, `.` fraction, exponent).
    num: (usize, usize),
    si: i32,
    unit: Option<&'static str>,
    end: usize,
}

enum Scan<T> {
    Found(T),
    /// Not a quantity: resume scanning at this byte.
    Skip(usize),
}

/// End of an identifier-like token that starts at or before `from`.
fn skip_ident(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let mut i = from;
    while let Some(c) = char_at(text, i) {
        if is_word_char(c) || (c == '.' && digit_at(b, i + 1)) {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Where the number whose first digit is at `d` begins: at a leading `.` (`.5`) or a minus sign
/// (`-3.2`, `−.5`) that stands at a word boundary, not before `floor`.
fn number_start(text: &str, d: usize, floor: usize) -> usize {
    let dot_led = d > floor
        && text.as_bytes()[d - 1] == b'.'
        && !char_before(text, d - 1).is_some_and(|c| is_word_char(c) || c == '.');
    let s = if dot_led { d - 1 } else { d };
    sign_start(text, s, floor).unwrap_or(s)
}

/// The byte where a minus sign right before `d` starts, if it is a sign.
fn sign_start(text: &str, d: usize, floor: usize) -> Option<usize> {
    let s = if text[..d].ends_with('-') {
        d - 1
    } else if text[..d].ends_with('−') {
        d - '−'.len_utf8()
    } else {
        return None;
    };
    if s < floor {
        return None;
    }
    match char_before(text, s) {
        Some(c) if is_word_char(c) || c == '.' || HYPHENS.contains(&c) => None,
        _ => Some(s),
    }
}

/// Whether the text left of `start` lets a number begin there (not `GPT4`, `Sora-2`, `v1.2`).
fn left_boundary_ok(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        None => true,
        Some(c) if is_word_char(c) || c == HIDDEN => false,
        // `#776` is an issue or rank, not a measurement.
        Some('#') => false,
        Some(c) if c == '.' || HYPHENS.contains(&c) || c == '@' || c == '^' => {
            let before = char_before(text, start - c.len_utf8());
            let word_joined = match c {
                '.' => before.is_some_and(|p| p.is_ascii_digit()),
                // `pass@1`, `R@5`, `mc^2`.
                '@' | '^' => before.is_some_and(is_word_char),
                _ => before.is_some_and(|p| p.is_alphabetic() || p == HIDDEN),
            };
            !word_joined
        }
        Some(_) => true,
    }
}

/// Scans one number at `start` (a digit, or a sign when `allow_sign`) with its glued suffix.
fn scan_atom(text: &str, start: usize, allow_sign: bool, case: Case) -> Option<Scan<Atom>> {
    let b = text.as_bytes();
    let mut i = start;
    let mut negative = false;
    if allow_sign {
        if b.get(i) == Some(&b'-') {
            negative = true;
            i += 1;
        } else if text[i..].starts_with('−') {
            negative = true;
            i += '−'.len_utf8();
        } else if b.get(i) == Some(&b'+') {
            i += 1;
        }
    }
    let leading_dot = b.get(i) == Some(&b'.') && digit_at(b, i + 1);
    if !digit_at(b, i) && !leading_dot {
        return None;
    }
    let num_start = i;
    while digit_at(b, i) {
        i += 1;
    }
    if (1..=3).contains(&(i - num_start)) {
        while b.get(i) == Some(&b',') && (1..=3).all(|k| digit_at(b, i + k)) && !digit_at(b, i + 4)
        {
            i += 4;
        }
    }
    let int_end = i;
    if b.get(i) == Some(&b'.') && digit_at(b, i + 1) {
        i += 1;
        while digit_at(b, i) {
            i += 1;
        }
        if b.get(i) == Some(&b'.') && digit_at(b, i + 1) {
            return Some(Scan::Skip(skip_ident(text, i)));
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'-' | b'+')));
        if digit_at(b, i + 1 + sign) {
            i += 1 + sign;
            while digit_at(b, i) {
                i += 1;
            }
        }
    }
    let mut num = (num_start, i);
    let mut si = 0;
    // `10^9`, `10^-3`: a power of ten written with a caret is the number 1 scaled.
    if &text[num_start..i] == "10" && b.get(i) == Some(&b'^') {
        let from = i + 1 + usize::from(b.get(i + 1) == Some(&b'-'));
        let mut k = from;
        while digit_at(b, k) && k - from < 3 {
            k += 1;
        }
        if let (true, Ok(exp)) = (k > from && !digit_at(b, k), text[i + 1..k].parse::<i32>()) {
            num = (num_start, num_start + 1);
            si = exp;
            i = k;
        }
    }
    let mut atom = Atom {
        negative,
        num,
        si,
        unit: None,
        end: i,
    };
    let Some(c) = char_at(text, i) else {
        return Some(Scan::Found(atom));
    };
    match c {
        '%' => {
            atom.unit = Some("%");
            atom.end = i + 1;
        }
        '×' => {
            atom.unit = Some("x");
            atom.end = i + c.len_utf8();
        }
        '_' => return Some(Scan::Skip(skip_ident(text, i))),
        c if c.is_alphabetic() => {
            let run_end = text[i..]
                .char_indices()
                .find(|&(_, c)| !c.is_alphabetic())
                .map_or(text.len(), |(k, _)| i + k);
            if char_at(text, run_end).is_some_and(is_word_char) {
                return Some(Scan::Skip(skip_ident(text, run_end)));
            }
            let word = &text[i..run_end];
            let decade =
                word == "s" && int_end - num_start == 4 && i == int_end && b[i - 1] == b'0';
            if decade {
                // `1990s` is a time, not a measurement.
                return Some(Scan::Skip(run_end));
            } else if let Some(unit) = lookup_unit(word, true) {
                atom.unit = Some(unit);
                atom.end = run_end;
            } else if let Some(exp) = si_exponent(SI, word, case == Case::Lowered) {
                atom.si = exp;
                atom.end = run_end;
            } else {
                return Some(Scan::Skip(skip_ident(text, run_end)));
            }
        }
        _ => {}
    }
    // `150+ tasks`, `1M+ hours`: "or more" leaves the number and its unit as they are.
    if atom.unit.is_none() && b.get(atom.end) == Some(&b'+') && !digit_at(b, atom.end + 1) {
        atom.end += 1;
    }
    Some(Scan::Found(atom))
}

/// The numeric value of `text[num]` scaled by `10^si`, if finite.
fn to_f64(text: &str, num: (usize, usize), si: i32, negative: bool) -> Option<f64> {
    let raw = &text[num.0..num.1];
    let magnitude: f64 = if si == 0 && !raw.contains(',') {
        raw.parse().ok()?
    } else {
        let (mantissa, exp) = match raw.find(['e', 'E']) {
            Some(k) => (&raw[..k], raw[k + 1..].parse::<i64>().ok()?),
            None => (raw, 0),
        };
        let mut s = String::with_capacity(mantissa.len() + 8);
        s.extend(mantissa.chars().filter(|&c| c != ','));
        s.push('e');
        s.push_str(&exp.saturating_add(i64::from(si)).to_string());
        s.parse().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    value.is_finite().then_some(value)
}

enum RangeSep {
    /// `10-20`: a plain hyphen, no spaces.
    TightHyphen,
    /// `10 - 20`, `10–20`, `10 to 20`: the second number may carry a sign.
    Other,
}

/// Finds a range separator at `i`; returns its kind and where the second number starts.
fn range_sep(text: &str, i: usize) -> Option<(RangeSep, usize)> {
    let rest = &text[i..];
    let b = rest.as_bytes();
    if b.first() == Some(&b'-') && digit_at(b, 1) {
        return Some((RangeSep::TightHyphen, i + 1));
    }
    let after_spaces = rest.trim_start_matches(' ');
    let spaced = after_spaces.len() < rest.len();
    let (sep_len, needs_space) = if after_spaces.starts_with('–') {
        ('–'.len_utf8(), false)
    } else if after_spaces.starts_with('-') {
        (1, true)
    } else if spaced && after_spaces.starts_with("to ") {
        (2, true)
    } else {
        return None;
    };
    if needs_space && !spaced {
        return None;
    }
    let tail = &after_spaces[sep_len..];
    let second = tail.trim_start_matches(' ');
    if needs_space && second.len() == tail.len() {
        return None;
    }
    Some((RangeSep::Other, text.len() - second.len()))
}

/// The ASCII word starting at `start`, if it ends at a non-word character.
fn word_at(text: &str, start: usize) -> Option<(&str, usize)> {
    let len = text[start..]
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    let end = start + len;
    let bounded = len > 0 && !char_at(text, end).is_some_and(is_word_char);
    bounded.then(|| (&text[start..end], end))
}

/// The ASCII word after exactly one space at `i`.
fn word_after_space(text: &str, i: usize) -> Option<(&str, usize)> {
    text[i..].starts_with(' ').then(|| word_at(text, i + 1))?
}

/// A scale word after the number (`11 billion`) as a power of ten.
fn scale_word_after(text: &str, i: usize) -> Option<(i32, usize)> {
    let (word, end) = word_after_space(text, i)?;
    SCALE_WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|&(_, exp)| (exp, end))
}

/// An SI suffix as the next word (`39 M`, `11 B parameters`), not the start of a hyphenated
/// word (`5 B-tree`) unless that word is a unit (`7 B-parameter`).
fn spaced_si_after(text: &str, i: usize, case: Case) -> Option<(i32, usize)> {
    let (word, end) = word_after_space(text, i)?;
    let exp = si_exponent(SPACED_SI, word, case == Case::Lowered)?;
    let hyphenated =
        text[end..].starts_with('-') && char_at(text, end + 1).is_some_and(char::is_alphabetic);
    (!hyphenated || unit_after(text, end).is_some()).then_some((exp, end))
}

/// A unit written as the next word (`11B parameters`, `64 %`) or hyphenated (`10-minute`).
fn unit_after(text: &str, i: usize) -> Option<(&'static str, usize)> {
    let rest = &text[i..];
    if let Some(after) = rest.strip_prefix(" %") {
        let bounded = !after.chars().next().is_some_and(is_word_char);
        return bounded.then_some(("%", i + 2));
    }
    let (word, end) = if rest.starts_with('-') {
        word_at(text, i + 1).filter(|(w, _)| w.len() > 1)?
    } else {
        word_after_space(text, i)?
    };
    lookup_unit(word, false).map(|unit| (unit, end))
}

/// Whether `~`, `≈` or an approximation word stands right before `start`.
fn approx_before(text: &str, start: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t', '\u{a0}']);
    if before.ends_with(APPROX_SIGNS) {
        return true;
    }
    if before.len() == start {
        return false;
    }
    let before = before.strip_suffix('.').unwrap_or(before);
    let prefix = before.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if prefix.chars().next_back().is_some_and(char::is_alphabetic) {
        return false;
    }
    let word = &before[prefix.len()..];
    APPROX_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// A number's text, SI exponent and sign, converted to `f64` only once the range is settled.
#[derive(Clone, Copy)]
struct Bound {
    num: (usize, usize),
    si: i32,
    negative: bool,
}

impl Bound {
    fn of(atom: &Atom) -> Self {
        Bound {
            num: atom.num,
            si: atom.si,
            negative: atom.negative,
        }
    }

    fn value(self, text: &str) -> Option<f64> {
        to_f64(text, self.num, self.si, self.negative)
    }
}

/// What follows an atom without a glued unit: an optional scale word or spaced SI suffix,
/// then an optional unit.
struct Tail {
    si: i32,
    unit: Option<&'static str>,
    end: usize,
}

fn tail_after(text: &str, atom: &Atom, case: Case) -> Tail {
    let mut tail = Tail {
        si: 0,
        unit: atom.unit,
        end: atom.end,
    };
    if atom.unit.is_some() {
        return tail;
    }
    if atom.si == 0 {
        let scale =
            scale_word_after(text, atom.end).or_else(|| spaced_si_after(text, atom.end, case));
        if let Some((exp, end)) = scale {
            tail.si = exp;
            tail.end = end;
        }
    }
    if let Some((unit, end)) = unit_after(text, tail.end) {
        tail.unit = Some(unit);
        tail.end = end;
    }
    tail
}

/// A number read at one place, with what the filters for non-measurements need to know.
struct Parsed {
    quantity: Quantity,
    end: usize,
    /// The digits, when the number is written bare: no sign, suffix, unit or range.
    plain: Option<(usize, usize)>,
}

/// Parses the quantity that starts at `start` (a sign or digit with a valid left boundary).
fn parse_at(text: &str, start: usize, case: Case) -> Scan<Parsed> {
    let b = text.as_bytes();
    let first = match scan_atom(text, start, true, case) {
        Some(Scan::Found(atom)) => atom,
        Some(Scan::Skip(end)) => return Scan::Skip(end),
        None => return Scan::Skip(start + 1),
    };
    let bare = |a: &Atom| !a.negative && a.si == 0 && a.unit.is_none();

    if let Some((sep, second_start)) = range_sep(text, first.end) {
        let allow_sign = matches!(sep, RangeSep::Other);
        if let Some(Scan::Found(second)) = scan_atom(text, second_start, allow_sign, case) {
            let chained = matches!(sep, RangeSep::TightHyphen)
                && b.get(second.end) == Some(&b'-')
                && digit_at(b, second.end + 1);
            if chained {
                let mut k = second.end;
                while b.get(k) == Some(&b'-') && digit_at(b, k + 1) {
                    k += 1;
                    while digit_at(b, k) {
                        k += 1;
                    }
                }
                return Scan::Skip(skip_ident(text, k));
            }
            let tail = tail_after(text, &second, case);
            let years = bare(&first)
                && bare(&second)
                && tail.si == 0
                && tail.unit.is_none()
                && is_year(&text[first.num.0..first.num.1])
                && is_year(&text[second.num.0..second.num.1]);
            if years {
                return Scan::Skip(tail.end);
            }
            let high = Bound {
                si: second.si + tail.si,
                ..Bound::of(&second)
            };
            let mut low = Bound::of(&first);
            if first.si == 0 && first.unit.is_none() {
                low.si = high.si;
            }
            let units_agree = match (first.unit, tail.unit) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if let (true, Some(lo), Some(hi)) = (units_agree, low.value(text), high.value(text)) {
                if lo <= hi {
                    let quantity = Quantity {
                        value: lo,
                        high: Some(hi),
                        unit: tail.unit.or(first.unit).map(Cow::Borrowed),
                        approx: approx_before(text, start),
                    };
                    return Scan::Found(Parsed {
                        quantity,
                        end: tail.end,
                        plain: None,
                    });
                }
            }
        }
    }

    let tail = tail_after(text, &first, case);
    let bound = Bound {
        si: first.si + tail.si,
        ..Bound::of(&first)
    };
    let Some(value) = bound.value(text) else {
        return Scan::Skip(skip_ident(text, first.end));
    };
    let plain = (bare(&first) && tail.si == 0 && tail.unit.is_none() && b[start] != b'+')
        .then_some(first.num);
    let quantity = Quantity {
        value,
        high: None,
        unit: tail.unit.map(Cow::Borrowed),
        approx: approx_before(text, start),
    };
    Scan::Found(Parsed {
        quantity,
        end: tail.end,
        plain,
    })
}

/// Where a number stands: in running text, or first in a benchmark cell, where the cell is the
/// value (`Context | 2048` is a length, not a year).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Text,
    CellStart,
}

/// Reads the measurement that starts at `start`, or says where to resume.
fn measurement_at(text: &str, start: usize, case: Case, at: Place) -> Scan<Parsed> {
    if let Some(end) = slash_date_end(text, start) {
        return Scan::Skip(end);
    }
    match parse_at(text, start, case) {
        Scan::Found(parsed) => match not_a_measurement(text, start, &parsed, case, at) {
            Some(end) => Scan::Skip(end),
            None => Scan::Found(parsed),
        },
        skip => skip,
    }
}

/// The first ASCII digit at or after `from`, eight bytes at a time: digits are sparse in
/// claim text.
fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        // Per byte, with no carry into the next (every sum stays below 0x100): the high bit
        // says "at least `0`" and "above `9`" of the byte without its own high bit.
        let low = w & !HIGH;
        let from_zero = low + ONES * (0x80 - b'0' as u64);
        let past_nine = low + ONES * (0x80 - b'9' as u64 - 1);
        let digits = from_zero & !past_nine & !w & HIGH;
        if digits != 0 {
            return Some(i + (digits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|k| i + k)
}

/// Every measurement at or after `from`, in order.
fn scan_from(text: &str, from: usize, case: Case) -> Vec<Quantity> {
    let b = text.as_bytes();
    let hidden = hidden_spans(text);
    let mut h = 0;
    let mut out = Vec::new();
    let mut i = from;
    while let Some(d) = next_digit(b, i) {
        while hidden.get(h).is_some_and(|&(_, end)| end <= d) {
            h += 1;
        }
        if let Some(&(s, end)) = hidden.get(h) {
            if s <= d {
                i = end;
                continue;
            }
        }
        let start = number_start(text, d, i);
        if !left_boundary_ok(text, start) {
            i = skip_ident(text, d);
            continue;
        }
        match measurement_at(text, start, case, Place::Text) {
            Scan::Found(parsed) => {
                out.push(parsed.quantity);
                i = parsed.end;
            }
            Scan::Skip(end) => i = end.max(d + 1),
        }
    }
    out
}

/// Every measurement in a claim sentence as written, in order of appearance.
pub fn extract_quantities(text: &str) -> Vec<Quantity> {
    scan_from(text, 0, Case::Written)
}

/// Every measurement in canonical (lowercased) text, read the same way on both sides of a
/// comparison.
pub fn read_canonical(text: &str) -> Vec<Quantity> {
    scan_from(text, 0, Case::Lowered)
}

/// Byte offset after a leading `~`/`≈` or approximation word and the spaces after it.
fn skip_approx_prefix(s: &str) -> usize {
    let rest = if let Some(r) = s.strip_prefix(APPROX_SIGNS) {
        r
    } else {
        let word_len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
        let word = &s[..word_len];
        if APPROX_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            let r = &s[word_len..];
            let r = r.strip_prefix('.').unwrap_or(r);
            if !r.starts_with([' ', '\t', '\u{a0}']) {
                return 0;
            }
            r
        } else {
            return 0;
        }
    };
    s.len() - rest.trim_start_matches([' ', '\t', '\u{a0}']).len()
}

fn read_value(cell: &str, case: Case) -> Value {
    let inner = strip_quotes(cell);
    let start = skip_approx_prefix(inner);
    let hidden_at_start = hidden_spans(inner)
        .first()
        .is_some_and(|&(s, _)| s == start);
    if !hidden_at_start {
        if let Scan::Found(first) = measurement_at(inner, start, case, Place::CellStart) {
            let mut numbers = vec![first.quantity];
            numbers.extend(scan_from(inner, first.end, case));
            return Value::Numbers { numbers };
        }
    }
    Value::Text {
        text: normalise_text(cell),
    }
}

/// Parses a whole cell: every number if it starts with one (words between numbers ignored),
/// else text.
pub fn parse_value(cell: &str) -> Value {
    read_value(cell, Case::Written)
}

/// [`parse_value`] for a cell already canonical (lowercased), as a text value stores it.
pub fn read_canonical_value(cell: &str) -> Value {
    read_value(cell, Case::Lowered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(text: &str) -> Quantity {
        match parse_value(text) {
            Value::Numbers { mut numbers } if numbers.len() == 1 => numbers.remove(0),
            other => panic!("not one quantity: {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_next_digit_is_found_among_every_byte_at_every_place() {
        for b in 0..=255u8 {
            for at in 0..19 {
                let mut bytes = vec![b'a'; 19];
                bytes[at] = b;
                let want = b.is_ascii_digit().then_some(at);
                assert_eq!(next_digit(&bytes, 0), want, "{b:#x} at {at}");
            }
        }
    }

    proptest! {
        #[test]
        fn the_next_digit_is_the_first_by_position(
            bytes in prop::collection::vec(any::<u8>(), 0..40),
            from in 0usize..41,
        ) {
            let want = bytes
                .get(from..)
                .and_then(|rest| rest.iter().position(u8::is_ascii_digit))
                .map(|k| from + k);
            prop_assert_eq!(next_digit(&bytes, from), want);
        }
    }

    #[test]
    fn relative_change_of_a_large_move() {
        assert!(close(q("~64%").relative_change(&q("~38.4%")), 0.4));
        assert!(close(q("10").relative_change(&q("14")), 0.4));
        assert!(q("~64%").relative_change(&q("~41%")) > 0.1);
    }

    #[test]
    fn relative_change_of_a_small_move() {
        assert!(close(q("100").relative_change(&q("101")), 0.01));
        assert!(close(q("11B").relative_change(&q("11.11B")), 0.01));
        assert!(q("58.7%").relative_change(&q("58.7 %")) == 0.0);
    }

    #[test]
    fn relative_change_of_ranges_uses_midpoints() {
        assert!(close(q("10–20").relative_change(&q("10–30")), 1.0 / 3.0));
        assert!(close(q("10-20").relative_change(&q("15")), 0.0));
        assert!(close(q("20").relative_change(&q("10 to 30")), 0.0));
    }

    #[test]
    fn relative_change_from_zero() {
        assert!(q("0").relative_change(&q("0")) == 0.0);
        assert!(q("0%").relative_change(&q("1%")).is_infinite());
        assert!(q("-5–5").relative_change(&q("0")) == 0.0);
        assert!(close(q("-3.2").relative_change(&q("-1.6")), 0.5));
    }

    #[test]
    fn same_dimension_compares_units_that_convert() {
        assert!(q("24 fps").same_dimension(&q("30fps")));
        assert!(q("2 mins").same_dimension(&q("1 minute")));
        assert!(q("1 minute").same_dimension(&q("1 hour")));
        assert!(q("2 GB").same_dimension(&q("300 MB")));
        assert!(q("11B").same_dimension(&q("3")));
        assert!(!q("64%").same_dimension(&q("64")));
        assert!(!q("720p").same_dimension(&q("720 pts")));
        assert!(!q("1 GB").same_dimension(&q("1 hour")));
    }

    #[test]
    fn hidden_text_joins_before_a_number_and_ends_one() {
        let hidden = format!("{HIDDEN}-4 at {HIDDEN}3 and 5{HIDDEN} or 6B{HIDDEN}");
        let shown: Vec<String> = extract_quantities(&hidden)
            .iter()
            .map(Quantity::to_string)
            .collect();
        assert_eq!(shown, ["5", "6B"]);
    }

    #[test]
    fn value_display_joins_numbers() {
        assert_eq!(
            parse_value("47.14GB GPU / 2.96GB CPU").to_string(),
            "47.14 gb / 2.96 gb"
        );
        assert_eq!(parse_value("n/a").to_string(), "\"n/a\"");
        let old = Value::Quantity(q("11B"));
        assert_eq!(old.to_string(), "11B");
    }

    #[test]
    fn display_forms() {
        let cases = [
            ("11B", "11B"),
            ("1.2k", "1.2k"),
            ("12600", "12.6k"),
            ("12,345", "12345"),
            ("120000", "120k"),
            ("1990 tokens", "1990 token"),
            ("2025.5", "2025.5"),
            ("2,025", "2,025"),
            ("1250000", "1250000"),
            ("1.5M", "1.5M"),
            ("~64%", "~64%"),
            ("≈ 0.3", "~0.3"),
            ("24fps", "24 fps"),
            ("720p", "720p"),
            ("10-20", "10–20"),
            ("7-70B params", "7B–70B parameter"),
            ("1200%", "1200%"),
            ("1e-7", "1e-7"),
            ("2e20", "2e20"),
            ("-3.2", "-3.2"),
        ];
        for (input, shown) in cases {
            let parsed = q(input);
            assert_eq!(parsed.to_string(), shown, "{input}");
            assert_eq!(q(shown), parsed, "{input} -> {shown}");
        }
    }

    #[test]
    fn serde_shape() {
        let v = parse_value("~10–20 minutes");
        insta::assert_json_snapshot!(v, @r#"
        {
          "kind": "numbers",
          "numbers": [
            {
              "value": 10.0,
              "high": 20.0,
              "unit": "minute",
              "approx": true
            }
          ]
        }
        "#);
        insta::assert_json_snapshot!(parse_value("11B"), @r#"
        {
          "kind": "numbers",
          "numbers": [
            {
              "value": 11000000000.0
            }
          ]
        }
        "#);
        insta::assert_json_snapshot!(parse_value("\"A  few minutes\""), @r#"
        {
          "kind": "text",
          "text": "a few minutes"
        }
        "#);
    }

    fn unit_strategy() -> impl Strategy<Value = Option<Cow<'static, str>>> {
        let mut canonical: Vec<&'static str> = units::UNITS.iter().map(|&(_, c, _)| c).collect();
        canonical.dedup();
        proptest::option::of(proptest::sample::select(canonical).prop_map(Cow::Borrowed))
    }

    fn number_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            (-1_000_000i64..1_000_000, 0i32..4).prop_map(|(m, s)| m as f64 / 10f64.powi(s)),
            (
                1i64..10_000,
                prop_oneof![Just(1e3), Just(1e6), Just(1e9), Just(1e12)]
            )
                .prop_map(|(m, scale)| m as f64 / 10.0 * scale),
        ]
    }

    fn quantity_strategy() -> impl Strategy<Value = Quantity> {
        (
            number_strategy(),
            proptest::option::of(number_strategy()),
            unit_strategy(),
            any::<bool>(),
        )
            .prop_map(|(a, b, unit, approx)| {
                let (value, high) = match b {
                    Some(b) => (a.min(b), Some(a.max(b))),
                    None => (a, None),
                };
                Quantity {
                    value,
                    high,
                    unit,
                    approx,
                }
            })
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in any::<String>()) {
            let _ = extract_quantities(&s);
            let _ = read_canonical(&s);
            let _ = parse_value(&s);
            let _ = normalise_text(&s);
        }

        #[test]
        fn numeric_looking_text_never_panics(s in "[0-9a-zA-Z ~≈.,%×–—−\"'-]{0,40}") {
            for q in extract_quantities(&s) {
                prop_assert!(q.value.is_finite());
                prop_assert!(q.high.is_none_or(|h| h >= q.value));
            }
            let _ = parse_value(&s);
        }

        #[test]
        fn marked_up_text_never_panics(s in "[0-9a-zA-Z ~$\\[\\]()#@^/+:.,%×–-]{0,40}") {
            for q in extract_quantities(&s).into_iter().chain(read_canonical(&s)) {
                prop_assert!(q.value.is_finite());
            }
            let _ = parse_value(&s);
            let _ = read_canonical_value(&s);
        }

        #[test]
        fn normalise_words_are_the_first_words_of_the_normalised_text(
            s in prop_oneof![any::<String>(), "[\"'“”«» \n\taAΣσς\u{301}\u{327}e—–-]{0,24}"],
            n in 0usize..8,
        ) {
            let whole = normalise_text(&s);
            let first: Vec<&str> = whole.split_whitespace().take(n).collect();
            prop_assert_eq!(normalise_words(&s, n), first.join(" "));
        }

        #[test]
        fn normalise_text_is_idempotent(s in any::<String>()) {
            let once = normalise_text(&s);
            prop_assert_eq!(normalise_text(&once), once);
        }

        #[test]
        fn display_round_trips(quantity in quantity_strategy()) {
            let shown = quantity.to_string();
            prop_assert_eq!(
                parse_value(&shown),
                Value::Numbers { numbers: vec![quantity.clone()] },
                "{}",
                shown
            );
            prop_assert_eq!(extract_quantities(&shown), vec![quantity], "{}", shown);
        }
    }
}
