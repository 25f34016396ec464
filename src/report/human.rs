//! Human text: the stale-thesis report and `why`.

use std::fmt::Write as _;

use crate::eval::{Evaluation, Status, Verdict};
use crate::format::TextOrJson;
use crate::wording;

pub(super) fn verdicts(eval: &Evaluation) -> String {
    let mut out = String::new();
    for v in &eval.verdicts {
        let word = wording::status(v.status);
        let next = wording::next(v).unwrap_or_default();
        match v.status {
            Status::Clean => {}
            Status::Stale => {
                let _ = writeln!(out, "{word:<9} {}:{}  {}", v.path, v.line, v.thesis);
                for c in &v.causes {
                    let _ = writeln!(out, "  ← {}", wording::cause(c));
                    if c.via.len() > 2 {
                        let _ = writeln!(out, "      via {}", c.via.join(" → "));
                    }
                }
                let _ = writeln!(out, "  next: {next}");
            }
            Status::Pending | Status::Unscored => {
                let _ = writeln!(
                    out,
                    "{word:<9} {}:{}  {} ({}; next: {next})",
                    v.path,
                    v.line,
                    v.thesis,
                    wording::reason(v).unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(out, "{}", counts(eval));
    out
}

/// `N stale, N pending, N unscored, N clean`.
pub(super) fn counts(eval: &Evaluation) -> String {
    let count = |s| eval.with(s).count();
    format!(
        "{} stale, {} pending, {} unscored, {} clean",
        count(Status::Stale),
        count(Status::Pending),
        count(Status::Unscored),
        count(Status::Clean)
    )
}

/// `rescore why`: every cause with its full path, and what a pending thesis waits on.
pub fn why(eval: &Evaluation, thesis: &str, format: TextOrJson) -> String {
    let Some(v) = eval.get(thesis) else {
        return String::new();
    };
    if format == TextOrJson::Json {
        return serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    }
    let reason = |v: &Verdict| wording::reason(v).unwrap_or_default();
    let next = wording::next(v).unwrap_or_default();
    let mut out = String::new();
    match v.status {
        Status::Clean => {
            let _ = writeln!(
                out,
                "{thesis} is clean: nothing it rests on changed materially since it was scored."
            );
        }
        Status::Unscored => {
            let _ = writeln!(out, "{thesis} is unscored: {}; next: {next}.", reason(v));
        }
        Status::Pending => {
            let _ = writeln!(out, "{thesis} is pending: it {}; next: {next}.", reason(v));
            for w in &v.waiting_on {
                out.push_str(&why(eval, w, format));
            }
        }
        Status::Stale => {
            for c in &v.causes {
                let _ = writeln!(out, "{thesis} ← {}", wording::cause(c));
                for (i, hop) in c.via.iter().enumerate() {
                    let _ = writeln!(out, "    {}{}", if i == 0 { "" } else { "→ " }, hop);
                }
            }
            let _ = writeln!(
                out,
                "{thesis} is stale: {next}; theses built on it are pending until then."
            );
        }
    }
    out
}

/// `why --select`: each picked thesis explained, in report order (JSON: an array).
pub fn why_each(eval: &Evaluation, picked: &[&Verdict], format: TextOrJson) -> String {
    if format == TextOrJson::Json {
        return serde_json::to_string_pretty(&picked).unwrap_or_default() + "\n";
    }
    picked
        .iter()
        .map(|v| why(eval, &v.thesis, format))
        .collect::<Vec<_>>()
        .join("\n")
}
