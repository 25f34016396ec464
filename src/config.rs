//! `rescore.toml`: where a research repo keeps its settings. Every key has a default; unknown
//! keys are rejected with a diagnostic so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex};
use crate::rules::{RuleSpec, ScaleSpec, Severity};
use crate::textdiff::TextSpec;
use crate::toml_spans::KeySpans;

pub const FILE_NAME: &str = "rescore.toml";

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Globs (relative to the root) of pages to skip, on top of `.gitignore`.
    pub exclude: Vec<String>,
    pub folders: Folders,
    pub rules: RulesConfig,
    /// Replaces the shipped evidence scale when set.
    pub scale: Option<ScaleSpec>,
    /// Replaces the shipped word lists that class changed claim text, list by list.
    pub text: Option<TextSpec>,
    /// Where each key is written in `rescore.toml`, for diagnostics about settings.
    pub spans: KeySpans,
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

#[derive(Debug, Clone)]
pub struct RulesConfig {
    /// More rule files (same schema as the shipped `rules/default.toml`), relative to the root.
    pub files: Vec<PathBuf>,
    /// Names of rules to switch off.
    pub disable: Vec<String>,
    /// The lowest severity that makes a thesis stale.
    pub flag_at: Severity,
    /// How alike an unmatched old and new claim of one concept must be to count as one claim
    /// reworded rather than one removed and one added (0–1, like git's rename detection).
    pub rename_similarity: f64,
    /// Per-rule threshold overrides, by rule name.
    pub threshold: BTreeMap<String, f64>,
    /// Rules to add, or to replace a shipped rule of the same name, each with its index in
    /// `[[rules.rule]]` as written (a rule that did not parse leaves a gap).
    pub rule: Vec<(usize, RuleSpec)>,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            files: Vec::new(),
            disable: Vec::new(),
            flag_at: Severity::Minor,
            rename_similarity: 0.6,
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
    toml::from_str(text).map_err(|e| toml_error(text, path, what, known_keys, &e))
}

/// A TOML syntax or schema error as a located diagnostic, with "did you mean" for a near key.
pub fn toml_error(
    text: &str,
    path: &Path,
    what: &str,
    known_keys: &[&str],
    e: &toml::de::Error,
) -> Diagnostic {
    let idx = LineIndex::new(text);
    let pos = idx.span(text, e.span().unwrap_or(0..0));
    let message = e.message().trim().to_string();
    let hint = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .and_then(|field| did_you_mean(field, known_keys.iter().copied()))
        .map(|near| format!("did you mean `{near}`?"))
        .unwrap_or_else(|| format!("known keys of the {what}: {}", known_keys.join(", ")));
    Diagnostic::error(
        Code::BadToml,
        path,
        pos,
        format!("invalid {what}: {message}"),
    )
    .expected(format!("valid {what} (TOML)"))
    .hint(hint)
}

/// Every key `rescore.toml` may hold, at any depth, for "did you mean".
fn all_keys() -> Vec<&'static str> {
    let mut keys = ROOT_KEYS.to_vec();
    keys.extend(keys_of::<Folders>());
    keys.extend(RULES_KEYS);
    keys.extend(keys_of::<RuleSpec>());
    keys.extend(keys_of::<ScaleSpec>());
    keys.extend(keys_of::<TextSpec>());
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(*k));
    keys
}

