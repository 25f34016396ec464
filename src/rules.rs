//! Declarative rules: which differences between a node's accepted and current material state
//! are material, and how much. The shipped set lives in `rules/default.toml`; a research repo
//! extends or overrides it from `rescore.toml` (merged by `settings`, the loading stage: this
//! module reads no file). By stage: `spec` (the TOML schema and what makes a rule wrong),
//! `scale` (the evidence scale), `apply` (comparing two states), `describe` (wording).

mod apply;
mod describe;
mod scale;
mod spec;

use serde::Serialize;

pub use apply::similarity;
pub use describe::{describe, describe_rules};
pub(crate) use scale::checked_scale;
pub use scale::Scale;
pub use spec::{
    check_rule, check_threshold, Compare, Field, RuleProblem, RuleSpec, ScaleSpec, Severity,
    DEFAULT_RULES,
};

use crate::textdiff::Classifier;

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
    /// What changed: the rule's field, or the node's kind for a node added, removed or newly
    /// cited.
    pub field: &'static str,
    pub severity: Severity,
    pub before: String,
    pub after: String,
    /// e.g. "−36%" for a value move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
