//! GitHub Actions: workflow annotations at each thesis, and the markdown job summary.

use std::fmt::Write as _;
use std::path::Path;

use crate::ci;
use crate::eval::{Evaluation, Status};
use crate::wording;

use super::human::counts;

/// GitHub workflow commands: one annotation per thesis that needs attention, at its file and line.
pub(super) fn annotations(eval: &Evaluation, gate: bool, prefix: &Path) -> String {
    let mut out = String::new();
    for v in eval.verdicts.iter().filter(|v| v.status != Status::Clean) {
        let (title, body) = (wording::title(v), wording::body(v).join("\n"));
        let file = ci::ci_path(prefix, &v.path);
        let place = ci::Place {
            file: &file,
            line: v.line,
            col: None,
        };
        let _ = writeln!(out, "{}", ci::annotation(gate, &place, &title, &body));
    }
    out
}

/// A GitHub Actions job summary (markdown, appended to `$GITHUB_STEP_SUMMARY`): the counts and a
/// table of the theses that need attention, with their causes.
pub fn job_summary(eval: &Evaluation, base: Option<&str>) -> String {
    let cell = |s: &str| {
        s.replace('|', "\\|")
            .replace('\r', "")
            .replace('\n', "<br>")
    };
    let mut out = String::new();
    let _ = writeln!(out, "### rescore: {}\n", counts(eval));
    if let Some(rev) = base {
        let _ = writeln!(
            out,
            "Compared with `{}`: what this branch newly flags.\n",
            cell(rev)
        );
    }
    let needs: Vec<_> = eval
        .verdicts
        .iter()
        .filter(|v| v.status != Status::Clean)
        .collect();
    if needs.is_empty() {
        out.push_str("No thesis needs re-scoring.\n\n");
        return out;
    }
    out.push_str("| Thesis | Status | Page | Why, and the next step |\n|---|---|---|---|\n");
    for v in needs {
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}:{}` | {} |",
            cell(&v.thesis),
            wording::status(v.status),
            cell(&v.path),
            v.line,
            cell(&wording::body(v).join("\n"))
        );
    }
    out.push('\n');
    out
}
