//! The canonical text of a claim, as stored in its material state: everything in its list item
//! (nested items, further paragraphs, tables, code) without its `{#id}` marker and Evidence
//! line. Whitespace is folded within a block and each block (paragraph, nested item, table row,
//! code block) starts a new line, so reflowing a paragraph changes nothing; dashes are unified
//! and the text is NFC. Case is kept and code is kept in backticks: the token diff needs both
//! to tell a renamed system or command from a reworded sentence. Comparisons of identity
//! (rename pairing, similarity) use `plain`, which folds them away again.

use unicode_normalization::UnicodeNormalization;

const DASHES: [char; 7] = ['‐', '‑', '‒', '–', '—', '―', '−'];

/// Builds a canonical text from pieces of markdown text as they are read.
#[derive(Debug, Default)]
pub struct Builder {
    out: String,
    open_code: bool,
    space: bool,
    block: bool,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// A builder whose text has room for `len` bytes, as much as the markdown it reads.
    pub fn with_capacity(len: usize) -> Builder {
        Builder {
            out: String::with_capacity(len),
            ..Builder::default()
        }
    }

    /// Appends a piece of text; `code` says whether it is inside a code span or block. Reads as
    /// its characters pushed one at a time (`push`), but copies each run of plain ASCII words
    /// whole: most text is such runs, with a dash or an accent between some of them.
    pub fn push_str(&mut self, s: &str, code: bool) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if crate::whitespace::is_text_byte(b) {
                let end = crate::whitespace::text_run_end(bytes, i);
                self.start_word(code);
                self.out.push_str(&s[i..end]);
                i = end;
            } else if b.is_ascii() {
                self.push(char::from(b), code);
                i += 1;
            } else {
                let Some(c) = s[i..].chars().next() else {
                    break;
                };
                self.push(c, code);
                i += c.len_utf8();
            }
        }
    }

    /// Appends one character of text; `code` says whether it is inside a code span or block.
    pub fn push(&mut self, c: char, code: bool) {
        if c.is_whitespace() {
            self.space = true;
            return;
        }
        self.start_word(code);
        match c {
            // A backtick inside code would end the span early when the text is read back.
            '`' => self.out.push('\''),
            c if DASHES.contains(&c) => self.out.push('-'),
            c => self.out.push(c),
        }
    }

    /// What goes before the next non-blank character: a closing backtick, a space or line
    /// break, an opening backtick.
    fn start_word(&mut self, code: bool) {
        if self.open_code && (!code || self.block) {
            self.out.push('`');
            self.open_code = false;
        }
        if !self.out.is_empty() {
            if self.block {
                self.out.push('\n');
            } else if self.space {
                self.out.push(' ');
            }
        }
        self.space = false;
        self.block = false;
        if code && !self.open_code {
            self.out.push('`');
            self.open_code = true;
        }
    }

    /// Ends a block: what follows starts on a new line.
    pub fn block(&mut self) {
        self.block = true;
    }

    pub fn finish(mut self) -> String {
        if self.open_code {
            self.out.push('`');
        }
        if self.out.is_ascii()
            || unicode_normalization::is_nfc_quick(self.out.chars())
                == unicode_normalization::IsNormalized::Yes
        {
            self.out
        } else {
            self.out.nfc().collect()
        }
    }
}

/// The text without what only the token diff needs: lowercase, no backticks, blocks joined by
/// spaces. Claim texts stored by earlier versions of rescore are in this form already.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            '`' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(parts: &[(&str, bool)], breaks: &[usize]) -> String {
        let mut b = Builder::new();
        for (i, (text, code)) in parts.iter().enumerate() {
            if breaks.contains(&i) {
                b.block();
            }
            b.push_str(text, *code);
        }
        b.finish()
    }

    /// The text of `parts` pushed whole, and pushed a character at a time, with a block before
    /// each part whose `breaks` entry says so.
    fn whole_and_by_character(parts: &[(String, bool)], breaks: &[bool]) -> (String, String) {
        let mut whole = Builder::new();
        let mut chars = Builder::new();
        for ((text, code), &brk) in parts.iter().zip(breaks) {
            if brk {
                whole.block();
                chars.block();
            }
            whole.push_str(text, *code);
            text.chars().for_each(|c| chars.push(c, *code));
        }
        (whole.finish(), chars.finish())
    }

    proptest::proptest! {
        #[test]
        fn text_pushed_whole_reads_as_text_pushed_a_character_at_a_time(
            parts in proptest::collection::vec(("[a-z `\t\n—é.\u{a0}]{0,12}", proptest::bool::ANY), 0..5)
        ) {
            let mut whole = Builder::new();
            let mut chars = Builder::new();
            for (text, code) in &parts {
                whole.push_str(text, *code);
                text.chars().for_each(|c| chars.push(c, *code));
            }
            proptest::prop_assert_eq!(whole.finish(), chars.finish());
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_text_pushed_in_runs_reads_as_text_pushed_a_character_at_a_time(
            parts in proptest::collection::vec(("[a-z. \t\n\r\u{b}\u{c}]{0,16}", proptest::bool::ANY), 0..5),
            breaks in proptest::collection::vec(proptest::bool::ANY, 5)
        ) {
            let (whole, chars) = whole_and_by_character(&parts, &breaks);
            proptest::prop_assert_eq!(whole, chars);
        }
    }

    proptest::proptest! {
        #[test]
        fn long_text_of_every_kind_of_byte_pushed_whole_reads_as_pushed_a_character_at_a_time(
            parts in proptest::collection::vec(
                (
                    "([a-z~!_.]{0,12}[ `\t\n\u{0}\u{1f}\u{7f}\u{85}\u{a0}\u{2003}é—−‐]{0,3}){0,12}",
                    proptest::bool::ANY,
                ),
                0..5,
            ),
            breaks in proptest::collection::vec(proptest::bool::ANY, 5)
        ) {
            let (whole, chars) = whole_and_by_character(&parts, &breaks);
            proptest::prop_assert_eq!(whole, chars);
        }
    }

    #[test]
    fn whitespace_folds_and_code_is_fenced() {
        assert_eq!(
            build(
                &[
                    ("  Run\n ", false),
                    ("doorstop  new ", true),
                    (" now — ok ", false)
                ],
                &[]
            ),
            "Run `doorstop new` now - ok"
        );
    }

    #[test]
    fn blocks_start_lines() {
        assert_eq!(
            build(
                &[("First para. ", false), ("nested", false), ("x = 1", true)],
                &[1, 2]
            ),
            "First para.\nnested\n`x = 1`"
        );
    }

    #[test]
    fn plain_folds_case_code_and_blocks() {
        assert_eq!(plain("Run `doorstop`\nNow"), "run doorstop now");
    }

    #[test]
    fn text_is_nfc() {
        let decomposed: String = "café".nfd().collect();
        assert_eq!(build(&[(&decomposed, false)], &[]), "café");
    }
}
