//! Rendering what rescore found: listings and stale-thesis reports, as human text, JSON,
//! GitHub workflow commands and JUnit XML.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use rescore_graph::{MaterialState, NodeKind};
use serde_json::json;

use crate::ci;
use crate::diag::Diagnostic;
use crate::eval::{Cause, Evaluation, Status};
use crate::format::Format;
use crate::load::Repo;
use crate::output;

/// Prints diagnostics to stderr: rendered with snippets, as JSON lines, or as workflow commands.
/// `-q` keeps only the errors.
pub fn print_diags(root: &Path, diags: &[Diagnostic], format: Option<Format>) {
    let _ = std::io::stderr()
        .lock()
        .write_all(diags_text(root, diags, format).as_bytes());
}

/// What `print_diags` prints.
pub fn diags_text(root: &Path, diags: &[Diagnostic], format: Option<Format>) -> String {
    let quiet = output::quiet();
    let colour = output::stderr();
    let mut out = String::new();
    for d in diags.iter().filter(|d| !quiet || d.is_error()) {
        let text = match format {
            Some(Format::Json) => {
                serde_json::to_string(&json!({ "diagnostic": d })).unwrap_or_default() + "\n"
            }
            Some(Format::Github) => d.github(&crate::ci::git_prefix(root)) + "\n",
            _ => {
                // Only a regular file is read for the snippet: a pipe would block forever.
                let file = root.join(&d.path);
                let source = (d.span.is_some() && file.is_file())
                    .then(|| std::fs::read_to_string(&file).ok())
                    .flatten();
                d.render(source.as_deref(), colour)
            }
        };
        out.push_str(&text);
    }
    out
}

