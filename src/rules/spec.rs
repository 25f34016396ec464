//! The rule schema as written in TOML (`rules/default.toml`, rule files, `[[rules.rule]]`), and
//! what makes a rule or threshold wrong as written, in words.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rescore_graph::NodeKind;
use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic, Pos};
use crate::textdiff::TextClass;

/// The shipped rules and evidence scale.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");

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

/// What is wrong with one rule, in words, ready to be placed in a file.
pub struct RuleProblem {
    /// The threshold is wrong, not the rule's shape.
    pub in_threshold: bool,
    pub message: String,
    pub expected: String,
    pub hint: String,
}

impl RuleProblem {
    pub fn diagnostic(&self, name: &str, path: &Path, at: Pos) -> Diagnostic {
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

pub fn check_rule(r: &RuleSpec) -> Result<(), RuleProblem> {
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
pub fn check_threshold(r: &RuleSpec) -> Result<(), RuleProblem> {
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
            // 0 would make every move material, down to a rounding of the same figure.
            Compare::RelativeChange => t > 0.0,
            Compare::AbsoluteChange => t >= 0.0,
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
        Compare::RelativeChange if t == 0.0 => problem(
            "a finite fraction above 0, e.g. 0.1 for 10%",
            "0 makes every move material, a rounding too; threshold = 0.01 fires when a quantity moves by more than 1%",
        ),
        Compare::RelativeChange => problem(
            "a finite fraction above 0, e.g. 0.1 for 10%",
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
    fn thresholds_must_mean_something_for_their_comparison() {
        let value = Some(Field::Value);
        let evidence = Some(Field::Evidence);
        let text = Some(Field::Text);
        for (cmp, field, t, ok) in [
            (Compare::RelativeChange, value, 0.1, true),
            (Compare::RelativeChange, value, 0.0, false),
            (Compare::RelativeChange, value, 0.001, true),
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
