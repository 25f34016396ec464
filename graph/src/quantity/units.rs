//! Unit spellings, SI suffixes and the dimensions units convert within.

use std::borrow::Cow;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// How a unit spelling may follow its number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Attach {
    /// Only directly after the number: `720p`, `3x`.
    Glued,
    /// Only as the next word (or hyphenated: `10-minute`).
    Spaced,
    Both,
}

/// Known unit spellings (ASCII, matched case-insensitively) and their canonical forms.
pub(super) const UNITS: &[(&str, &str, Attach)] = &[
    ("%", "%", Attach::Both),
    ("percent", "%", Attach::Spaced),
    ("pp", "pp", Attach::Both),
    ("fps", "fps", Attach::Both),
    ("p", "p", Attach::Glued),
    ("x", "x", Attach::Glued),
    ("px", "px", Attach::Both),
    ("pixel", "px", Attach::Spaced),
    ("pixels", "px", Attach::Spaced),
    ("ms", "ms", Attach::Both),
    ("msec", "ms", Attach::Both),
    ("millisecond", "ms", Attach::Spaced),
    ("milliseconds", "ms", Attach::Spaced),
    ("s", "second", Attach::Both),
    ("sec", "second", Attach::Both),
    ("secs", "second", Attach::Both),
    ("second", "second", Attach::Spaced),
    ("seconds", "second", Attach::Spaced),
    ("min", "minute", Attach::Both),
    ("mins", "minute", Attach::Both),
    ("minute", "minute", Attach::Spaced),
    ("minutes", "minute", Attach::Spaced),
    ("h", "hour", Attach::Both),
    ("hr", "hour", Attach::Both),
    ("hrs", "hour", Attach::Both),
    ("hour", "hour", Attach::Spaced),
    ("hours", "hour", Attach::Spaced),
    ("day", "day", Attach::Spaced),
    ("days", "day", Attach::Spaced),
    ("week", "week", Attach::Spaced),
    ("weeks", "week", Attach::Spaced),
    ("month", "month", Attach::Spaced),
    ("months", "month", Attach::Spaced),
    ("year", "year", Attach::Spaced),
    ("years", "year", Attach::Spaced),
    ("byte", "byte", Attach::Spaced),
    ("bytes", "byte", Attach::Spaced),
    ("kb", "kb", Attach::Both),
    ("mb", "mb", Attach::Both),
    ("gb", "gb", Attach::Both),
    ("tb", "tb", Attach::Both),
    ("pb", "pb", Attach::Both),
    ("kib", "kib", Attach::Both),
    ("mib", "mib", Attach::Both),
    ("gib", "gib", Attach::Both),
    ("tib", "tib", Attach::Both),
    ("flop", "flops", Attach::Spaced),
    ("flops", "flops", Attach::Both),
    ("gflops", "gflops", Attach::Both),
    ("tflops", "tflops", Attach::Both),
    ("pflops", "pflops", Attach::Both),
    ("video", "video", Attach::Spaced),
    ("videos", "video", Attach::Spaced),
    ("parameter", "parameter", Attach::Spaced),
    ("parameters", "parameter", Attach::Spaced),
    ("param", "parameter", Attach::Spaced),
    ("params", "parameter", Attach::Spaced),
    ("token", "token", Attach::Spaced),
    ("tokens", "token", Attach::Spaced),
    ("image", "image", Attach::Spaced),
    ("images", "image", Attach::Spaced),
    ("frame", "frame", Attach::Spaced),
    ("frames", "frame", Attach::Spaced),
    ("point", "point", Attach::Spaced),
    ("points", "point", Attach::Spaced),
    ("pts", "point", Attach::Both),
    ("sample", "sample", Attach::Spaced),
    ("samples", "sample", Attach::Spaced),
    ("example", "example", Attach::Spaced),
    ("examples", "example", Attach::Spaced),
    ("episode", "episode", Attach::Spaced),
    ("episodes", "episode", Attach::Spaced),
    ("task", "task", Attach::Spaced),
    ("tasks", "task", Attach::Spaced),
    ("step", "step", Attach::Spaced),
    ("steps", "step", Attach::Spaced),
    ("epoch", "epoch", Attach::Spaced),
    ("epochs", "epoch", Attach::Spaced),
    ("layer", "layer", Attach::Spaced),
    ("layers", "layer", Attach::Spaced),
    ("gpu", "gpu", Attach::Spaced),
    ("gpus", "gpu", Attach::Spaced),
    ("word", "word", Attach::Spaced),
    ("words", "word", Attach::Spaced),
    ("scene", "scene", Attach::Spaced),
    ("scenes", "scene", Attach::Spaced),
    ("clip", "clip", Attach::Spaced),
    ("clips", "clip", Attach::Spaced),
];

