//! A thesis line as rescore writes it, read without the `toml` crate:
//! `KEY = { score = N, was = ["…"], against = { K = "…", … } }` with one space where
//! `thesis_line` puts one, plain decimal scores and strings without escapes. A lock holds a line
//! per accepted thesis (25k at 100k pages), and `toml` spent about 27k instructions on each.
//! Anything else, a hand-edited line among them, is `None` and read by `toml` as before, which
//! also words what is wrong.

use std::collections::BTreeMap;

use super::{in_bare_key, WrittenBaseline};

/// The thesis and its baseline, as `toml` reads the line, or `None` where this reader cannot
/// tell they are the same.
pub(super) fn read(line: &str) -> Option<(String, WrittenBaseline)> {
    let mut r = Reader(line);
    let thesis = r.key()?;
    r.eat(" = { score = ")?;
    let score = r.decimal()?;
    let mut was = Vec::new();
    if r.eat(", was = [").is_some() {
        loop {
            was.push(r.string()?.to_string());
            if r.eat("]").is_some() {
                break;
            }
            r.eat(", ")?;
        }
    }
    let mut against = BTreeMap::new();
    if r.eat(", against = { ").is_some() {
        loop {
            let k = r.key()?;
            r.eat(" = ")?;
            let id = r.string()?;
            // A repeated key is an error `toml` reports.
            if against.insert(k, id.to_string()).is_some() {
                return None;
            }
            if r.eat(" }").is_some() {
                break;
            }
            r.eat(", ")?;
        }
    }
    r.eat(" }")?;
    r.0.is_empty().then_some((
        thesis,
        WrittenBaseline {
            score,
            was,
            against,
        },
    ))
}

struct Reader<'a>(&'a str);

impl<'a> Reader<'a> {
    fn eat(&mut self, s: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(s)?;
        Some(())
    }

    /// A bare key, or a quoted one without escapes.
    fn key(&mut self) -> Option<String> {
        if self.0.starts_with('"') {
            return self.string().map(str::to_string);
        }
        let end = self
            .0
            .find(|c: char| !in_bare_key(c))
            .unwrap_or(self.0.len());
        let (k, rest) = self.0.split_at(end);
        self.0 = rest;
        (!k.is_empty()).then(|| k.to_string())
    }

