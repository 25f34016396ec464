//! Declarative rules: which differences between a node's accepted and current material state
//! are material, and how much. The shipped set lives in `rules/default.toml`; a research repo
//! extends or overrides it from `rescore.toml`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rescore_graph::quantity::{
    canonical_numbers_differ, cell_numbers, dimension_change, largest_move, Quantity,
};
use rescore_graph::{ClaimState, MaterialState, NodeKind};
use serde::{Deserialize, Serialize};

use crate::config::{parse_toml, Config};
use crate::diag::{did_you_mean, Diagnostic, Pos};

pub const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Major,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Evidence,
    Qualifier,
    Sources,
    Value,
    Text,
    Status,
    Retracted,
    SupersededBy,
    Score,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Evidence => "evidence",
            Field::Qualifier => "qualifier",
            Field::Sources => "sources",
            Field::Value => "value",
            Field::Text => "text",
            Field::Status => "status",
            Field::Retracted => "retracted",
            Field::SupersededBy => "superseded_by",
            Field::Score => "score",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    LevelDown,
    LevelUp,
    RelativeChange,
    UnitChanged,
    TextChanged,
    SimilarityBelow,
    SetShrunk,
    SetGrew,
    BecameTrue,
    AbsoluteChange,
    Removed,
    Added,
    NewDependency,
}

/// One rule as written in TOML.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub node: Vec<NodeKind>,
    #[serde(default)]
    pub field: Option<Field>,
    pub compare: Compare,
    #[serde(default)]
    pub threshold: Option<f64>,
    pub severity: Severity,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    pub levels: Vec<String>,
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    scale: Option<ScaleSpec>,
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

const RULE_FILE_KEYS: &[&str] = &[
    "scale",
    "rule",
    "levels",
    "aliases",
    "name",
    "description",
    "node",
    "field",
    "compare",
    "threshold",
    "severity",
];

/// The evidence scale: levels weakest first, and aliases onto them.
#[derive(Debug, Clone)]
pub struct Scale {
    levels: Vec<String>,
    aliases: BTreeMap<String, String>,
}

