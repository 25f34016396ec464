//! Declarative rules: which differences between a node's accepted and current material state
//! are material, and how much. The shipped set lives in `rules/default.toml`; a research repo
//! extends or overrides it from `rescore.toml`.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rescore_graph::quantity::{
    canonical_numbers_differ, cell_numbers, dimension_change, largest_move, Quantity,
};
use rescore_graph::{ClaimState, MaterialState, NodeKind};
use serde::{Deserialize, Serialize};
use toml::de::DeTable;

use crate::claimtext::plain;
use crate::config::{toml_error, Config, Reader, RulesConfig};
use crate::diag::{did_you_mean, Code, Diagnostic, Pos};
use crate::textdiff::{Classifier, Span, TextClass, TextSpec};
use crate::toml_spans::KeySpans;

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
    SpanChanged,
    SetShrunk,
    SetGrew,
    BecameTrue,
    AbsoluteChange,
    Removed,
    Added,
    NewDependency,
}

impl Compare {
    pub fn as_str(self) -> &'static str {
        match self {
            Compare::LevelDown => "level-down",
            Compare::LevelUp => "level-up",
            Compare::RelativeChange => "relative-change",
            Compare::UnitChanged => "unit-changed",
            Compare::TextChanged => "text-changed",
            Compare::SimilarityBelow => "similarity-below",
            Compare::SpanChanged => "span-changed",
            Compare::SetShrunk => "set-shrunk",
            Compare::SetGrew => "set-grew",
            Compare::BecameTrue => "became-true",
            Compare::AbsoluteChange => "absolute-change",
            Compare::Removed => "removed",
            Compare::Added => "added",
            Compare::NewDependency => "new-dependency",
        }
    }
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
    /// For `span-changed`: the classes of a changed span of text that fire the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<TextClass>,
    pub severity: Severity,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    pub levels: Vec<String>,
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

/// A rule file as read: its scale, its rules with their index in `[[rule]]`, where its keys
/// are, and what was wrong in it.
#[derive(Default)]
struct RuleFile {
    scale: Option<ScaleSpec>,
    rule: Vec<(usize, RuleSpec)>,
    text: Option<TextSpec>,
    spans: KeySpans,
}

impl RuleFile {
    /// Reads a rule file rule by rule: a bad rule or key costs only itself.
    fn read(text: &str, path: &Path, diags: &mut Vec<Diagnostic>) -> RuleFile {
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                diags.push(toml_error(text, path, "rule file", RULE_FILE_KEYS, &e));
                return RuleFile::default();
            }
        };
        let mut r = Reader::new(text, path, "rule file", RULE_FILE_KEYS);
        let mut file = RuleFile::default();
        for (key, value) in doc.get_ref() {
            match key.get_ref().as_ref() {
                "scale" => file.scale = r.take(value),
                "rule" => file.rule = r.rules_list(value),
                "text" => file.text = r.take(value),
                other => r.unknown(other, key.span(), "", &["scale", "rule", "text"]),
            }
        }
        diags.append(&mut r.diags);
        file.spans = KeySpans::of_table(text, doc.get_ref());
        file
    }
}