    /// A basic string with no escape and no control character (`frontmatter::plain_string`).
    fn string(&mut self) -> Option<&'a str> {
        let (s, rest) = crate::frontmatter::plain_string(self.0)?;
        self.0 = rest;
        Some(s)
    }

    /// `0.5`, `-1.25`, `12.0`: an optional minus, an integer part without a leading zero, a
    /// fraction; no sign `+`, exponent, underscore, `inf` or `nan`, which `toml` reads.
    fn decimal(&mut self) -> Option<f64> {
        let s = self.0;
        let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
        let sign = usize::from(s.starts_with('-'));
        let int = digits(&s[sign..]);
        if int == 0 || (int > 1 && s[sign..].starts_with('0')) {
            return None;
        }
        let after = &s[sign + int..];
        let frac = digits(after.strip_prefix('.')?);
        if frac == 0 {
            return None;
        }
        let end = sign + int + 1 + frac;
        if s[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return None;
        }
        self.0 = &s[end..];
        s[..end].parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_toml(line: &str) -> Option<(String, WrittenBaseline)> {
        toml::from_str::<BTreeMap<String, WrittenBaseline>>(line)
            .ok()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.into_iter().next())
    }

    fn same(a: &(String, WrittenBaseline), b: &(String, WrittenBaseline)) -> bool {
        a.0 == b.0
            && a.1.score.to_bits() == b.1.score.to_bits()
            && a.1.was == b.1.was
            && a.1.against == b.1.against
    }

    #[test]
    fn a_written_line_reads_as_toml_reads_it() {
        let line = r#"t10001 = { score = 0.18, was = ["0a1b2c3d"], against = { s1456 = "IaXyop37gSg", "c318#success-rate@diamond" = "4TBMKIxfL1g" } }"#;
        let quick = read(line).expect("read");
        let toml = by_toml(line).expect("toml");
        assert!(same(&quick, &toml));
        assert_eq!(quick.1.against.len(), 2);
        assert_eq!(quick.1.was, ["0a1b2c3d"]);
    }

    #[test]
    fn what_it_cannot_vouch_for_is_left_to_toml() {
        for line in [
            r#"t1 = { score = 0.5, against = { a = "x\"y" } }"#,
            r#"t1 = { score = 1e-5 }"#,
            r#"t1 = { score = +0.5 }"#,
            r#"t1 = { score = 00.5 }"#,
            r#"t1 = { score = 1 }"#,
            r#"t1 = { score = 0.5, against = { a = "x", a = "y" } }"#,
            r#"t1 = {score = 0.5}"#,
            r#"t1 = { score = 0.5 } # note"#,
            r#"t1 = { against = { a = "x" }, score = 0.5 }"#,
            r#"t1 = { score = 0.5_0 }"#,
            r#"t1 = { score = 0.5. }"#,
            r#""t\u0031" = { score = 0.5 }"#,
        ] {
            assert!(read(line).is_none(), "{line}");
        }
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9_-]{1,8}",
            "[a-z0-9]{1,5}#[a-z0-9@. -]{1,8}",
            "[a-z\"\\\\\u{1}\u{e9} ]{0,4}",
        ]
    }

    /// A line in `thesis_line`'s layout, or a near miss of it.
    fn line() -> impl Strategy<Value = String> {
        let score = prop_oneof![
            any::<f64>().prop_map(super::super::float),
            "-?[0-9]{1,3}(\\.[0-9]{0,3})?([eE][+-]?[0-9])?",
        ];
        let was = prop::collection::vec("[0-9a-f\"\\\\]{0,9}", 0..3);
        let against = prop::collection::vec((key(), "[A-Za-z0-9_\"\\\\-]{0,12}"), 0..4);
        let gap = prop_oneof![Just(" "), Just(""), Just("  ")];
        (key(), score, was, against, gap).prop_map(|(thesis, score, was, against, gap)| {
            let quote = |s: &str| format!("\"{s}\"");
            let bare = |k: &str| {
                if !k.is_empty() && k.chars().all(in_bare_key) {
                    k.to_string()
                } else {
                    quote(k)
                }
            };
            let mut parts = vec![format!("score = {score}")];
            if !was.is_empty() {
                let was: Vec<String> = was.iter().map(|w| quote(w)).collect();
                parts.push(format!("was = [{}]", was.join(", ")));
            }
            if !against.is_empty() {
                let against: Vec<String> = against
                    .iter()
                    .map(|(k, id)| format!("{} = {}", bare(k), quote(id)))
                    .collect();
                parts.push(format!("against = {{{gap}{}{gap}}}", against.join(", ")));
            }
            format!("{} = {{ {} }}", bare(&thesis), parts.join(", "))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Wherever the quick reader answers, `toml` answers the same.
        #[test]
        fn the_quick_reader_reads_as_toml_or_not_at_all(line in line()) {
            if let Some(quick) = read(&line) {
                let toml = by_toml(&line);
                prop_assert!(toml.as_ref().is_some_and(|t| same(&quick, t)), "{line}");
            }
        }

        /// Every line rescore writes is read by the quick reader.
        #[test]
        fn every_line_rescore_writes_is_read_quickly(
            thesis in "[a-z0-9_-]{1,8}|[a-z]{1,4}#[a-z ]{1,6}",
            score in any::<f64>().prop_filter("finite", |x| x.is_finite()),
            against in prop::collection::btree_map("[a-z0-9#@-]{1,8}", any::<u64>(), 0..4),
        ) {
            let b = super::super::Baseline {
                score,
                was: vec!["0a1b2c3d".to_string()],
                against: against.into_iter().collect(),
            };
            let line = super::super::thesis_line(&thesis, &b);
            prop_assert!(read(&line).is_some(), "{line}");
        }
    }
}
