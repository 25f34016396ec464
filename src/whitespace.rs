//! Splitting text at whitespace as `char::is_whitespace` does, at byte speed: the page parse
//! splits every claim several times, and std's `split(char::is_whitespace)` decodes every
//! character through a generic pattern. Only non-ASCII characters are decoded here.

/// `char::is_whitespace` of an ASCII byte: unlike `u8::is_ascii_whitespace` it counts the
/// vertical tab.
pub fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// From `i`, eight bytes at a time past the bytes `stops` leaves unmarked (it sets the high bit
/// of each byte it marks): the place of the first marked byte, or where the last whole eight
/// bytes end when none is marked (the caller looks at the rest one byte at a time).
fn skip_words(bytes: &[u8], mut i: usize, stops: impl Fn(u64) -> u64) -> usize {
    while let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        match stops(u64::from_le_bytes(*chunk)) {
            0 => i += 8,
            m => return i + (m.trailing_zeros() / 8) as usize,
        }
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Marks (the high bit of) each byte of `w` outside `first..=0x7E`. Exact per byte, with no
/// carry from one byte into the next, as every sum stays below 0x100.
fn outside(w: u64, first: u8) -> u64 {
    let low = w & !HIGH;
    let below = !(low + ONES * u64::from(0x80 - first));
    let delete = low + ONES;
    (w | below | delete) & HIGH
}

/// The runs of words of `s`: the maximal ranges whose words are one plain space apart, in
/// order. Joined by one space they are `fold(s)`; between two runs is whitespace other than
/// one plain space before a word.
pub fn runs(s: &str) -> Runs<'_> {
    Runs { s, at: 0 }
}

pub struct Runs<'a> {
    s: &'a str,
    at: usize,
}

impl Runs<'_> {
    /// The whitespace character at `i` and its length, if there is one.
    fn space_at(&self, i: usize) -> Option<usize> {
        let b = *self.s.as_bytes().get(i)?;
        if b.is_ascii() {
            return is_ascii_space(b).then_some(1);
        }
        let c = self.s[i..].chars().next()?;
        c.is_whitespace().then(|| c.len_utf8())
    }

    /// The end of the run that starts at `i`.
    fn run_end(&self, mut i: usize) -> usize {
        let bytes = self.s.as_bytes();
        loop {
            // Eight bytes at a time past printable ASCII and single spaces, the common case.
            i = skip_words(bytes, i, run_stops);
            let Some(&b) = bytes.get(i) else {
                return i;
            };
            match b {
                b' ' if i + 1 < bytes.len() && self.space_at(i + 1).is_none() => i += 1,
                b' ' => return i,
                b'!'..=b'~' => i += 1,
                _ if self.space_at(i).is_some() => return i,
                _ => i += self.s[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
    }
}

/// Marks (the high bit of) each byte of `w` where a run may end: bytes outside `0x20..=0x7E`,
/// a space before a space or such a byte, and a space in the last byte, whose next byte is not
/// in `w`. Exact per byte, as in `stops`.
fn run_stops(w: u64) -> u64 {
    spaces_before(equal(w, b' '), outside(w, 0x20))
}

/// Marks each byte of `w` equal to `b`. Exact per byte, as in `outside`.
fn equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    !(((x & !HIGH) + !HIGH) | x) & HIGH
}

/// `other` with each of `spaces` marked that stands before a space, a byte of `other`, or in
/// the last byte (whose next byte is not in the word).
fn spaces_before(spaces: u64, other: u64) -> u64 {
    other | (spaces & (((spaces | other) >> 8) | (1 << 63)))
}

/// Whether `b` is a byte of a text run: printable ASCII other than the space and the backtick.
pub fn is_text_byte(b: u8) -> bool {
    b.wrapping_sub(b'!') <= b'~' - b'!' && b != b'`'
}

/// The end of the text run that starts at `i` (a byte of one, see `is_text_byte`): the maximal
/// range of text bytes and single plain spaces between them. A canonical-text builder copies
/// such a run as it is, as each of its characters would read pushed one at a time.
pub fn text_run_end(bytes: &[u8], mut i: usize) -> usize {
    loop {
        // Eight bytes at a time past text bytes and single spaces, the common case.
        i = skip_words(bytes, i, text_run_stops);
        match bytes.get(i) {
            Some(b' ') if bytes.get(i + 1).is_some_and(|&n| is_text_byte(n)) => i += 2,
            Some(&b) if is_text_byte(b) => i += 1,
            _ => return i,
        }
    }
}

/// Marks (the high bit of) each byte of `w` where a text run may end: bytes outside
/// `0x20..=0x7E`, the backtick, and a space before a space or such a byte or in the last byte.
/// Exact per byte, as in `outside`.
fn text_run_stops(w: u64) -> u64 {
    spaces_before(equal(w, b' '), outside(w, 0x20) | equal(w, b'`'))
}

impl Iterator for Runs<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let mut i = self.at;
        while let Some(len) = self.space_at(i) {
            i += len;
        }
        if i >= self.s.len() {
            self.at = i;
            return None;
        }
        let end = self.run_end(i);
        self.at = end;
        Some((i, end))
    }
}

