//! Splitting text at whitespace as `char::is_whitespace` does, at byte speed: the page parse
//! splits every claim several times, and std's `split(char::is_whitespace)` decodes every
//! character through a generic pattern. Only non-ASCII characters are decoded here.

/// `char::is_whitespace` of an ASCII byte: unlike `u8::is_ascii_whitespace` it counts the
/// vertical tab.
pub fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// The pieces of `s` between whitespace characters, empty ones included: the same pieces as
/// `s.split(char::is_whitespace)`.
pub fn pieces(s: &str) -> Pieces<'_> {
    Pieces {
        s,
        at: 0,
        done: false,
    }
}

pub struct Pieces<'a> {
    s: &'a str,
    at: usize,
    done: bool,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let bytes = self.s.as_bytes();
        let start = self.at;
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            // Printable ASCII but the space, the common case, in one comparison.
            if b.wrapping_sub(b'!') <= b'~' - b'!' {
                i += 1;
                continue;
            }
            let (space, len) = if b.is_ascii() {
                (is_ascii_space(b), 1)
            } else {
                self.s[i..]
                    .chars()
                    .next()
                    .map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8()))
            };
            if space {
                self.at = i + len;
                return Some(&self.s[start..i]);
            }
            i += len;
        }
        self.done = true;
        Some(&self.s[start..])
    }
}

/// `s` with each run of whitespace made one space, and none at either end.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in pieces(s).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with every kind of whitespace, ASCII and not, among words.
    const TEXT: &str = "[a-zé— \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{2003}\u{3000}]{0,40}";

    proptest::proptest! {
        #[test]
        fn pieces_are_std_split_at_whitespace(s in TEXT) {
            let std: Vec<&str> = s.split(char::is_whitespace).collect();
            proptest::prop_assert_eq!(pieces(&s).collect::<Vec<_>>(), std);
        }

        #[test]
        fn fold_joins_std_words(s in TEXT) {
            proptest::prop_assert_eq!(fold(&s), s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    #[test]
    fn ascii_space_is_char_whitespace() {
        for b in 0..128u8 {
            assert_eq!(is_ascii_space(b), char::from(b).is_whitespace(), "{b}");
        }
    }
}