/// The keys a struct that derives `Deserialize` reads, as serde lists them: key lists for
/// "did you mean" come from the types, so they cannot drift from the schema.
pub fn keys_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};
    type Error = serde::de::value::Error;
    struct Probe<'k>(&'k mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            *self.0 = fields;
            Err(Error::custom("only its keys were wanted"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

const ROOT_KEYS: &[&str] = &["exclude", "folders", "rules", "scale", "text"];
const RULES_KEYS: &[&str] = &[
    "files",
    "disable",
    "flag_at",
    "rename_similarity",
    "threshold",
    "rule",
];

/// `rescore.toml` as read: each part that parsed, the defaults for each part that did not,
/// and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub config: Config,
    pub diags: Vec<Diagnostic>,
}

impl Config {
    /// Reads `rescore.toml` part by part, so one bad key costs only its own setting: the rest
    /// still applies (and pages still load), and every problem is reported in one run.
    pub fn parse(text: &str, path: &Path) -> Parsed {
        let known = all_keys();
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                return Parsed {
                    diags: vec![toml_error(text, path, "rescore.toml", &known, &e)],
                    ..Parsed::default()
                }
            }
        };
        let mut r = Reader::new(text, path, "rescore.toml", &known);
        let mut config = Config::default();
        for (key, value) in doc.get_ref() {
            match key.get_ref().as_ref() {
                "exclude" => r.set(&mut config.exclude, value),
                "folders" => r.set(&mut config.folders, value),
                "scale" => config.scale = r.take(value),
                "text" => config.text = r.take(value),
                "rules" => match value.get_ref() {
                    DeValue::Table(t) => r.rules(&mut config.rules, t),
                    _ => r.not_a_table("rules", value),
                },
                other => r.unknown(other, key.span(), "", ROOT_KEYS),
            }
        }
        config.spans = KeySpans::of_table(text, doc.get_ref());
        Parsed {
            config,
            diags: r.diags,
        }
    }
}

/// Deserializes a settings file one setting at a time, collecting what does not fit.
pub(crate) struct Reader<'a> {
    text: &'a str,
    path: &'a Path,
    /// What the file is, for messages: `rescore.toml`, `rule file`.
    what: &'a str,
    known: &'a [&'a str],
    pub(crate) diags: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str, path: &'a Path, what: &'a str, known: &'a [&'a str]) -> Self {
        Reader {
            text,
            path,
            what,
            known,
            diags: Vec::new(),
        }
    }

    pub(crate) fn take<T: serde::de::DeserializeOwned>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<T> {
        T::deserialize(ValueDeserializer::from(value.clone()))
            .map_err(|e| {
                self.diags
                    .push(toml_error(self.text, self.path, self.what, self.known, &e))
            })
            .ok()
    }

    /// A list of rule tables, each kept with its index as written; a rule that does not parse
    /// is reported and leaves a gap.
    pub(crate) fn rules_list(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<(usize, RuleSpec)> {
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| Some((i, self.take(item)?)))
                .collect(),
            _ => {
                let specs: Vec<RuleSpec> = self.take(value).unwrap_or_default();
                specs.into_iter().enumerate().collect()
            }
        }
    }

    fn set<T: serde::de::DeserializeOwned>(&mut self, slot: &mut T, value: &Spanned<DeValue<'_>>) {
        if let Some(v) = self.take(value) {
            *slot = v;
        }
    }

    fn rules(&mut self, rules: &mut RulesConfig, table: &DeTable<'_>) {
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "files" => self.set(&mut rules.files, value),
                "disable" => self.set(&mut rules.disable, value),
                "flag_at" => self.set(&mut rules.flag_at, value),
                "rename_similarity" => self.set(&mut rules.rename_similarity, value),
                "threshold" => match value.get_ref() {
                    DeValue::Table(t) => {
                        for (name, v) in t {
                            if let Some(x) = self.take(v) {
                                rules.threshold.insert(name.get_ref().to_string(), x);
                            }
                        }
                    }
                    _ => self.not_a_table("rules.threshold", value),
                },
                "rule" => rules.rule = self.rules_list(value),
                other => self.unknown(other, key.span(), "[rules]", RULES_KEYS),
            }
        }
    }

    pub(crate) fn unknown(&mut self, key: &str, span: Range<usize>, table: &str, known: &[&str]) {
        let pos = LineIndex::new(self.text).span(self.text, span);
        let within = if table.is_empty() {
            String::new()
        } else {
            format!(" in {table}")
        };
        let hint = match did_you_mean(key, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("known keys{within}: {}", known.join(", ")),
        };
        self.diags.push(
            Diagnostic::error(
                Code::BadToml,
                self.path,
                pos,
                format!("invalid {}: unknown key `{key}`{within}", self.what),
            )
            .expected(format!("one of {}", known.join(", ")))
            .hint(hint),
        );
    }

    fn not_a_table(&mut self, key: &str, value: &Spanned<DeValue<'_>>) {
        let pos = LineIndex::new(self.text).span(self.text, value.span());
        self.diags.push(
            Diagnostic::error(
                Code::BadToml,
                self.path,
                pos,
                format!(
                    "invalid {}: `{key}` is a {}, not a table",
                    self.what,
                    value.get_ref().type_str()
                ),
            )
            .expected(format!("a `[{key}]` table"))
            .hint(format!(
                "write `{key}` as a `[{key}]` table of the {}",
                self.what
            )),
        );
    }
}