const RULE_FILE_KEYS: &[&str] = &[
    "scale",
    "rule",
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
    /// The word lists that class changed spans of claim text.
    pub classifier: Classifier,
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
    /// The shipped rules with the research repo's files and overrides applied. Every problem
    /// is reported, located where it is written; the set returned leaves out what was wrong
    /// (a bad rule, a bad threshold override, a bad alias) so pages can still be read with it.
    /// `read` fetches a rule file relative to the root (from disk or from a git tree).
    pub fn load(
        config: &Config,
        config_path: &Path,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> (RuleSet, Vec<Diagnostic>) {
        let spans = &config.spans;
        let mut diags = Vec::new();
        let shipped_path = Path::new("rules/default.toml");
        let shipped = RuleFile::read(DEFAULT_RULES, shipped_path, &mut diags);
        let shipped_spans = shipped.spans;
        let shipped_scale = shipped.scale.clone();
        let mut words = shipped.text.clone().unwrap_or_default();
        let mut scale = Placed {
            path: shipped_path.to_path_buf(),
            spans: shipped_spans.clone(),
            prefix: "scale",
            value: shipped.scale.unwrap_or(ScaleSpec {
                levels: Vec::new(),
                aliases: BTreeMap::new(),
            }),
        };
        let mut rules: Vec<(RuleSpec, Origin)> = Vec::new();
        let add = |rules: &mut Vec<(RuleSpec, Origin)>, r: RuleSpec, o: Origin| match rules
            .iter_mut()
            .find(|(old, _)| old.name == r.name)
        {
            Some(old) => *old = (r, o),
            None => rules.push((r, o)),
        };
        for (i, r) in shipped.rule {
            let o = Origin::of(shipped_path, &shipped_spans, &format!("rule[{i}]"));
            add(&mut rules, r, o);
        }
        for (n, file) in config.rules.files.iter().enumerate() {
            let Some(text) = read(file) else {
                diags.push(
                    Diagnostic::error(
                        Code::MissingRuleFile,
                        config_path,
                        spans.of(&format!("rules.files[{n}]")),
                        format!(
                            "rule file {} does not exist or cannot be read",
                            file.display()
                        ),
                    )
                    .expected("a readable rule file, as a path relative to the research repo root")
                    .hint("fix or remove the entry in rules.files"),
                );
                continue;
            };
            let rf = RuleFile::read(&text, file, &mut diags);
            if let Some(t) = &rf.text {
                words.overlay(t);
            }
            for (i, r) in rf.rule {
                let o = Origin::of(file, &rf.spans, &format!("rule[{i}]"));
                add(&mut rules, r, o);
            }
            if let Some(s) = rf.scale {
                scale = Placed {
                    path: file.clone(),
                    spans: rf.spans,
                    prefix: "scale",
                    value: s,
                };
            }
        }
        for (i, r) in &config.rules.rule {
            let o = Origin::of(config_path, spans, &format!("rules.rule[{i}]"));
            add(&mut rules, r.clone(), o);
        }
        if let Some(t) = &config.text {
            words.overlay(t);
        }
        if let Some(s) = &config.scale {
            scale = Placed {
                path: config_path.to_path_buf(),
                spans: spans.clone(),
                prefix: "scale",
                value: s.clone(),
            };
        }
        let names: Vec<String> = rules.iter().map(|(r, _)| r.name.clone()).collect();
        let unknown = |name: &str, what: &str, at: Pos| {
            let d = Diagnostic::error(
                Code::UnknownRule,
                config_path,
                at,
                format!("{what} names no rule `{name}`"),
            )
            .expected("the name of a shipped or added rule");
            match did_you_mean(name, names.iter().map(String::as_str)) {
                Some(near) => d.hint(format!("did you mean `{near}`?")),
                None => d.hint(format!("rules are: {}", names.join(", "))),
            }
        };
        for (i, name) in config.rules.disable.iter().enumerate() {
            if !names.contains(name) {
                diags.push(unknown(
                    name,
                    "rules.disable",
                    spans.of(&format!("rules.disable[{i}]")),
                ));
            }
        }
        rules.retain(|(r, _)| !config.rules.disable.contains(&r.name));
        // A rule that is wrong as written is left out; the run fails on its diagnostic anyway.
        let mut dropped = Vec::new();
        rules.retain(
            |(r, o)| match check_rule(r).and_then(|()| check_threshold(r)) {
                Ok(()) => true,
                Err(problem) => {
                    dropped.push(r.name.clone());
                    let at = if problem.in_threshold {
                        o.threshold.clone()
                    } else {
                        o.rule.clone()
                    };
                    diags.push(problem.diagnostic(&r.name, &o.path, at));
                    false
                }
            },
        );
        for (name, value) in &config.rules.threshold {
            let at = spans.of(&format!("rules.threshold.{name}"));
            let Some((r, _)) = rules.iter_mut().find(|(r, _)| &r.name == name) else {
                if !config.rules.disable.contains(name) && !dropped.contains(name) {
                    diags.push(unknown(name, "rules.threshold", at));
                }
                continue;
            };
            let moved = RuleSpec {
                threshold: Some(*value),
                ..r.clone()
            };
            match check_threshold(&moved) {
                Ok(()) => *r = moved,
                Err(problem) => diags.push(problem.diagnostic(name, config_path, at)),
            }
        }
        let rename_similarity = config.rules.rename_similarity;
        let rename_similarity = if (0.0..=1.0).contains(&rename_similarity) {
            rename_similarity
        } else {
            diags.push(
                Diagnostic::error(
                    Code::BadThreshold,
                    config_path,
                    spans.of("rules.rename_similarity"),
                    format!("rules.rename_similarity is {rename_similarity}, outside 0 to 1"),
                )
                .expected("a number from 0 to 1, e.g. 0.6")
                .hint("0.6 counts a claim as reworded when 60% of its text is alike"),
            );
            RulesConfig::default().rename_similarity
        };
        let scale = checked_scale(scale, shipped_scale, &mut diags);
        let set = RuleSet {
            scale: Scale::from_spec(&scale),
            rules: rules.into_iter().map(|(r, _)| r).collect(),
            flag_at: config.rules.flag_at,
            rename_similarity,
            classifier: Classifier::from_spec(&words),
        };
        (set, diags)
    }

    /// The shipped rules alone.
    pub fn shipped() -> Result<RuleSet, Vec<Diagnostic>> {
        let (set, diags) = RuleSet::load(
            &Config::default(),
            Path::new(crate::config::FILE_NAME),
            &|_| None,
        );
        if diags.is_empty() {
            Ok(set)
        } else {
            Err(diags)
        }
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
        let spans: OnceCell<Vec<Span>> = OnceCell::new();
        let mut out = Vec::new();
        for rule in self.for_kind(kind) {
            if let Some(c) = self.apply(rule, old, new, &spans) {
                out.push(c);
            }
        }
        out
    }

    fn apply(
        &self,
        rule: &RuleSpec,
        old: &MaterialState,
        new: &MaterialState,
        spans: &OnceCell<Vec<Span>>,
    ) -> Option<Change> {
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
                let line = |t: &str| t.replace('\n', " ");
                (sim < threshold).then(|| {
                    change(
                        line(&a.text),
                        line(&b.text),
                        Some(format!("similarity {:.0}%", sim * 100.0)),
                    )
                })
            }
            (Field::Text, Compare::SpanChanged, S::Claim(a), S::Claim(b)) => {
                if a.text == b.text {
                    return None;
                }
                let spans = spans.get_or_init(|| self.classifier.spans(&a.text, &b.text));
                let hits: Vec<(&Span, Vec<&str>)> = spans
                    .iter()
                    .map(|s| {
                        let mine = s.classes.iter().filter(|c| rule.classes.contains(c));
                        (s, mine.map(|c| c.as_str()).collect::<Vec<_>>())
                    })
                    .filter(|(_, mine)| !mine.is_empty())
                    .collect();
                let (span, mine) = hits.first()?;
                let mut detail = mine.join(", ");
                if hits.len() > 1 {
                    let more = hits.len() - 1;
                    detail.push_str(&format!("; {more} more change{}", plural(more)));
                }
                Some(change(
                    format!("\"{}\"", span.old),
                    format!("\"{}\"", span.new),
                    Some(detail),
                ))
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

/// Where a rule is written: its table, and its threshold (or the override that set it).
struct Origin {
    path: PathBuf,
    rule: Pos,
    threshold: Pos,
}

impl Origin {
    fn of(path: &Path, spans: &KeySpans, key: &str) -> Origin {
        Origin {
            path: path.to_path_buf(),
            rule: spans.of(key),
            threshold: spans.of(&format!("{key}.threshold")),
        }
    }
}

/// A setting together with the file it came from and where its keys are in that file.
struct Placed<T> {
    path: PathBuf,
    spans: KeySpans,
    prefix: &'static str,
    value: T,
}

/// What is wrong with one rule, in words, ready to be placed in a file.
struct RuleProblem {
    in_threshold: bool,
    message: String,
    expected: String,
    hint: String,
}

impl RuleProblem {
    fn diagnostic(&self, name: &str, path: &Path, at: Pos) -> Diagnostic {
        let code = if self.in_threshold {
            Code::BadThreshold
        } else {
            Code::BadRule
        };
        Diagnostic::error(code, path, at, format!("rule `{name}`: {}", self.message))
            .expected(self.expected.clone())
            .hint(self.hint.clone())
    }
}

/// The node kinds a field and comparison can apply to; `None` when they do not go together.
fn applies_to(field: Option<Field>, cmp: Compare) -> Option<&'static [NodeKind]> {
    use Compare as C;
    use NodeKind as K;
    const ALL: &[NodeKind] = &[K::Source, K::Claim, K::Benchmark, K::Concept, K::Thesis];
    Some(match (field, cmp) {
        (None, C::Removed | C::Added) => &[K::Claim, K::Benchmark, K::Concept],
        (None, C::NewDependency) => ALL,
        (Some(Field::Evidence), C::LevelDown | C::LevelUp) => &[K::Claim],
        (Some(Field::Value), C::RelativeChange | C::UnitChanged) => &[K::Claim, K::Benchmark],
        (Some(Field::Value), C::TextChanged) => &[K::Benchmark],
        (Some(Field::Text), C::SimilarityBelow | C::SpanChanged) => &[K::Claim],
        (Some(Field::Qualifier), C::TextChanged) => &[K::Claim],
        (Some(Field::Sources), C::SetShrunk | C::SetGrew) => &[K::Claim, K::Benchmark],
        (Some(Field::Retracted), C::BecameTrue) => &[K::Source],
        (Some(Field::SupersededBy), C::TextChanged) => &[K::Source],
        (Some(Field::Status), C::TextChanged) => &[K::Concept],
        (Some(Field::Score), C::AbsoluteChange) => &[K::Thesis],
        _ => return None,
    })
}

const FIELDS: &[Field] = &[
    Field::Evidence,
    Field::Qualifier,
    Field::Sources,
    Field::Value,
    Field::Text,
    Field::Status,
    Field::Retracted,
    Field::SupersededBy,
    Field::Score,
];

fn field_words(field: Option<Field>) -> String {
    field.map_or("no `field`".into(), |f| format!("field `{}`", f.as_str()))
}

fn kind_list(kinds: &[NodeKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_rule(r: &RuleSpec) -> Result<(), RuleProblem> {
    let problem = |message: String, expected: String| RuleProblem {
        in_threshold: false,
        message,
        expected,
        hint: "fix the rule, or switch it off with rules.disable (docs/rules.md lists the pairs)"
            .into(),
    };
    if r.node.is_empty() {
        return Err(problem(
            "`node` lists no node kind".into(),
            "node = [\"claim\"] or other kinds: source, claim, benchmark, concept, thesis".into(),
        ));
    }
    let cmp = r.compare.as_str();
    if !r.classes.is_empty() && r.compare != Compare::SpanChanged {
        return Err(problem(
            format!("`classes` does not work with compare `{cmp}`"),
            "`classes` only with compare = \"span-changed\"".into(),
        ));
    }
    if r.classes.is_empty() && r.compare == Compare::SpanChanged {
        return Err(problem(
            "compare `span-changed` needs `classes`".into(),
            format!(
                "classes = [...], some of: {}",
                TextClass::ALL.map(TextClass::as_str).join(", ")
            ),
        ));
    }
    let Some(kinds) = applies_to(r.field, r.compare) else {
        let fits: Vec<String> = std::iter::once(None)
            .chain(FIELDS.iter().copied().map(Some))
            .filter(|f| applies_to(*f, r.compare).is_some())
            .map(field_words)
            .collect();
        return Err(problem(
            format!("compare `{cmp}` does not work on {}", field_words(r.field)),
            format!("{} for compare `{cmp}`", fits.join(" or ")),
        ));
    };
    let wrong: Vec<NodeKind> = r
        .node
        .iter()
        .copied()
        .filter(|k| !kinds.contains(k))
        .collect();
    if wrong.is_empty() {
        return Ok(());
    }
    Err(problem(
        format!(
            "compare `{cmp}` on {} does not apply to {} nodes",
            field_words(r.field),
            kind_list(&wrong)
        ),
        format!("node kinds among {}", kind_list(kinds)),
    ))
}

/// A threshold must be a finite number that means something for the rule's comparison: a
/// NaN or a negative one would switch the rule off without a word.
fn check_threshold(r: &RuleSpec) -> Result<(), RuleProblem> {
    let Some(t) = r.threshold else {
        return Ok(());
    };
    let cmp = r.compare.as_str();
    let problem = |expected: &str, hint: &str| RuleProblem {
        in_threshold: true,
        message: format!("threshold {} does not fit compare `{cmp}`", toml_number(t)),
        expected: expected.into(),
        hint: hint.into(),
    };
    let ok = t.is_finite()
        && match r.compare {
            Compare::LevelDown | Compare::LevelUp => t >= 1.0 && t.fract() == 0.0,
            Compare::RelativeChange | Compare::AbsoluteChange => t >= 0.0,
            Compare::SimilarityBelow => t > 0.0 && t <= 1.0,
            _ => {
                return Err(problem(
                    "no threshold: this comparison has none",
                    "remove the threshold",
                ))
            }
        };
    if ok {
        return Ok(());
    }
    Err(match r.compare {
        Compare::LevelDown | Compare::LevelUp => problem(
            "a whole number of levels, 1 or more",
            "threshold = 1 fires on a move of one level",
        ),
        Compare::RelativeChange => problem(
            "a finite fraction of 0 or more, e.g. 0.1 for 10%",
            "threshold = 0.1 fires when a quantity moves by more than 10%",
        ),
        Compare::AbsoluteChange => problem(
            "a finite number of 0 or more, e.g. 0.1",
            "threshold = 0.1 fires when the score moves by 0.1 or more",
        ),
        _ => problem(
            "a similarity above 0 and at most 1, e.g. 0.8",
            "threshold = 0.8 fires when less than 80% of the text is alike",
        ),
    })
}

/// A number as TOML writes it (`nan`, `inf`, `-inf`), so a message quotes what the user wrote.
fn toml_number(x: f64) -> String {
    match x {
        x if x.is_nan() => "nan".into(),
        f64::INFINITY => "inf".into(),
        f64::NEG_INFINITY => "-inf".into(),
        x => x.to_string(),
    }
}

/// The scale as configured, without aliases that point at no level; the shipped scale when
/// the configured one has no levels.
fn checked_scale(
    placed: Placed<ScaleSpec>,
    shipped: Option<ScaleSpec>,
    diags: &mut Vec<Diagnostic>,
) -> ScaleSpec {
    let Placed {
        path,
        spans,
        prefix,
        mut value,
    } = placed;
    if value.levels.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::BadScale,
                &path,
                spans.of(&format!("{prefix}.levels")),
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
                &path,
                spans.of(&format!("{prefix}.aliases.{alias}")),
                format!("alias `{alias}` maps to `{target}`, which is not a level"),
            )
            .expected(format!("one of {}", levels.join(", ")))
            .hint("aliases map onto levels of scale.levels"),
        );
        false
    });
    value
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

/// Normalised edit similarity of two claim texts, 0–1, blind to case and code marks (texts
/// stored by earlier versions are lowercase).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    strsim::normalized_levenshtein(&plain(a), &plain(b))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A one-line description of a state, for "before"/"after" of added and removed nodes.
pub fn describe(s: &MaterialState) -> String {
    match s {
        MaterialState::Claim(ClaimState { level, text, .. }) => {
            let short: String = text
                .chars()
                .take(60)
                .map(|c| if c == '\n' { ' ' } else { c })
                .collect();
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
    let rows: Vec<[String; 4]> = set
        .rules
        .iter()
        .map(|r| {
            let kinds: Vec<&str> = r.node.iter().map(|k| k.as_str()).collect();
            let th = r
                .threshold
                .map(|t| format!(" (threshold {t})"))
                .unwrap_or_default();
            let th = if r.classes.is_empty() {
                th
            } else {
                let classes: Vec<&str> = r.classes.iter().map(|c| c.as_str()).collect();
                format!("{th} (classes {})", classes.join(", "))
            };
            [
                r.name.clone(),
                r.severity.to_string(),
                kinds.join(","),
                format!("{}{th}", r.description),
            ]
        })
        .collect();
    // Columns as wide as their widest cell, so names of any length keep the table aligned.
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [name, severity, kinds, description] in &rows {
        out.push_str(&format!(
            "{name:<w0$}  {severity:<w1$}  {kinds:<w2$}  {description}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(compare: Compare, field: Option<Field>, threshold: f64) -> RuleSpec {
        RuleSpec {
            name: "r".into(),
            description: String::new(),
            node: vec![NodeKind::Claim],
            field,
            compare,
            threshold: Some(threshold),
            classes: Vec::new(),
            severity: Severity::Major,
        }
    }

    #[test]
    fn shipped_rules_pass_their_own_checks() {
        let set = RuleSet::shipped().expect("shipped rules load");
        assert!(set.rules.iter().any(|r| r.name == "value-shift"));
    }

    #[test]
    fn thresholds_must_mean_something_for_their_comparison() {
        let value = Some(Field::Value);
        let evidence = Some(Field::Evidence);
        let text = Some(Field::Text);
        for (cmp, field, t, ok) in [
            (Compare::RelativeChange, value, 0.1, true),
            (Compare::RelativeChange, value, 0.0, true),
            (Compare::RelativeChange, value, -0.1, false),
            (Compare::RelativeChange, value, f64::NAN, false),
            (Compare::RelativeChange, value, f64::INFINITY, false),
            (Compare::LevelDown, evidence, 2.0, true),
            (Compare::LevelDown, evidence, 0.0, false),
            (Compare::LevelDown, evidence, 1.5, false),
            (Compare::SimilarityBelow, text, 0.8, true),
            (Compare::SimilarityBelow, text, 0.0, false),
            (Compare::SimilarityBelow, text, 1.2, false),
            (Compare::UnitChanged, value, 0.5, false),
        ] {
            let got = check_threshold(&rule(cmp, field, t)).is_ok();
            assert_eq!(got, ok, "{cmp:?} threshold {t}");
        }
    }

    #[test]
    fn a_misfit_rule_is_described_in_words() {
        let mut r = rule(Compare::LevelDown, Some(Field::Status), 1.0);
        let p = check_rule(&r).expect_err("status has no levels");
        assert_eq!(
            p.message,
            "compare `level-down` does not work on field `status`"
        );
        assert_eq!(p.expected, "field `evidence` for compare `level-down`");
        r.field = Some(Field::Evidence);
        r.node = vec![NodeKind::Claim, NodeKind::Source];
        let p = check_rule(&r).expect_err("sources have no evidence");
        assert_eq!(
            p.message,
            "compare `level-down` on field `evidence` does not apply to source nodes"
        );
    }
}
