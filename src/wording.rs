//! What a verdict says, in words: the one place its title, reason, causes and next step are
//! worded. Every renderer (human text, GitHub annotations, JUnit, the job summary, the
//! watcher's lines and events, the warning block in thesis pages) composes these.

use crate::eval::{Cause, Status, Verdict};

/// The status as one word: `stale`, `pending`, `unscored`, `clean`.
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Clean => "clean",
        Status::Stale => "stale",
        Status::Pending => "pending",
        Status::Unscored => "unscored",
    }
}

/// `thesis ID is STATUS`.
pub fn title(v: &Verdict) -> String {
    format!("thesis {} is {}", v.thesis, status(v.status))
}

/// Why a pending or unscored thesis needs attention, in one line (`None` for a stale one,
/// whose reasons are its causes, and a clean one).
pub fn reason(v: &Verdict) -> Option<String> {
    match v.status {
        Status::Pending => Some(format!("waits on {}", v.waiting_on.join(", "))),
        Status::Unscored => Some("not in rescore.lock".to_string()),
        Status::Stale | Status::Clean => None,
    }
}

/// What to do about it (`None` when the thesis is clean).
pub fn next(v: &Verdict) -> Option<String> {
    let t = &v.thesis;
    match v.status {
        Status::Stale => Some(format!("re-score it, then `rescore accept {t}`")),
        Status::Pending => Some(format!(
            "re-score and accept {} first",
            v.waiting_on.join(", ")
        )),
        Status::Unscored => Some(format!("score it, then `rescore accept {t}`")),
        Status::Clean => None,
    }
}

/// One cause on one line: `node (was old-id): field before → after (detail, rule R, severity)`.
pub fn cause(c: &Cause) -> String {
    cause_at(c, &c.node)
}

/// `cause`, the node in backticks: for markdown (the warning block).
pub fn cause_markdown(c: &Cause) -> String {
    cause_at(c, &format!("`{}`", c.node))
}

fn cause_at(c: &Cause, node: &str) -> String {
    let was = c
        .was
        .as_deref()
        .map(|w| format!(" (was {w})"))
        .unwrap_or_default();
    let detail = c
        .detail
        .as_deref()
        .map(|d| format!("{d}, "))
        .unwrap_or_default();
    format!(
        "{node}{was}: {} {} → {} ({detail}rule {}, {})",
        c.field, c.before, c.after, c.rule, c.severity
    )
}

/// The body of a verdict for a CI tool or a table: each cause (`← cause`) or the reason, then
/// the next step, one per line. Empty for a clean thesis.
pub fn body(v: &Verdict) -> Vec<String> {
    let mut lines: Vec<String> = match v.status {
        Status::Stale => v.causes.iter().map(|c| format!("← {}", cause(c))).collect(),
        _ => reason(v).into_iter().collect(),
    };
    lines.extend(next(v).map(|n| format!("next: {n}")));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    fn verdict(status: Status) -> Verdict {
        Verdict {
            thesis: "t".into(),
            path: "theses/t.md".into(),
            line: 3,
            ix: None,
            status,
            causes: vec![Cause {
                node: "c#a".into(),
                was: Some("c#old".into()),
                field: "value",
                before: "64%".into(),
                after: "41%".into(),
                detail: Some("−36%".into()),
                rule: "value-shift".into(),
                severity: Severity::Major,
                via: Vec::new(),
            }],
            waiting_on: vec!["u".into()],
        }
    }

    #[test]
    fn each_status_has_its_reason_and_next_step() {
        assert_eq!(
            body(&verdict(Status::Stale)),
            [
                "← c#a (was c#old): value 64% → 41% (−36%, rule value-shift, major)",
                "next: re-score it, then `rescore accept t`"
            ]
        );
        assert_eq!(
            body(&verdict(Status::Pending)),
            ["waits on u", "next: re-score and accept u first"]
        );
        assert_eq!(
            body(&verdict(Status::Unscored)),
            [
                "not in rescore.lock",
                "next: score it, then `rescore accept t`"
            ]
        );
        assert!(body(&verdict(Status::Clean)).is_empty());
        assert_eq!(title(&verdict(Status::Pending)), "thesis t is pending");
    }

    #[test]
    fn markdown_causes_quote_the_node() {
        let v = verdict(Status::Stale);
        assert!(cause_markdown(&v.causes[0]).starts_with("`c#a` (was c#old): value"));
    }
}
