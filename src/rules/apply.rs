//! Comparing a node's accepted and current material state: which rules fire, and the change
//! each reports.

use std::cell::OnceCell;
use std::sync::Arc;

use rescore_graph::quantity::{
    canonical_numbers_differ, cell_numbers, dimension_change, largest_move, Quantity,
};
use rescore_graph::{MaterialState, NodeKind};

use super::describe::{describe, fmt_score, opt, plural};
use super::spec::{Compare, Field, RuleSpec};
use super::{Change, RuleSet};
use crate::claimtext::plain;
use crate::textdiff::Span;

impl RuleSet {
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
                fired.then(|| change(a.level.to_string(), b.level.to_string(), None))
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
                let (gone, new): (Vec<&Arc<str>>, Vec<&Arc<str>>) = (
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

fn sources(s: &MaterialState) -> Option<&[Arc<str>]> {
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

/// Normalised edit similarity of two claim texts, 0–1, blind to case and code marks (texts
/// stored by earlier versions are lowercase).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    strsim::normalized_levenshtein(&plain(a), &plain(b))
}