/// `rescore ls`: pages, nodes with their material state, and edges; with `--select`, only the
/// nodes in `only` (all when `None`).
pub fn ls_only(
    repo: &Repo,
    kind: Option<NodeKind>,
    only: Option<&std::collections::HashSet<rescore_graph::NodeIx>>,
    format: Format,
) -> String {
    let picked = |ix: rescore_graph::NodeIx| only.is_none_or(|o| o.contains(&ix));
    let nodes: Vec<_> = repo
        .graph
        .nodes()
        .filter(|(ix, n)| kind.is_none_or(|k| n.kind == k) && picked(*ix))
        .collect();
    let path = |n: &rescore_graph::Node| {
        repo.page_of(n.loc)
            .map(|p| p.path.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    if format == Format::Json {
        let nodes: Vec<_> = nodes
            .iter()
            .map(|(_, n)| {
                json!({
                    "key": n.key,
                    "kind": n.kind,
                    "path": path(n),
                    "line": n.loc.line,
                    "state": n.state,
                })
            })
            .collect();
        let keep = |ix: rescore_graph::NodeIx| {
            kind.is_none_or(|k| repo.graph.node(ix).kind == k) && picked(ix)
        };
        let edges: Vec<_> = repo
            .graph
            .edges()
            .filter(|(a, b, _)| keep(*a) || keep(*b))
            .map(|(a, b, e)| {
                json!({
                    "from": repo.graph.node(a).key,
                    "to": repo.graph.node(b).key,
                    "kind": e.kind,
                })
            })
            .collect();
        let doc = json!({ "nodes": nodes, "edges": edges });
        return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for (ix, n) in &nodes {
        let detail = match &n.state {
            MaterialState::Claim(c) => {
                let q: Vec<String> = c.quantities.iter().map(|q| q.to_string()).collect();
                let mut s = c.level.clone();
                if !q.is_empty() {
                    let _ = write!(s, "  [{}]", q.join(", "));
                }
                if !c.sources.is_empty() {
                    let _ = write!(s, "  ← {}", c.sources.join(", "));
                }
                s
            }
            MaterialState::Benchmark { value, .. } => value.to_string(),
            MaterialState::Concept { status } => status.clone().unwrap_or_default(),
            MaterialState::Source {
                retracted,
                superseded_by,
            } => match (retracted, superseded_by) {
                (true, _) => "retracted".into(),
                (_, Some(s)) => format!("superseded by {s}"),
                _ => String::new(),
            },
            MaterialState::Thesis { score } => format!("score {score}"),
        };
        let _ = writeln!(
            out,
            "{:<9} {:<50} {}  ({}:{})",
            n.kind,
            n.key,
            detail,
            path(n),
            n.loc.line
        );
        for (to, e) in repo.graph.outgoing(*ix) {
            let _ = writeln!(out, "{:<9}   └─{}→ {}", "", e.kind, repo.graph.node(to).key);
        }
    }
    out
}

/// One cause on one line: `node: field before → after (detail, rule R, severity)`.
pub fn cause_line(c: &Cause) -> String {
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
        "{}{was}: {} {} → {} ({detail}rule {}, {})",
        c.node, c.field, c.before, c.after, c.rule, c.severity
    )
}

/// The stale/pending/unscored report, in any format. Clean theses are counted, not listed.
pub fn verdicts(eval: &Evaluation, format: Format, gate: bool, prefix: &Path) -> String {
    verdicts_warned(eval, &[], format, gate, prefix)
}

/// `verdicts`, carrying the input's warnings in the machine formats: a `warnings` array in
/// JSON (absent when there are none), `::warning` commands in GitHub, and a `warnings` suite
/// in JUnit. Human output leaves them to stderr, where they are rendered with a snippet.
/// GitHub and JUnit paths are put under `prefix` (`ci::git_prefix`).
pub fn verdicts_warned(
    eval: &Evaluation,
    warnings: &[Diagnostic],
    format: Format,
    gate: bool,
    prefix: &Path,
) -> String {
    match format {
        Format::Json => {
            let list = |s: Status| eval.with(s).collect::<Vec<_>>();
            let mut doc = json!({
                "stale": list(Status::Stale),
                "pending": list(Status::Pending),
                "unscored": list(Status::Unscored),
                "clean": eval.with(Status::Clean).count(),
            });
            if !warnings.is_empty() {
                doc["warnings"] = json!(warnings);
            }
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        Format::Github => {
            let mut out: String = warnings.iter().map(|w| w.github(prefix) + "\n").collect();
            out.push_str(&github(eval, gate, prefix));
            out
        }
        Format::Junit => junit(eval, warnings, prefix),
        _ => human(eval),
    }
}

fn human(eval: &Evaluation) -> String {
    let mut out = String::new();
    for v in &eval.verdicts {
        match v.status {
            Status::Clean => {}
            Status::Stale => {
                let _ = writeln!(out, "stale     {}:{}  {}", v.path, v.line, v.thesis);
                for c in &v.causes {
                    let _ = writeln!(out, "  ← {}", cause_line(c));
                    if c.via.len() > 2 {
                        let _ = writeln!(out, "      via {}", c.via.join(" → "));
                    }
                }
            }
            Status::Pending => {
                let _ = writeln!(
                    out,
                    "pending   {}:{}  {} (waits on {})",
                    v.path,
                    v.line,
                    v.thesis,
                    v.waiting_on.join(", ")
                );
            }
            Status::Unscored => {
                let _ = writeln!(
                    out,
                    "unscored  {}:{}  {} (not in rescore.lock: score it, then `rescore accept {}`)",
                    v.path, v.line, v.thesis, v.thesis
                );
            }
        }
    }
    let _ = writeln!(out, "{}", counts(eval));
    out
}

/// `N stale, N pending, N unscored, N clean`.
fn counts(eval: &Evaluation) -> String {
    let count = |s| eval.with(s).count();
    format!(
        "{} stale, {} pending, {} unscored, {} clean",
        count(Status::Stale),
        count(Status::Pending),
        count(Status::Unscored),
        count(Status::Clean)
    )
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
    out.push_str("| Thesis | Status | Page | Causes |\n|---|---|---|---|\n");
    for v in needs {
        let (status, causes) = match v.status {
            Status::Stale => (
                "stale",
                v.causes
                    .iter()
                    .map(|c| format!("← {}", cause_line(c)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Status::Pending => ("pending", format!("waits on {}", v.waiting_on.join(", "))),
            _ => (
                "unscored",
                format!(
                    "not in rescore.lock: score it, then `rescore accept {}`",
                    v.thesis
                ),
            ),
        };
        let _ = writeln!(
            out,
            "| `{}` | {status} | `{}:{}` | {} |",
            cell(&v.thesis),
            cell(&v.path),
            v.line,
            cell(&causes)
        );
    }
    out.push('\n');
    out
}

/// GitHub workflow commands: one annotation per thesis that needs attention, at its file and line.
fn github(eval: &Evaluation, gate: bool, prefix: &Path) -> String {
    let mut out = String::new();
    for v in eval.verdicts.iter().filter(|v| v.status != Status::Clean) {
        let (title, body) = match v.status {
            Status::Stale => (
                format!("thesis {} is stale", v.thesis),
                v.causes
                    .iter()
                    .map(|c| format!("← {}", cause_line(c)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Status::Pending => (
                format!("thesis {} is pending", v.thesis),
                format!("waits on {}", v.waiting_on.join(", ")),
            ),
            _ => (
                format!("thesis {} is unscored", v.thesis),
                format!("score it, then run `rescore accept {}`", v.thesis),
            ),
        };
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

/// JUnit XML: one test case per thesis, failing when it is not clean; then, when the input has
/// warnings, a `warnings` suite with one passing case per warning, its text in `system-out`.
fn junit(eval: &Evaluation, warnings: &[Diagnostic], prefix: &Path) -> String {
    let esc = xml_escape;
    let failures = eval
        .verdicts
        .iter()
        .filter(|v| v.status != Status::Clean)
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rescore\" tests=\"{}\" failures=\"{failures}\">",
        eval.verdicts.len() + warnings.len()
    );
    let _ = writeln!(out, "  <testsuite name=\"theses\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">", eval.verdicts.len());
    for v in &eval.verdicts {
        let _ = write!(
            out,
            "    <testcase classname=\"rescore.thesis\" name=\"{}\" file=\"{}\" line=\"{}\"",
            esc(&v.thesis),
            esc(&ci::ci_path(prefix, &v.path)),
            v.line
        );
        if v.status == Status::Clean {
            out.push_str("/>\n");
            continue;
        }
        let body = match v.status {
            Status::Stale => v
                .causes
                .iter()
                .map(cause_line)
                .collect::<Vec<_>>()
                .join("\n"),
            Status::Pending => format!("waits on {}", v.waiting_on.join(", ")),
            _ => "not in rescore.lock".to_string(),
        };
        let kind = match v.status {
            Status::Stale => "stale",
            Status::Pending => "pending",
            _ => "unscored",
        };
        let _ = writeln!(out, ">\n      <failure message=\"thesis {} is {kind}\" type=\"{kind}\">{}</failure>\n    </testcase>", esc(&v.thesis), esc(&body));
    }
    out.push_str("  </testsuite>\n");
    if !warnings.is_empty() {
        let _ = writeln!(out, "  <testsuite name=\"warnings\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"0\">", warnings.len());
        for w in warnings {
            let _ = writeln!(
                out,
                "    <testcase classname=\"rescore.warning\" name=\"{} {}\" file=\"{}\" line=\"{}\">\n      <system-out>{}</system-out>\n    </testcase>",
                esc(w.code),
                esc(&w.location()),
                esc(&ci::ci_path(prefix, &w.path.to_string_lossy())),
                w.line,
                esc(&format!("warning[{}]: {}: {}", w.code, w.location(), w.message))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text made safe for an XML attribute or element. Control characters that XML 1.0 cannot
/// carry at all (a page may hold them) become U+FFFD, so the document always parses.
fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() && (c as u32) < 0x20 => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report of a run stopped by bad input, for the machine formats that promise a document:
/// a JSON object holding the diagnostics, or JUnit with one failing case per error (warnings
/// pass, their text in `system-out`). `None` for the formats that print diagnostics as they
/// are (human, GitHub).
pub fn failed_input(diags: &[Diagnostic], format: Format, prefix: &Path) -> Option<String> {
    match format {
        Format::Json => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let doc = json!({ "error": "bad input", "errors": errors, "diagnostics": diags });
            Some(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")
        }
        Format::Junit => {
            let esc = xml_escape;
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            let _ = writeln!(
                out,
                "<testsuites name=\"rescore\" tests=\"{}\" failures=\"{errors}\">",
                diags.len()
            );
            let _ = writeln!(out, "  <testsuite name=\"input\" tests=\"{}\" failures=\"{errors}\" errors=\"0\" skipped=\"0\">", diags.len());
            for d in diags {
                let text = format!(
                    "{}[{}]: {}: {} (expected {}){}",
                    if d.is_error() { "error" } else { "warning" },
                    d.code,
                    d.location(),
                    d.message,
                    d.expected,
                    d.hint
                        .as_deref()
                        .map(|h| format!(" hint: {h}"))
                        .unwrap_or_default()
                );
                let _ = write!(
                    out,
                    "    <testcase classname=\"rescore.input\" name=\"{} {}\" file=\"{}\" line=\"{}\">\n      ",
                    esc(d.code),
                    esc(&d.location()),
                    esc(&ci::ci_path(prefix, &d.path.to_string_lossy())),
                    d.line
                );
                if d.is_error() {
                    let _ = writeln!(
                        out,
                        "<failure message=\"{}\" type=\"{}\">{}</failure>",
                        esc(&d.message),
                        esc(d.code),
                        esc(&text)
                    );
                } else {
                    let _ = writeln!(out, "<system-out>{}</system-out>", esc(&text));
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
            Some(out)
        }
        _ => None,
    }
}

/// `rescore why`: every cause with its full path, and what a pending thesis waits on.
pub fn why(eval: &Evaluation, thesis: &str, format: Format) -> String {
    let Some(v) = eval.get(thesis) else {
        return String::new();
    };
    if format == Format::Json {
        return serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    match v.status {
        Status::Clean => {
            let _ = writeln!(
                out,
                "{thesis} is clean: nothing it rests on changed materially since it was scored."
            );
        }
        Status::Unscored => {
            let _ = writeln!(out, "{thesis} is unscored: it is not in rescore.lock. Score it, then `rescore accept {thesis}`.");
        }
        Status::Pending => {
            let _ = writeln!(
                out,
                "{thesis} is pending: it builds on {}, which must be re-scored first.",
                v.waiting_on.join(", ")
            );
            for w in &v.waiting_on {
                out.push_str(&why(eval, w, format));
            }
        }
        Status::Stale => {
            for c in &v.causes {
                let _ = writeln!(out, "{thesis} ← {}", cause_line(c));
                for (i, hop) in c.via.iter().enumerate() {
                    let _ = writeln!(out, "    {}{}", if i == 0 { "" } else { "→ " }, hop);
                }
            }
            let _ = writeln!(
                out,
                "{thesis} is stale: re-score it, then `rescore accept {thesis}`; theses built on it are pending until then."
            );
        }
    }
    out
}

#[cfg(test)]
mod xml_tests {
    #[test]
    fn control_characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            super::xml_escape("a\u{1}b\u{1b}[31m<c>\t\"&"),
            "a\u{FFFD}b\u{FFFD}[31m&lt;c&gt;\t&quot;&amp;"
        );
    }
}