impl Scale {
    fn from_spec(spec: &ScaleSpec) -> Scale {
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
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The rules in force for one research repo.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub scale: Scale,
    pub rules: Vec<RuleSpec>,
    pub flag_at: Severity,
    pub rename_similarity: f64,
}

/// A material difference found by one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub rule: String,
    /// What changed: the rule's field, or `claim` for presence rules.
    pub field: &'static str,
    pub severity: Severity,
    pub before: String,
    pub after: String,
    /// e.g. "−36%" for a value move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl RuleSet {
    /// The shipped rules with the research repo's files and overrides applied.
    /// `read` fetches a rule file relative to the root (from disk or from a git tree).
    pub fn load(
        config: &Config,
        config_path: &Path,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<RuleSet, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let shipped: RuleFile = parse_toml(
            DEFAULT_RULES,
            Path::new("rules/default.toml"),
            "rule file",
            RULE_FILE_KEYS,
        )
        .map_err(|d| vec![d])?;
        let mut scale = shipped.scale.unwrap_or(ScaleSpec {
            levels: Vec::new(),
            aliases: BTreeMap::new(),
        });
        let mut rules = shipped.rule;
        let add = |rules: &mut Vec<RuleSpec>, new: Vec<RuleSpec>| {
            for r in new {
                match rules.iter_mut().find(|old| old.name == r.name) {
                    Some(old) => *old = r,
                    None => rules.push(r),
                }
            }
        };
        for file in &config.rules.files {
            let Some(text) = read(file) else {
                diags.push(
                    Diagnostic::error(
                        "missing-rule-file",
                        config_path,
                        Pos::at(1, 1),
                        format!("rule file {} not found", file.display()),
                    )
                    .expected("a path relative to the research repo root")
                    .hint("fix or remove the entry in rules.files"),
                );
                continue;
            };
            match parse_toml::<RuleFile>(&text, file, "rule file", RULE_FILE_KEYS) {
                Ok(rf) => {
                    if let Some(s) = rf.scale {
                        scale = s;
                    }
                    add(&mut rules, rf.rule);
                }
                Err(d) => diags.push(d),
            }
        }
        add(&mut rules, config.rules.rule.clone());
        if let Some(s) = &config.scale {
            scale = s.clone();
        }
        let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
        let unknown = |name: &str, what: &str| {
            let mut d = Diagnostic::error(
                "unknown-rule",
                config_path,
                Pos::at(1, 1),
                format!("{what} names no rule `{name}`"),
            )
            .expected("the name of a shipped or added rule");
            d = match did_you_mean(name, names.iter().map(String::as_str)) {
                Some(near) => d.hint(format!("did you mean `{near}`?")),
                None => d.hint(format!("rules are: {}", names.join(", "))),
            };
            d
        };
        for name in &config.rules.disable {
            if !names.contains(name) {
                diags.push(unknown(name, "rules.disable"));
            }
        }
        for (name, value) in &config.rules.threshold {
            match rules.iter_mut().find(|r| &r.name == name) {
                Some(r) => r.threshold = Some(*value),
                None => diags.push(unknown(name, "rules.threshold")),
            }
        }
        rules.retain(|r| !config.rules.disable.contains(&r.name));
        for r in &rules {
            if let Err(why) = check_rule(r) {
                diags.push(
                    Diagnostic::error(
                        "bad-rule",
                        config_path,
                        Pos::at(1, 1),
                        format!("rule `{}`: {why}", r.name),
                    )
                    .expected(
                        "a field and comparison that fit the node kinds (docs/rules.md lists them)",
                    )
                    .hint("fix the rule or disable it with rules.disable"),
                );
            }
        }
        if scale.levels.is_empty() {
            diags.push(
                Diagnostic::error(
                    "bad-scale",
                    config_path,
                    Pos::at(1, 1),
                    "the evidence scale has no levels",
                )
                .expected("scale.levels = [\"weakest\", …, \"strongest\"]")
                .hint("remove [scale] to use the shipped scale"),
            );
        }
        for (alias, target) in &scale.aliases {
            if !scale.levels.iter().any(|l| fold(l) == fold(target)) {
                diags.push(
                    Diagnostic::error(
                        "bad-scale",
                        config_path,
                        Pos::at(1, 1),
                        format!("alias `{alias}` maps to `{target}`, which is not a level"),
                    )
                    .expected(format!("one of {}", scale.levels.join(", ")))
                    .hint("aliases map onto levels of scale.levels"),
                );
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(RuleSet {
            scale: Scale::from_spec(&scale),
            rules,
            flag_at: config.rules.flag_at,
            rename_similarity: config.rules.rename_similarity,
        })
    }

    /// The shipped rules alone.
    pub fn shipped() -> Result<RuleSet, Vec<Diagnostic>> {
        RuleSet::load(
            &Config::default(),
            Path::new(crate::config::FILE_NAME),
            &|_| None,
        )
    }

    fn for_kind(&self, kind: NodeKind) -> impl Iterator<Item = &RuleSpec> {
        self.rules.iter().filter(move |r| r.node.contains(&kind))
    }

    /// A node that was in the baseline and is gone now.
    pub fn removed(&self, kind: NodeKind, old: &MaterialState) -> Vec<Change> {
        self.presence(kind, Compare::Removed, describe(old), "(removed)".into())
    }

    /// A node that is upstream now and was not in the baseline.
    pub fn added(&self, kind: NodeKind, new: &MaterialState) -> Vec<Change> {
        self.presence(kind, Compare::Added, "(absent)".into(), describe(new))
    }

    /// A node the thesis now cites directly and was not scored against.
    pub fn new_dependency(&self, kind: NodeKind, new: &MaterialState) -> Vec<Change> {
        self.presence(
            kind,
            Compare::NewDependency,
            "(not cited)".into(),
            describe(new),
        )
    }

    fn presence(&self, kind: NodeKind, cmp: Compare, before: String, after: String) -> Vec<Change> {
        self.for_kind(kind)
            .filter(|r| r.compare == cmp)
            .map(|r| Change {
                rule: r.name.clone(),
                field: kind.as_str(),
                severity: r.severity,
                before: before.clone(),
                after: after.clone(),
                detail: None,
            })
            .collect()
    }

    /// Every rule that fires between two states of one node.
    pub fn diff(&self, kind: NodeKind, old: &MaterialState, new: &MaterialState) -> Vec<Change> {
        if old == new {
            return Vec::new();
        }
        let mut out = Vec::new();
        for rule in self.for_kind(kind) {
            if let Some(c) = self.apply(rule, old, new) {
                out.push(c);
            }
        }
        out
    }

    fn apply(&self, rule: &RuleSpec, old: &MaterialState, new: &MaterialState) -> Option<Change> {
        use MaterialState as S;
        let threshold = rule.threshold.unwrap_or(0.0);
        let change = |before: String, after: String, detail: Option<String>| Change {
            rule: rule.name.clone(),
            field: rule.field.map_or("node", Field::as_str),
            severity: rule.severity,
            before,
            after,
            detail,
        };
        match (rule.field?, rule.compare, old, new) {
            (
                Field::Evidence,
                cmp @ (Compare::LevelDown | Compare::LevelUp),
                S::Claim(a),
                S::Claim(b),
            ) => {
                let (ra, rb) = (self.scale.rank(&a.level)?, self.scale.rank(&b.level)?);
                let steps = threshold.max(1.0) as usize;
                let fired = match cmp {
                    Compare::LevelDown => ra >= rb + steps,
                    _ => rb >= ra + steps,
                };
                fired.then(|| change(a.level.clone(), b.level.clone(), None))
            }
            // Numbers come from the text: where the text reads the same numbers, none moved,
            // whatever an older rescore stored for them.
            (Field::Value, cmp, S::Claim(a), S::Claim(b)) => {
                canonical_numbers_differ(&a.text, &b.text)
                    .then(|| quantities(cmp, threshold, &a.quantities, &b.quantities))
                    .flatten()
                    .map(|(before, after, detail)| change(before, after, detail))
            }
            (Field::Value, cmp, S::Benchmark { value: a, .. }, S::Benchmark { value: b, .. }) => {
                match cell_numbers(a, b) {
                    Some((qa, qb)) => quantities(cmp, threshold, &qa, &qb)
                        .map(|(before, after, detail)| change(before, after, detail)),
                    None if cmp == Compare::TextChanged && a != b => {
                        Some(change(a.to_string(), b.to_string(), None))
                    }
                    None => None,
                }
            }
            (Field::Text, Compare::SimilarityBelow, S::Claim(a), S::Claim(b)) => {
                let sim = similarity(&a.text, &b.text);
                (sim < threshold).then(|| {
                    change(
                        a.text.clone(),
                        b.text.clone(),
                        Some(format!("similarity {:.0}%", sim * 100.0)),
                    )
                })
            }
            (Field::Qualifier, Compare::TextChanged, S::Claim(a), S::Claim(b)) => (a.qualifier
                != b.qualifier)
                .then(|| change(opt(&a.qualifier), opt(&b.qualifier), None)),
            (Field::Sources, cmp, a, b) => {
                let (sa, sb) = (sources(a)?, sources(b)?);
                let (gone, new): (Vec<&String>, Vec<&String>) = (
                    sa.iter().filter(|s| !sb.contains(s)).collect(),
                    sb.iter().filter(|s| !sa.contains(s)).collect(),
                );
                let fired = match cmp {
                    Compare::SetShrunk => !gone.is_empty(),
                    Compare::SetGrew => !new.is_empty(),
                    _ => false,
                };
                fired.then(|| change(sa.join(", "), sb.join(", "), None))
            }
            (
                Field::Retracted,
                Compare::BecameTrue,
                S::Source { retracted: a, .. },
                S::Source { retracted: b, .. },
            ) => (!a && *b).then(|| change("not retracted".into(), "retracted".into(), None)),
            (
                Field::SupersededBy,
                Compare::TextChanged,
                S::Source {
                    superseded_by: a, ..
                },
                S::Source {
                    superseded_by: b, ..
                },
            ) => (a != b).then(|| change(opt(a), opt(b), None)),
            (
                Field::Status,
                Compare::TextChanged,
                S::Concept { status: a },
                S::Concept { status: b },
            ) => (a != b).then(|| change(opt(a), opt(b), None)),
            (
                Field::Score,
                Compare::AbsoluteChange,
                S::Thesis { score: a },
                S::Thesis { score: b },
            ) => {
                let moved = (b - a).abs();
                (moved + 1e-9 >= threshold && moved > 0.0)
                    .then(|| change(fmt_score(*a), fmt_score(*b), Some(format!("{:+.2}", b - a))))
            }
            _ => None,
        }
    }
}

fn check_rule(r: &RuleSpec) -> Result<(), String> {
    use Compare as C;
    if r.node.is_empty() {
        return Err("`node` lists no node kind".into());
    }
    let fits = |kinds: &[NodeKind]| r.node.iter().all(|k| kinds.contains(k));
    let ok = match (r.field, r.compare) {
        (None, C::Removed | C::Added) => {
            fits(&[NodeKind::Claim, NodeKind::Benchmark, NodeKind::Concept])
        }
        (None, C::NewDependency) => true,
        (Some(Field::Evidence), C::LevelDown | C::LevelUp) => fits(&[NodeKind::Claim]),
        (Some(Field::Value), C::RelativeChange | C::UnitChanged) => {
            fits(&[NodeKind::Claim, NodeKind::Benchmark])
        }
        (Some(Field::Value), C::TextChanged) => fits(&[NodeKind::Benchmark]),
        (Some(Field::Text), C::SimilarityBelow) => fits(&[NodeKind::Claim]),
        (Some(Field::Qualifier), C::TextChanged) => fits(&[NodeKind::Claim]),
        (Some(Field::Sources), C::SetShrunk | C::SetGrew) => {
            fits(&[NodeKind::Claim, NodeKind::Benchmark])
        }
        (Some(Field::Retracted), C::BecameTrue) => fits(&[NodeKind::Source]),
        (Some(Field::SupersededBy), C::TextChanged) => fits(&[NodeKind::Source]),
        (Some(Field::Status), C::TextChanged) => fits(&[NodeKind::Concept]),
        (Some(Field::Score), C::AbsoluteChange) => fits(&[NodeKind::Thesis]),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "field {:?} with compare {:?} does not apply to {:?}",
            r.field, r.compare, r.node
        ))
    }
}

