//! "Did you mean": the nearest word within a small edit distance, over a short list of
//! candidates (`did_you_mean`), or over every page name of a large repo, kept in step as pages
//! come and go (`NearNames`).

use std::borrow::Cow;

/// The least similarity a "did you mean" candidate has.
const NEAR: f64 = 0.6;

/// The closest candidate within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let bag = AsciiBag::of(&word);
    candidates
        .into_iter()
        .filter(|c| bag.as_ref().is_none_or(|b| !b.surely_far(c)))
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&word, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= NEAR)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "Did you mean" over a large set of names asked about many words (every broken link among
/// every page name), kept in step as names come and go. Names are held lowercased, grouped by
/// their number of characters so a word only visits the lengths that can reach `NEAR`. It
/// answers as `did_you_mean` over its names in sorted order: a tie goes to the greater name,
/// whatever order the names came in, so the watcher's set, grown a page at a time, answers as
/// a fresh one.
#[derive(Default)]
pub struct NearNames {
    /// `by_chars[n]`: the names with `n` characters, in no order, once per use.
    by_chars: Vec<Vec<NearName>>,
}

struct NearName {
    lower: Box<str>,
    /// The bytes `lower` has, when it is ASCII.
    bytes: Option<u128>,
}

impl NearName {
    fn new(lower: Cow<'_, str>) -> NearName {
        NearName {
            bytes: ascii_bytes(&lower),
            lower: lower.into(),
        }
    }
}

impl NearNames {
    pub fn new(names: impl IntoIterator<Item = impl AsRef<str>>) -> NearNames {
        let mut near = NearNames::default();
        for name in names {
            near.insert(name.as_ref());
        }
        near
    }

    /// Adds one use of `name`.
    pub fn insert(&mut self, name: &str) {
        let lower = lowercase(name);
        self.group(&lower).push(NearName::new(lower));
    }

    /// Drops one use of `name`; the name goes with its last use.
    pub fn remove(&mut self, name: &str) {
        let lower = lowercase(name);
        let Some(group) = self.by_chars.get_mut(char_count(&lower)) else {
            return;
        };
        if let Some(k) = group.iter().position(|n| *n.lower == *lower) {
            group.swap_remove(k);
        }
    }

    fn group(&mut self, lower: &str) -> &mut Vec<NearName> {
        let chars = char_count(lower);
        if self.by_chars.len() <= chars {
            self.by_chars.resize_with(chars + 1, Vec::new);
        }
        &mut self.by_chars[chars]
    }

    /// The name closest to `word`, lowercased, as `did_you_mean` would pick it from the sorted
    /// names. A name is skipped, before its edit distance is computed, when a lower bound on
    /// that distance shows it cannot beat the best so far (nor tie it as a greater name).
    pub fn nearest(&self, word: &str) -> Option<&str> {
        let word = word.to_lowercase();
        let bag = AsciiBag::of(&word);
        let chars = word.chars().count();
        let bytes = ascii_bytes(&word);
        // The best score a name of `n` characters can have at distance `d` or more.
        let upper = |n: usize, d: usize| {
            let longest = chars.max(n);
            if longest == 0 {
                1.0
            } else {
                1.0 - (d as f64) / (longest as f64)
            }
        };
        // Lengths nearest the word's first, so the bar rises early.
        let mut lengths: Vec<usize> = (0..self.by_chars.len())
            .filter(|&n| upper(n, chars.abs_diff(n)) >= NEAR)
            .collect();
        lengths.sort_by_key(|&n| n.abs_diff(chars));
        let mut best: Option<(f64, &NearName)> = None;
        for n in lengths {
            // No name of this length can reach the best so far.
            let reach = upper(n, chars.abs_diff(n));
            if reach < best.map_or(NEAR, |(s, _)| s) {
                continue;
            }
            for c in &self.by_chars[n] {
                let loses = |bound: f64| match best {
                    None => bound < NEAR,
                    Some((s, b)) => bound < s || (bound == s && c.lower < b.lower),
                };
                if loses(reach) {
                    continue;
                }
                if let (Some(w), Some(b)) = (bytes, c.bytes) {
                    // Bytes one has and the other lacks bound the distance as in `AsciiBag`,
                    // more loosely but at the cost of two masks.
                    let d = (b & !w).count_ones().max((w & !b).count_ones());
                    if loses(upper(n, d as usize)) {
                        continue;
                    }
                }
                if let Some(bag) = &bag {
                    if loses(upper(n, bag.least_distance(&c.lower))) {
                        continue;
                    }
                }
                let score = strsim::normalized_damerau_levenshtein(&word, &c.lower);
                if !loses(score) {
                    best = Some((score, c));
                }
            }
        }
        best.map(|(_, c)| &*c.lower)
    }
}

/// `s` lowercased, borrowed when it already is (page names nearly always are).
fn lowercase(s: &str) -> Cow<'_, str> {
    let lower = if s.is_ascii() {
        !s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        // Titlecase letters (`ǅ`) are not uppercase, and still change.
        s.chars().all(|c| {
            let mut l = c.to_lowercase();
            l.next() == Some(c) && l.next().is_none()
        })
    };
    if lower {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Which bytes an ASCII word has, one bit each.
fn ascii_bytes(word: &str) -> Option<u128> {
    word.is_ascii()
        .then(|| word.bytes().fold(0u128, |m, b| m | 1u128 << b))
}

/// The letters of an ASCII word, to rule out a far candidate without computing the edit
/// distance (the watcher asks about a broken link among every page name of a large repo).
struct AsciiBag {
    /// Each distinct letter and how often it occurs.
    letters: Vec<(u8, u16)>,
    len: usize,
}

/// Distinct letters a word may have for the shortcut (more: no shortcut).
const BAG_LETTERS: usize = 32;

impl AsciiBag {
    fn of(word: &str) -> Option<AsciiBag> {
        if !word.is_ascii() {
            return None;
        }
        let mut letters: Vec<(u8, u16)> = Vec::new();
        for b in word.bytes() {
            match letters.iter_mut().find(|(l, _)| *l == b) {
                Some((_, n)) => *n = n.saturating_add(1),
                None => letters.push((b, 1)),
            }
        }
        (letters.len() <= BAG_LETTERS).then_some(AsciiBag {
            letters,
            len: word.len(),
        })
    }

    /// Whether `candidate` (lowercased) is surely less similar than `NEAR`.
    fn surely_far(&self, candidate: &str) -> bool {
        if !candidate.is_ascii() {
            return false;
        }
        let longest = self.len.max(candidate.len());
        let score = |bound: usize| 1.0 - (bound as f64) / (longest as f64);
        if longest == 0 {
            return false;
        }
        // The length difference alone, before looking at letters.
        if score(self.len.abs_diff(candidate.len())) < NEAR {
            return true;
        }
        score(self.least_distance(candidate)) < NEAR
    }

    /// A lower bound on the edit distance to `candidate` (lowercased): the letters one has
    /// and the other lacks (each edit adds or drops at most one of each side's, a
    /// transposition none). Nothing is known of a candidate that is not ASCII.
    fn least_distance(&self, candidate: &str) -> usize {
        if !candidate.is_ascii() {
            return 0;
        }
        let mut left = [0u16; BAG_LETTERS];
        for (slot, (_, n)) in left.iter_mut().zip(&self.letters) {
            *slot = *n;
        }
        let mut extra = 0usize;
        for b in candidate.bytes().map(|b| b.to_ascii_lowercase()) {
            match self.letters.iter().position(|(l, _)| *l == b) {
                Some(k) if left[k] > 0 => left[k] -= 1,
                _ => extra += 1,
            }
        }
        let missing = self.len - (candidate.len() - extra);
        extra.max(missing)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// `did_you_mean` without the letter-bag shortcut.
    fn did_you_mean_by_distance_alone<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let word = word.to_lowercase();
        candidates
            .iter()
            .map(|c| {
                (
                    strsim::normalized_damerau_levenshtein(&word, &c.to_lowercase()),
                    *c,
                )
            })
            .filter(|(score, _)| *score >= NEAR)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c)
    }

    /// What `NearNames` over `names` answers: `did_you_mean` over them lowercased and sorted.
    fn sorted_answer(word: &str, names: &[&str]) -> Option<String> {
        let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        did_you_mean(word, lower.iter().map(String::as_str)).map(str::to_string)
    }

    proptest::proptest! {
        #[test]
        fn the_letter_bag_shortcut_never_changes_the_answer(
            word in "[a-dA-D0-3é]{0,7}",
            candidates in proptest::collection::vec("[a-dA-D0-3é-]{0,8}", 0..12),
        ) {
            let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(
                did_you_mean(&word, refs.iter().copied()),
                did_you_mean_by_distance_alone(&word, &refs)
            );
        }

        #[test]
        fn near_names_answer_as_did_you_mean_over_the_sorted_names(
            word in "[a-eA-CéÉİǅ\u{212A}1-]{0,7}",
            candidates in proptest::collection::vec("[a-eA-CéÉİǅ\u{212A}1-]{0,9}", 0..16),
            repeats in proptest::collection::vec(0usize..16, 0..6),
        ) {
            // Duplicates, as when a page's id is also its title.
            let mut refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
            for k in repeats {
                if let Some(c) = refs.get(k).copied() {
                    refs.push(c);
                }
            }
            let near = NearNames::new(refs.iter().copied());
            proptest::prop_assert_eq!(
                near.nearest(&word).map(str::to_string),
                sorted_answer(&word, &refs)
            );
        }

        /// Names added and removed one at a time (pages coming and going in the watcher)
        /// answer as the names left, taken at once.
        #[test]
        fn near_names_kept_in_step_answer_as_the_names_left(
            start in proptest::collection::vec("[a-eA-CéÉİǅ\u{212A}1-]{0,6}", 0..10),
            steps in proptest::collection::vec(
                (proptest::bool::ANY, "[a-eA-CéÉİǅ\u{212A}1-]{0,6}", 0usize..10),
                0..24,
            ),
            words in proptest::collection::vec("[a-eA-CéÉİǅ\u{212A}1-]{0,6}", 1..4),
        ) {
            let mut near = NearNames::new(start.iter().map(String::as_str));
            let mut held: BTreeMap<String, usize> = BTreeMap::new();
            for s in &start {
                *held.entry(s.to_lowercase()).or_default() += 1;
            }
            for (add, name, pick) in steps {
                if add {
                    near.insert(&name);
                    *held.entry(name.to_lowercase()).or_default() += 1;
                } else {
                    // Mostly a name that is there, as the index only drops names it holds.
                    let name = held.keys().nth(pick).cloned().unwrap_or(name);
                    near.remove(&name);
                    if let Some(n) = held.get_mut(&name.to_lowercase()) {
                        *n -= 1;
                        if *n == 0 {
                            held.remove(&name.to_lowercase());
                        }
                    }
                }
            }
            let left: Vec<&str> = held.keys().map(String::as_str).collect();
            for w in &words {
                proptest::prop_assert_eq!(
                    near.nearest(w).map(str::to_string),
                    sorted_answer(w, &left)
                );
            }
        }
    }

    #[test]
    fn a_tie_goes_to_the_greater_name_whatever_the_order() {
        for tied in [["abcx", "ABXD", "zz"], ["ABXD", "abcx", "zz"]] {
            assert_eq!(NearNames::new(tied).nearest("abcd"), Some("abxd"));
        }
        let mut grown = NearNames::new(["abxd"]);
        grown.insert("abcx");
        assert_eq!(grown.nearest("abcd"), Some("abxd"));
        assert_eq!(NearNames::new(["abcx"]).nearest("qqqq"), None);
        assert_eq!(NearNames::new([""]).nearest(""), Some(""));
    }

    #[test]
    fn a_name_held_twice_stays_until_both_are_removed() {
        let mut near = NearNames::new(["jepa", "JEPA"]);
        near.remove("jepa");
        assert_eq!(near.nearest("jepaa"), Some("jepa"));
        near.remove("Jepa");
        assert_eq!(near.nearest("jepaa"), None);
        near.remove("jepa");
        assert_eq!(near.nearest("jepaa"), None);
    }

    #[test]
    fn a_titlecase_name_is_lowercased_too() {
        assert_eq!(lowercase("ǅx"), "ǆx");
        assert_eq!(NearNames::new(["ǅxyz"]).nearest("ǆxyy"), Some("ǆxyz"));
    }

    #[test]
    fn did_you_mean_finds_a_near_word_and_not_a_far_one() {
        let scale = ["speculative", "weak", "moderate", "strong"];
        assert_eq!(did_you_mean("strnog", scale), Some("strong"));
        assert_eq!(did_you_mean("banana", scale), None);
    }
}
