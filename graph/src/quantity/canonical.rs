//! Canonical text: how a quantity is written back (`12.6k`, `~64%`, `10–20 minutes`) and how
//! other text is normalised, so two spellings of one value or phrase compare equal.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::units::GLUED_DISPLAY;
use super::Quantity;

const QUOTES: [char; 9] = ['"', '\'', '`', '“', '”', '‘', '’', '«', '»'];
const DASHES: [char; 7] = ['‐', '‑', '‒', '–', '—', '―', '−'];

/// Strips matching-or-not quote characters from both ends, repeatedly, trimming inside.
pub(super) fn strip_quotes(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        let mut chars = s.chars();
        match (chars.next(), chars.next_back()) {
            (Some(a), Some(z)) if QUOTES.contains(&a) && QUOTES.contains(&z) => {
                s = s[a.len_utf8()..s.len() - z.len_utf8()].trim();
            }
            _ => return s,
        }
    }
}

/// The first `n` words of [`normalise_text`]`(s)`, one space apart, normalising only those
/// words of `s` (a claim's id is made of its first words; its text may be long).
pub fn normalise_words(s: &str, n: usize) -> String {
    // Quotes are stripped only when they wrap the whole text, which the first words cannot tell.
    let normalised = if s.trim_start().starts_with(QUOTES) {
        normalise_text(s)
    } else {
        normalise_text(&first_words(s, n))
    };
    first_words(&normalised, n)
}

/// The first `n` whitespace-separated words of `s`, one space apart.
fn first_words(s: &str, n: usize) -> String {
    let mut out = String::new();
    for word in s.split_whitespace().take(n) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// NFC, lowercase, surrounding quotes stripped, whitespace collapsed and trimmed, dashes unified.
pub fn normalise_text(s: &str) -> String {
    if s.is_ascii() {
        // ASCII is NFC and holds no typographic dash: one copy, folded and lowercased in place.
        // Its words are split byte by byte, not decoded: ASCII whitespace is the whitespace of
        // `split_whitespace` but for the vertical tab, which is rare.
        let mut collapsed = if memchr::memchr(0x0B, s.as_bytes()).is_some() {
            joined(s.split_whitespace(), s.len())
        } else {
            joined(s.split_ascii_whitespace(), s.len())
        };
        collapsed.make_ascii_lowercase();
        let stripped = strip_quotes(&collapsed);
        return if stripped.len() == collapsed.len() {
            collapsed
        } else {
            stripped.to_owned()
        };
    }
    normalise_unicode(s)
}

/// The words one space apart, in a text with room for `len` bytes.
fn joined<'a>(words: impl Iterator<Item = &'a str>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for word in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`normalise_text`] of any text.
fn normalise_unicode(s: &str) -> String {
    let lower = s.to_lowercase();
    // Most text is already NFC: the quick check skips the full normalisation pass for it.
    let nfc: String = if lower.is_ascii()
        || unicode_normalization::is_nfc_quick(lower.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        lower
    } else {
        lower.nfc().collect()
    };
    let mut collapsed = String::with_capacity(nfc.len());
    for word in nfc.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.extend(
            word.chars()
                .map(|c| if DASHES.contains(&c) { '-' } else { c }),
        );
    }
    strip_quotes(&collapsed).to_owned()
}

/// `v` with an SI suffix when it is a round multiple: at least 1e3 (below 1e15) and at most one
/// decimal after scaling (`12.6k`, `11B`; not `1.99k` for 1990).
fn si_form(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    if !(3..15).contains(&exp) {
        return None;
    }
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let k = exp / 3 * 3;
    let int_digits = usize::try_from(exp - k + 1).ok()?;
    if digits.len() > int_digits + 1 {
        return None;
    }
    let (_, suffix) = [(3, "k"), (6, "M"), (9, "B"), (12, "T")]
        .into_iter()
        .find(|&(e, _)| e == k)?;
    let sign = if v < 0.0 { "-" } else { "" };
    let (int, frac) = if digits.len() > int_digits {
        digits.split_at(int_digits)
    } else {
        (digits.as_str(), "")
    };
    let pad = "0".repeat(int_digits.saturating_sub(int.len()));
    let dot = if frac.is_empty() { "" } else { "." };
    Some(format!("{sign}{int}{pad}{dot}{frac}{suffix}"))
}

/// Shortest text that parses back to exactly `v`: positional, or scientific when very large
/// or very small. A bare number that would read as a year gets its thousands comma (`2,025`).
fn plain_form(v: f64, bare: bool) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-5..1e15).contains(&a) {
        format!("{v:e}")
    } else if bare && v.fract() == 0.0 && (1900.0..=2099.0).contains(&v) {
        let s = format!("{v}");
        format!("{},{}", &s[..1], &s[1..])
    } else {
        format!("{v}")
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.approx {
            f.write_str("~")?;
        }
        let glued = self
            .unit
            .as_deref()
            .is_some_and(|u| GLUED_DISPLAY.contains(&u));
        let si_ok = !glued;
        let bare = self.unit.is_none();
        let (low, high) = match self.high {
            Some(h) => match (si_form(self.value), si_form(h)) {
                (Some(l), Some(h)) if si_ok => (l, Some(h)),
                _ => (plain_form(self.value, bare), Some(plain_form(h, bare))),
            },
            None => {
                let low = si_form(self.value)
                    .filter(|_| si_ok)
                    .unwrap_or_else(|| plain_form(self.value, bare));
                (low, None)
            }
        };
        f.write_str(&low)?;
        if let Some(high) = high {
            write!(f, "–{high}")?;
        }
        match self.unit.as_deref() {
            Some(u) if glued => f.write_str(u),
            Some(u) => write!(f, " {u}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_text_normalises_as_any_text(s in "[ -~\t\n\r\u{b}\u{c}]{0,40}") {
            proptest::prop_assert_eq!(normalise_text(&s), normalise_unicode(&s));
        }
    }
}
