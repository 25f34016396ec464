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
        let w = fold(word);
        let w = self.aliases.get(&w).map(String::as_str).unwrap_or(&w);
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