/// Canonical units written directly after the number by `Display`.
pub(super) const GLUED_DISPLAY: &[&str] = &["%", "p", "x"];

/// SI suffixes glued to the number, case-sensitive (lowercase `m` is not mega), as powers of ten.
pub(super) const SI: &[(&str, i32)] = &[
    ("k", 3),
    ("K", 3),
    ("M", 6),
    ("B", 9),
    ("b", 9),
    ("bn", 9),
    ("G", 9),
    ("T", 12),
];

/// SI suffixes allowed as the next word (`39 M`, `11 B`): uppercase only, so that `5 b)` or
/// `3 m` (metres) stay what they are.
pub(super) const SPACED_SI: &[(&str, i32)] =
    &[("K", 3), ("M", 6), ("B", 9), ("bn", 9), ("G", 9), ("T", 12)];

/// The SI exponent of a suffix. Canonical (lowercased) text cannot tell `M` from `m`, so there
/// every letter of the table counts, whatever its case.
pub(super) fn si_exponent(table: &[(&str, i32)], word: &str, lowercase: bool) -> Option<i32> {
    table
        .iter()
        .find(|&&(s, _)| {
            if lowercase {
                s.eq_ignore_ascii_case(word)
            } else {
                s == word
            }
        })
        .map(|&(_, e)| e)
}

/// Scale words written after the number, as powers of ten.
pub(super) const SCALE_WORDS: &[(&str, i32)] = &[
    ("thousand", 3),
    ("million", 6),
    ("billion", 9),
    ("trillion", 12),
];

/// Canonical units that convert into one another, with their size in the dimension's base unit.
/// A unit not listed here is a dimension of its own.
const DIMENSIONS: &[(&str, &str, f64)] = &[
    ("ms", "time", 1e-3),
    ("second", "time", 1.0),
    ("minute", "time", 60.0),
    ("hour", "time", 3600.0),
    ("day", "time", 86_400.0),
    ("week", "time", 604_800.0),
    // Julian year and its twelfth: close enough that `12 months` = `1 year`.
    ("month", "time", 2_629_800.0),
    ("year", "time", 31_557_600.0),
    ("byte", "bytes", 1.0),
    ("kb", "bytes", 1e3),
    ("mb", "bytes", 1e6),
    ("gb", "bytes", 1e9),
    ("tb", "bytes", 1e12),
    ("pb", "bytes", 1e15),
    ("kib", "bytes", 1024.0),
    ("mib", "bytes", 1_048_576.0),
    ("gib", "bytes", 1_073_741_824.0),
    ("tib", "bytes", 1_099_511_627_776.0),
    ("flops", "flops", 1.0),
    ("gflops", "flops", 1e9),
    ("tflops", "flops", 1e12),
    ("pflops", "flops", 1e15),
];

/// The dimension of a canonical unit (`""` for a bare number) and the unit's size in its base.
pub(super) fn dimension(unit: Option<&str>) -> (&str, f64) {
    let Some(unit) = unit else {
        return ("", 1.0);
    };
    DIMENSIONS
        .iter()
        .find(|&&(u, _, _)| u == unit)
        .map_or((unit, 1.0), |&(_, d, f)| (d, f))
}

/// A unit as a quantity holds it: borrowed from the table when it is one of its canonical units
/// (every unit parsing finds is), so hundreds of thousands of quantities hold no copy of one;
/// owned otherwise (a unit an older lock or cache stored that this table no longer has).
pub fn canonical_unit(unit: String) -> Cow<'static, str> {
    static CANONICAL: LazyLock<FxHashMap<&'static str, &'static str>> =
        LazyLock::new(|| UNITS.iter().map(|&(_, c, _)| (c, c)).collect());
    match CANONICAL.get(unit.as_str()) {
        Some(&c) => Cow::Borrowed(c),
        None => Cow::Owned(unit),
    }
}