/// `s` with each run of whitespace made one space, and none at either end. Words already one
/// plain space apart are copied as one run.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (from, to) in runs(s) {
        push_word(&mut out, &s[from..to]);
    }
    out
}

/// Appends a run of words to folded text, a space after the words before it.
fn push_word(out: &mut String, word: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with every kind of whitespace, ASCII and not, among words.
    const TEXT: &str = "[a-zé— \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{2003}\u{3000}]{0,40}";

    /// Long text of words among every kind of byte a piece ends at or runs past: ASCII
    /// controls, the delete byte, and non-ASCII characters, spaces or not.
    const LONG: &str =
        "([a-z~!]{0,12}[ \t\n\u{0}\u{1f}\u{7f}\u{85}\u{a0}\u{e9}\u{2003}\u{1F600}]{0,2}){0,20}";

    /// Text with every kind of byte a text run ends at or runs past, in long stretches.
    const TEXT_RUNS: &str =
        "([a-z~!_]{0,12}[ `\t\n\u{0}\u{1f}\u{7f}\u{85}\u{a0}\u{e9}]{0,2}){0,20}";

    /// The pieces of `s` between whitespace characters, byte at a time, as the reference.
    fn reference_pieces(s: &str) -> Vec<&str> {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b.wrapping_sub(b'!') <= b'~' - b'!' {
                i += 1;
                continue;
            }
            let (space, len) = if b.is_ascii() {
                (is_ascii_space(b), 1)
            } else {
                s[i..]
                    .chars()
                    .next()
                    .map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8()))
            };
            if space {
                out.push(&s[start..i]);
                start = i + len;
            }
            i += len;
        }
        out.push(&s[start..]);
        out
    }

    /// The word-by-word `fold` this replaced, as the reference.
    fn reference_fold(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for word in reference_pieces(s).into_iter().filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }

    /// The runs as the word-by-word `fold` this replaced found them: non-empty reference
    /// pieces, merged where one plain space apart.
    fn reference_runs(s: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for piece in reference_pieces(s) {
            if piece.is_empty() {
                continue;
            }
            let from = piece.as_ptr() as usize - s.as_ptr() as usize;
            let to = from + piece.len();
            match out.last_mut() {
                Some(run) if from == run.1 + 1 && s.as_bytes()[run.1] == b' ' => run.1 = to,
                _ => out.push((from, to)),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn run_stops_are_the_reference_run_stops(w in proptest::num::u64::ANY) {
            proptest::prop_assert_eq!(run_stops(w), reference_run_stops(w));
        }

        #[test]
        fn text_run_stops_are_the_reference_text_run_stops(w in proptest::num::u64::ANY) {
            proptest::prop_assert_eq!(text_run_stops(w), reference_text_run_stops(w));
        }

        #[test]
        fn runs_are_the_reference_runs(s in LONG) {
            proptest::prop_assert_eq!(runs(&s).collect::<Vec<_>>(), reference_runs(&s));
        }

        #[test]
        fn fold_in_runs_is_the_reference_fold(s in LONG) {
            proptest::prop_assert_eq!(fold(&s), reference_fold(&s));
        }

        #[test]
        fn reference_pieces_are_std_split_at_whitespace(s in TEXT) {
            let std: Vec<&str> = s.split(char::is_whitespace).collect();
            proptest::prop_assert_eq!(reference_pieces(&s), std);
        }

        #[test]
        fn text_runs_eight_bytes_at_a_time_are_the_reference_text_runs(s in TEXT_RUNS) {
            for (i, &b) in s.as_bytes().iter().enumerate() {
                if is_text_byte(b) {
                    proptest::prop_assert_eq!(
                        text_run_end(s.as_bytes(), i),
                        reference_text_run_end(s.as_bytes(), i)
                    );
                }
            }
        }

        #[test]
        fn fold_joins_std_words(s in TEXT) {
            proptest::prop_assert_eq!(fold(&s), s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    /// `text_run_end` byte by byte.
    fn reference_text_run_end(b: &[u8], mut i: usize) -> usize {
        while i < b.len() {
            if is_text_byte(b[i]) {
                i += 1;
            } else if b[i] == b' ' && b.get(i + 1).is_some_and(|&n| is_text_byte(n)) {
                i += 2;
            } else {
                break;
            }
        }
        i
    }

    #[test]
    fn text_bytes_are_printable_ascii_but_the_space_and_the_backtick() {
        for b in 0..=255u8 {
            let want = b.is_ascii_graphic() && b != b'`';
            assert_eq!(is_text_byte(b), want, "{b:#x}");
        }
    }

    /// `text_run_stops` byte by byte.
    fn reference_text_run_stops(w: u64) -> u64 {
        let b = w.to_le_bytes();
        let other = |k: usize| !(0x20..=0x7E).contains(&b[k]) || b[k] == b'`';
        (0..8)
            .filter(|&k| other(k) || (b[k] == b' ' && (k == 7 || b[k + 1] == b' ' || other(k + 1))))
            .map(|k| 1 << (8 * k + 7))
            .sum()
    }

    #[test]
    fn text_run_stops_mark_exactly_where_a_text_run_may_end() {
        for b in 0..=255u8 {
            for at in 0..8 {
                for fill in [b'a', b' ', b'`', b'\n', 0xC3] {
                    let w =
                        u64::from_le_bytes(std::array::from_fn(|k| if k == at { b } else { fill }));
                    assert_eq!(
                        text_run_stops(w),
                        reference_text_run_stops(w),
                        "{b:#x} at {at} in {fill:#x}"
                    );
                }
            }
        }
    }

    /// `run_stops` byte by byte.
    fn reference_run_stops(w: u64) -> u64 {
        let b = w.to_le_bytes();
        let other = |k: usize| !(0x20..=0x7E).contains(&b[k]);
        (0..8)
            .filter(|&k| other(k) || (b[k] == b' ' && (k == 7 || b[k + 1] == b' ' || other(k + 1))))
            .map(|k| 1 << (8 * k + 7))
            .sum()
    }

    #[test]
    fn run_stops_mark_exactly_where_a_run_may_end() {
        for b in 0..=255u8 {
            for at in 0..8 {
                for fill in [b'a', b' ', b'\n', 0xC3] {
                    let w =
                        u64::from_le_bytes(std::array::from_fn(|k| if k == at { b } else { fill }));
                    assert_eq!(
                        run_stops(w),
                        reference_run_stops(w),
                        "{b:#x} at {at} in {fill:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn ascii_space_is_char_whitespace() {
        for b in 0..128u8 {
            assert_eq!(is_ascii_space(b), char::from(b).is_whitespace(), "{b}");
        }
    }
}
