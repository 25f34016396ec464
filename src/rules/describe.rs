//! The wording of states in causes (`before` and `after` of a node added or removed), and the
//! rules in force as `rescore rules` lists them.

use rescore_graph::{ClaimState, MaterialState};

use super::RuleSet;

pub(super) fn opt(s: &Option<impl AsRef<str>>) -> String {
    s.as_ref()
        .map_or_else(|| "(none)".into(), |s| s.as_ref().to_string())
}

pub(super) fn fmt_score(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

pub(super) fn plural(n: usize) -> &'static str {
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