/// The commented config `rescore init` writes: every key at its default.
pub const TEMPLATE: &str = r#"# rescore.toml: settings for this research repo. Every key is optional; the values below are
# the defaults, each with what it does. `rescore rules` lists the rules in force and
# `rescore help` the commands.

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
        let parsed = Config::parse(TEMPLATE, Path::new("rescore.toml"));
        assert!(parsed.diags.is_empty(), "{:?}", parsed.diags);
        let cfg = parsed.config;
        assert_eq!(cfg.folders.concept, vec!["concepts"]);
        assert_eq!(cfg.rules.flag_at, Severity::Minor);
        assert!(cfg.exclude.is_empty());
    }

    #[test]
    fn template_points_at_nothing_outside_the_users_repo() {
        assert!(!TEMPLATE.contains("docs/"), "{TEMPLATE}");
        assert!(TEMPLATE.contains("`rescore rules`"));
    }

    #[test]
    fn unknown_key_is_located_and_suggests_the_near_one() {
        let parsed = Config::parse("[rules]\nflag_att = \"major\"\n", Path::new("rescore.toml"));
        let [err] = parsed.diags.as_slice() else {
            panic!("one diagnostic: {:?}", parsed.diags)
        };
        assert_eq!((err.line, err.col), (2, 1));
        assert_eq!(err.hint.as_deref(), Some("did you mean `flag_at`?"));
    }

    #[test]
    fn one_bad_setting_keeps_the_others_and_reports_each_at_its_line() {
        let text = "exclude = [\"drafts/**\"]\n[folders]\nthesis = 3\n[rules]\nflag_at = \"huge\"\ndisable = [\"claim-added\"]\n[rules.threshold]\nvalue-shift = \"ten\"\nscore-shift = 0.2\n";
        let parsed = Config::parse(text, Path::new("rescore.toml"));
        let at: Vec<(u32, u32)> = parsed.diags.iter().map(|d| (d.line, d.col)).collect();
        assert_eq!(at, [(3, 10), (5, 11), (8, 15)], "{:?}", parsed.diags);
        let cfg = parsed.config;
        assert_eq!(cfg.exclude, ["drafts/**"]);
        assert_eq!(cfg.folders.thesis, ["theses"]);
        assert_eq!(cfg.rules.flag_at, Severity::Minor);
        assert_eq!(cfg.rules.disable, ["claim-added"]);
        assert_eq!(cfg.rules.threshold.get("score-shift"), Some(&0.2));
        assert!(!cfg.rules.threshold.contains_key("value-shift"));
    }

    #[test]
    fn a_syntax_error_is_located_and_leaves_the_defaults() {
        let parsed = Config::parse("[rules\n", Path::new("rescore.toml"));
        assert_eq!(parsed.diags.len(), 1);
        assert_eq!(parsed.diags[0].line, 1);
        assert_eq!(parsed.config.folders.thesis, ["theses"]);
    }
}