/// Lowercase unit spellings and their canonical forms: spaced, glued.
type BySpelling = FxHashMap<String, [Option<&'static str>; 2]>;

/// Room for the longest unit spelling, lowercased on the stack by `lookup_unit`.
const LONGEST_SPELLING: usize = 32;

/// Returns the canonical form of a unit spelling allowed in this position.
pub(super) fn lookup_unit(word: &str, glued: bool) -> Option<&'static str> {
    // Every number in every claim looks up the word after it: one hash lookup of the word in
    // ASCII lowercase, instead of a case-insensitive comparison with each spelling in turn.
    static BY_SPELLING: LazyLock<BySpelling> = LazyLock::new(|| {
        let mut map = BySpelling::default();
        for &(spelling, canonical, attach) in UNITS {
            let entry = map.entry(spelling.to_ascii_lowercase()).or_default();
            for (glued, slot) in [false, true].into_iter().zip(entry.iter_mut()) {
                let allowed = match attach {
                    Attach::Both => true,
                    Attach::Glued => glued,
                    Attach::Spaced => !glued,
                };
                // The first spelling in the table wins, as a search in order finds it.
                if allowed && slot.is_none() {
                    *slot = Some(canonical);
                }
            }
        }
        map
    });
    // A word longer than the buffer is longer than every spelling.
    let mut lower = [0u8; LONGEST_SPELLING];
    let lower = lower.get_mut(..word.len())?;
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    BY_SPELLING.get(std::str::from_utf8(lower).ok()?)?[usize::from(glued)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lookup_unit` as a search of the table in order, as the reference.
    fn reference_lookup_unit(word: &str, glued: bool) -> Option<&'static str> {
        UNITS.iter().find_map(|&(spelling, canonical, attach)| {
            let allowed = match attach {
                Attach::Both => true,
                Attach::Glued => glued,
                Attach::Spaced => !glued,
            };
            (allowed && spelling.eq_ignore_ascii_case(word)).then_some(canonical)
        })
    }

    #[test]
    fn every_spelling_in_every_case_is_looked_up_as_the_table_search_finds_it() {
        for &(spelling, _, _) in UNITS {
            let upper = spelling.to_ascii_uppercase();
            let mixed: String = spelling
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            for word in [
                spelling,
                &upper,
                &mixed,
                &format!("{spelling}s"),
                &spelling[1..],
            ] {
                for glued in [false, true] {
                    assert_eq!(
                        lookup_unit(word, glued),
                        reference_lookup_unit(word, glued),
                        "{word} glued {glued}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_spelling_fits_the_lowercasing_buffer() {
        assert!(UNITS.iter().all(|u| u.0.len() <= LONGEST_SPELLING));
    }

    proptest::proptest! {
        #[test]
        fn lookup_unit_is_the_table_search(word in "[a-zA-Z%µé]{0,14}", glued in proptest::bool::ANY) {
            proptest::prop_assert_eq!(lookup_unit(&word, glued), reference_lookup_unit(&word, glued));
        }
    }

    #[test]
    fn every_converting_unit_is_a_canonical_unit() {
        for (unit, _, _) in DIMENSIONS {
            assert!(
                UNITS.iter().any(|(_, c, _)| c == unit),
                "{unit} has a dimension but no spelling"
            );
        }
    }

    #[test]
    fn a_canonical_unit_is_borrowed_from_the_table_and_any_other_is_owned() {
        for (_, canonical, _) in UNITS {
            assert!(
                matches!(canonical_unit(canonical.to_string()), Cow::Borrowed(c) if c == *canonical)
            );
        }
        assert!(matches!(canonical_unit("furlong".to_string()), Cow::Owned(u) if u == "furlong"));
        // A spelling that is not canonical keeps what was stored, as before.
        assert!(matches!(canonical_unit("percent".to_string()), Cow::Owned(u) if u == "percent"));
    }

    #[test]
    fn every_canonical_unit_is_spelled_as_itself() {
        for (_, canonical, _) in UNITS {
            assert!(
                UNITS
                    .iter()
                    .any(|(s, c, _)| s == canonical && c == canonical),
                "{canonical} does not parse back"
            );
        }
    }

    #[test]
    fn time_and_bytes_convert_others_do_not() {
        assert_eq!(dimension(Some("minute")), ("time", 60.0));
        assert_eq!(dimension(Some("gb")), ("bytes", 1e9));
        assert_eq!(dimension(Some("fps")), ("fps", 1.0));
        assert_eq!(dimension(None), ("", 1.0));
    }

    #[test]
    fn spaced_suffixes_are_uppercase_unless_canonical() {
        assert_eq!(si_exponent(SPACED_SI, "M", false), Some(6));
        assert_eq!(si_exponent(SPACED_SI, "m", false), None);
        assert_eq!(si_exponent(SPACED_SI, "m", true), Some(6));
        assert_eq!(si_exponent(SI, "g", false), None);
    }
}