fn sources(s: &MaterialState) -> Option<&[String]> {
    match s {
        MaterialState::Claim(c) => Some(&c.sources),
        MaterialState::Benchmark { sources, .. } => Some(sources),
        _ => None,
    }
}

/// Pairs old and new quantities (by position when the counts agree, else by dimension in
/// order) and reports the largest move, or a change of dimension, or a quantity gained or lost.
/// Units of one dimension convert (`1 minute` = `60 seconds`); the cause shows both as written.
fn quantities(
    cmp: Compare,
    threshold: f64,
    a: &[Quantity],
    b: &[Quantity],
) -> Option<(String, String, Option<String>)> {
    if a == b {
        return None;
    }
    let list = |q: &[Quantity]| {
        if q.is_empty() {
            "(no number)".to_string()
        } else {
            q.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    match cmp {
        Compare::UnitChanged => {
            dimension_change(a, b).map(|(x, y)| (x.to_string(), y.to_string(), None))
        }
        Compare::RelativeChange => {
            if a.len() != b.len() {
                return Some((
                    list(a),
                    list(b),
                    Some("a quantity was added or removed".into()),
                ));
            }
            largest_move(a, b)
                .filter(|&(_, _, rel)| rel > threshold + 1e-12)
                .map(|(x, y, _)| (x.to_string(), y.to_string(), Some(x.percent_move(y))))
        }
        _ => None,
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "(none)".into())
}

fn fmt_score(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// Normalised edit similarity of two claim texts, 0–1.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    strsim::normalized_levenshtein(a, b)
}

/// A one-line description of a state, for "before"/"after" of added and removed nodes.
pub fn describe(s: &MaterialState) -> String {
    match s {
        MaterialState::Claim(ClaimState { level, text, .. }) => {
            let short: String = text.chars().take(60).collect();
            let more = if text.chars().count() > 60 { "…" } else { "" };
            format!("\"{short}{more}\" ({level})")
        }
        MaterialState::Benchmark { value, .. } => value.to_string(),
        MaterialState::Concept { status } => opt(status),
        MaterialState::Source { retracted, .. } => {
            if *retracted { "retracted" } else { "cited" }.into()
        }
        MaterialState::Thesis { score } => fmt_score(*score),
    }
}

/// Where rule files come from when reading from disk.
pub fn read_from(root: &Path) -> impl Fn(&Path) -> Option<String> + '_ {
    move |p: &Path| std::fs::read_to_string(root.join(p)).ok()
}

/// Lists the rules in force, for `rescore rules`.
pub fn describe_rules(set: &RuleSet) -> String {
    let mut out = String::new();
    for r in &set.rules {
        let kinds: Vec<&str> = r.node.iter().map(|k| k.as_str()).collect();
        let th = r
            .threshold
            .map(|t| format!(" (threshold {t})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<18} {:<8} {:<17} {}{}\n",
            r.name,
            r.severity.to_string(),
            kinds.join(","),
            r.description,
            th
        ));
    }
    out
}
