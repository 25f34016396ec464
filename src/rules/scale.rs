//! The evidence scale: the words an `Evidence:` line may use, weakest first, with aliases.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Code, Diagnostic};
use crate::toml_spans::KeySpans;

use super::spec::ScaleSpec;

/// The evidence scale: levels weakest first, and aliases onto them.
#[derive(Debug, Clone)]
pub struct Scale {
    levels: Vec<String>,
    aliases: BTreeMap<String, String>,
}

impl Scale {
    pub fn from_spec(spec: &ScaleSpec) -> Scale {
        Scale {
            levels: spec.levels.iter().map(|l| fold(l)).collect(),
            aliases: spec
                .aliases
                .iter()
                .map(|(k, v)| (fold(k), fold(v)))
                .collect(),
        }
    }

    /// The canonical level for a word as written, aliases applied.
    pub fn canonical(&self, word: &str) -> Option<&str> {
        // Every claim looks its level up, most written as folded already (`strong`): no copy.
        let folded;
        let w = if is_folded(word) {
            word
        } else {
            folded = fold(word);
            &folded
        };
        let w = self.aliases.get(w).map_or(w, String::as_str);
        self.levels
            .iter()
            .find(|l| l.as_str() == w)
            .map(String::as_str)
    }

    pub fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }

    /// Every word the scale accepts, for "did you mean".
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.levels
            .iter()
            .map(String::as_str)
            .chain(self.aliases.keys().map(String::as_str))
    }
}

fn fold(s: &str) -> String {
    crate::whitespace::fold(s).to_lowercase()
}

/// Whether `fold(s)` is `s`: ASCII without uppercase letters, words one plain space apart.
fn is_folded(s: &str) -> bool {
    let b = s.as_bytes();
    s.is_ascii()
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && b.iter().all(|&c| {
            !c.is_ascii_uppercase() && (c == b' ' || !crate::whitespace::is_ascii_space(c))
        })
        && memchr::memmem::find(b, b"  ").is_none()
}

/// The scale as configured, without aliases that point at no level; the shipped scale when
/// the configured one has no levels.
pub(crate) fn checked_scale(
    path: &Path,
    spans: &KeySpans,
    mut value: ScaleSpec,
    shipped: Option<ScaleSpec>,
    diags: &mut Vec<Diagnostic>,
) -> ScaleSpec {
    if value.levels.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::BadScale,
                path,
                spans.of("scale.levels"),
                "the evidence scale has no levels",
            )
            .expected("scale.levels = [\"weakest\", …, \"strongest\"]")
            .hint("remove [scale] to use the shipped scale"),
        );
        return shipped.unwrap_or(value);
    }
    let levels = value.levels.clone();
    value.aliases.retain(|alias, target| {
        if levels.iter().any(|l| fold(l) == fold(target)) {
            return true;
        }
        diags.push(
            Diagnostic::error(
                Code::BadScale,
                path,
                spans.of(&format!("scale.aliases.{alias}")),
                format!("alias `{alias}` maps to `{target}`, which is not a level"),
            )
            .expected(format!("one of {}", levels.join(", ")))
            .hint("aliases map onto levels of scale.levels"),
        );
        false
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn is_folded_says_fold_changes_nothing(s in "[a-zA-Z \t\n\u{b}\u{a0}é-]{0,12}") {
            if is_folded(&s) {
                proptest::prop_assert_eq!(fold(&s), s);
            }
        }
    }

    #[test]
    fn plain_level_words_are_folded_and_others_not() {
        assert!(is_folded("strong"));
        assert!(is_folded("independent replication"));
        for s in [
            "Strong",
            " strong",
            "strong ",
            "very  strong",
            "very\tstrong",
            "très",
        ] {
            assert!(!is_folded(s), "{s:?}");
        }
    }
}
