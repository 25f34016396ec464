//! `rescore.toml`: where a research repo keeps its settings. Every key has a default; unknown
//! keys are rejected with a diagnostic so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{did_you_mean, Diagnostic, LineIndex};
use crate::rules::{RuleSpec, ScaleSpec, Severity};
use crate::textdiff::TextSpec;

pub const FILE_NAME: &str = "rescore.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs (relative to the root) of pages to skip, on top of `.gitignore`.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub folders: Folders,
    #[serde(default)]
    pub rules: RulesConfig,
    /// Replaces the shipped evidence scale when set.
    #[serde(default)]
    pub scale: Option<ScaleSpec>,
    /// Replaces the shipped word lists that class changed claim text, list by list.
    #[serde(default)]
    pub text: Option<TextSpec>,
}

/// Folder names that give a page its kind when its front matter does not.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folders {
    #[serde(default = "default_concepts")]
    pub concept: Vec<String>,
    #[serde(default = "default_theses")]
    pub thesis: Vec<String>,
    #[serde(default = "default_sources")]
    pub source: Vec<String>,
}

fn default_concepts() -> Vec<String> {
    vec!["concepts".into()]
}
fn default_theses() -> Vec<String> {
    vec!["theses".into()]
}
fn default_sources() -> Vec<String> {
    vec!["sources".into()]
}

impl Default for Folders {
    fn default() -> Self {
        Folders {
            concept: default_concepts(),
            thesis: default_theses(),
            source: default_sources(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// More rule files (same schema as the shipped `rules/default.toml`), relative to the root.
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Names of rules to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The lowest severity that makes a thesis stale.
    #[serde(default = "default_flag_at")]
    pub flag_at: Severity,
    /// How alike an unmatched old and new claim of one concept must be to count as one claim
    /// reworded rather than one removed and one added (0–1, like git's rename detection).
    #[serde(default = "default_rename_similarity")]
    pub rename_similarity: f64,
    /// Per-rule threshold overrides, by rule name.
    #[serde(default)]
    pub threshold: BTreeMap<String, f64>,
    /// Rules to add, or to replace a shipped rule of the same name.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

fn default_flag_at() -> Severity {
    Severity::Minor
}
fn default_rename_similarity() -> f64 {
    0.6
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            files: Vec::new(),
            disable: Vec::new(),
            flag_at: default_flag_at(),
            rename_similarity: default_rename_similarity(),
            threshold: BTreeMap::new(),
            rule: Vec::new(),
        }
    }
}

/// Parses TOML into `T`, turning a syntax or schema error into a located diagnostic.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    what: &str,
    known_keys: &[&str],
) -> Result<T, Diagnostic> {
    toml::from_str(text).map_err(|e| {
        let idx = LineIndex::new(text);
        let span = e.span().unwrap_or(0..0);
        let pos = idx.span(text, span.clone());
        let message = e.message().trim().to_string();
        let mut diag =
            Diagnostic::error("bad-toml", path, pos, format!("invalid {what}: {message}"))
                .expected(format!("valid {what} (TOML)"));
        let hint = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .and_then(|field| did_you_mean(field, known_keys.iter().copied()))
            .map(|near| format!("did you mean `{near}`?"))
            .unwrap_or_else(|| {
                format!(
                    "see docs/format.md for the {what} schema; known keys: {}",
                    known_keys.join(", ")
                )
            });
        diag = diag.hint(hint);
        diag
    })
}

pub const TOP_KEYS: &[&str] = &[
    "exclude",
    "folders",
    "rules",
    "scale",
    "concept",
    "thesis",
    "source",
    "files",
    "disable",
    "flag_at",
    "rename_similarity",
    "threshold",
    "rule",
    "levels",
    "aliases",
    "text",
    "classes",
    "negation",
    "negation_suffixes",
    "modal",
    "quantifier",
    "article",
    "month",
    "typo_min_length",
    "typo_max_edits",
];

impl Config {
    pub fn parse(text: &str, path: &Path) -> Result<Config, Diagnostic> {
        parse_toml(text, path, "rescore.toml", TOP_KEYS)
    }
}

/// The commented config `rescore init` writes: every key at its default.
pub const TEMPLATE: &str = r#"# rescore.toml: settings for this research repo. Every key is optional; the values below are
# the defaults. Reference: docs/format.md (pages and this file) and docs/rules.md (rules).

# Globs, relative to this folder, of markdown files to skip (on top of .gitignore).
exclude = []

# Folders that give a page its kind when its front matter has no `kind`.
[folders]
concept = ["concepts"]
thesis = ["theses"]
source = ["sources"]

[rules]
# Extra rule files, same schema as the shipped rules.
files = []
# Shipped or added rules to switch off, by name (`rescore rules` lists them).
disable = []
# The lowest severity that makes a thesis stale: "minor", "major" or "critical".
flag_at = "minor"
# How alike an old and a new claim without ids must be to count as one claim reworded.
rename_similarity = 0.6

# Per-rule threshold overrides, e.g. let values move 20% before a thesis goes stale:
# [rules.threshold]
# value-shift = 0.2
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_the_defaults() {
        let cfg = Config::parse(TEMPLATE, Path::new("rescore.toml")).expect("template parses");
        assert_eq!(cfg.folders.concept, vec!["concepts"]);
        assert_eq!(cfg.rules.flag_at, Severity::Minor);
        assert!(cfg.exclude.is_empty());
    }

    #[test]
    fn unknown_key_is_located_and_suggests_the_near_one() {
        let err = Config::parse("[rules]\nflag_att = \"major\"\n", Path::new("rescore.toml"))
            .expect_err("unknown key");
        assert_eq!((err.line, err.col), (2, 1));
        assert_eq!(err.hint.as_deref(), Some("did you mean `flag_at`?"));
    }
}
