//! Rendering what rescore found: listings and stale-thesis reports, as human text, JSON,
//! GitHub workflow commands and JUnit XML.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use rescore_graph::{MaterialState, NodeKind};
use serde_json::json;

use crate::accept::Recorded;
use crate::ci;
use crate::diag::Diagnostic;
use crate::eval::{Evaluation, Status, Verdict};
use crate::format::{BacklinksFormat, ReportFormat, TextOrJson};
use crate::load::Repo;
use crate::output;
use crate::wording;
use crate::writeback::Outcome;

/// Prints diagnostics to stderr: rendered with snippets, as JSON lines, or as workflow commands.
/// `-q` keeps only the errors.
pub fn print_diags(root: &Path, diags: &[Diagnostic], format: Option<ReportFormat>) {
    let quiet = output::quiet();
    let colour = output::stderr();
    let mut err = std::io::stderr().lock();
    for d in diags.iter().filter(|d| !quiet || d.is_error()) {
        let text = match format {
            Some(ReportFormat::Json) => {
                serde_json::to_string(&json!({ "diagnostic": d })).unwrap_or_default() + "\n"
            }
            Some(ReportFormat::Github) => d.github(&crate::ci::git_prefix(root)) + "\n",
            _ => {
                // Only a regular file is read for the snippet: a pipe would block forever.
                let file = root.join(&d.path);
                let source = (d.span.is_some() && file.is_file())
                    .then(|| std::fs::read_to_string(&file).ok())
                    .flatten();
                d.render(source.as_deref(), colour)
            }
        };
        let _ = err.write_all(text.as_bytes());
    }
}

/// `rescore ls`: pages, nodes with their material state, and edges; with `--select`, only the
/// nodes in `only` (all when `None`).
pub fn ls(
    repo: &Repo,
    kind: Option<NodeKind>,
    only: Option<&std::collections::HashSet<rescore_graph::NodeIx>>,
    format: TextOrJson,
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
    if format == TextOrJson::Json {
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

/// The stale/pending/unscored report, in any format. Clean theses are counted, not listed.
pub fn verdicts(eval: &Evaluation, format: ReportFormat, gate: bool, prefix: &Path) -> String {
    verdicts_warned(eval, &[], format, gate, prefix)
}

/// `verdicts`, carrying the input's warnings in the machine formats: a `warnings` array in
/// JSON (absent when there are none), `::warning` commands in GitHub, and a `warnings` suite
/// in JUnit. Human output leaves them to stderr, where they are rendered with a snippet.
/// GitHub and JUnit paths are put under `prefix` (`ci::git_prefix`).
pub fn verdicts_warned(
    eval: &Evaluation,
    warnings: &[Diagnostic],
    format: ReportFormat,
    gate: bool,
    prefix: &Path,
) -> String {
    match format {
        ReportFormat::Json => {
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
        ReportFormat::Github => {
            let mut out: String = warnings.iter().map(|w| w.github(prefix) + "\n").collect();
            out.push_str(&github(eval, gate, prefix));
            out
        }
        ReportFormat::Junit => junit(eval, warnings, prefix),
        ReportFormat::Human => human(eval),
    }
}

fn human(eval: &Evaluation) -> String {
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

/// GitHub workflow commands: one annotation per thesis that needs attention, at its file and line.
fn github(eval: &Evaluation, gate: bool, prefix: &Path) -> String {
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
        let body = wording::body(v).join("\n");
        let kind = wording::status(v.status);
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{kind}\">{}</failure>\n    </testcase>",
            esc(&wording::title(v)),
            esc(&body)
        );
    }
    out.push_str("  </testsuite>\n");
    if !warnings.is_empty() {
        let _ = writeln!(out, "  <testsuite name=\"warnings\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"0\">", warnings.len());
        for w in warnings {
            let _ = writeln!(
                out,
                "    <testcase classname=\"rescore.warning\" name=\"{} {}\" file=\"{}\" line=\"{}\">\n      <system-out>{}</system-out>\n    </testcase>",
                esc(w.code.as_str()),
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
pub fn failed_input(diags: &[Diagnostic], format: ReportFormat, prefix: &Path) -> Option<String> {
    match format {
        ReportFormat::Json => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let doc = json!({ "error": "bad input", "errors": errors, "diagnostics": diags });
            Some(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")
        }
        ReportFormat::Junit => {
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
                    esc(d.code.as_str()),
                    esc(&d.location()),
                    esc(&ci::ci_path(prefix, &d.path.to_string_lossy())),
                    d.line
                );
                if d.is_error() {
                    let _ = writeln!(
                        out,
                        "<failure message=\"{}\" type=\"{}\">{}</failure>",
                        esc(&d.message),
                        esc(d.code.as_str()),
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
        ReportFormat::Human | ReportFormat::Github => None,
    }
}

/// `rescore why`: every cause with its full path, and what a pending thesis waits on.
pub fn why(eval: &Evaluation, thesis: &str, format: TextOrJson) -> String {
    let Some(v) = eval.get(thesis) else {
        return String::new();
    };
    if format == TextOrJson::Json {
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
                let _ = writeln!(out, "{thesis} ← {}", wording::cause(c));
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

/// Prints a report, colouring the status words of human output when colour is on; `-q`
/// silences the human report (the exit code still tells), not a machine document.
pub fn print_report(text: &str, format: ReportFormat, quiet: bool) {
    if quiet && format == ReportFormat::Human {
        return;
    }
    if format != ReportFormat::Human || !output::stdout() {
        print!("{text}");
        return;
    }
    use owo_colors::OwoColorize;
    for line in text.lines() {
        let (word, rest) = line.split_at(line.find(' ').unwrap_or(0));
        match word {
            "stale" => println!("{}{rest}", word.red().bold()),
            "pending" => println!("{}{rest}", word.yellow()),
            "unscored" => println!("{}{rest}", word.cyan()),
            _ => println!("{line}"),
        }
    }
}

/// In GitHub Actions (`GITHUB_STEP_SUMMARY` set), appends the markdown job summary.
pub fn append_step_summary(eval: &Evaluation, base: Option<&str>) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let text = job_summary(eval, base);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "cannot append the job summary to {}: {e}",
            Path::new(&path).display()
        );
    }
}

/// The line above a `--base` report: what it shows, and how many flags it leaves out.
pub fn base_note(cmp: &crate::git::Comparison, rev: &str) -> String {
    let already = cmp.head.verdicts.len() - cmp.newly.verdicts.len();
    let note = match already {
        0 => String::new(),
        1 => " (1 thesis flagged at the base too is not shown)".to_string(),
        n => format!(" ({n} theses flagged at the base too are not shown)"),
    };
    format!("compared with {rev}: what this branch newly flags{note}")
}

/// Prints what page writes of a managed block (`what`) did: `wrote` lines with `announce`;
/// pages left alone are said so on stderr. Failed writes are errors, once every page has been
/// tried.
pub fn print_writes(
    outcomes: &[(std::path::PathBuf, Outcome)],
    what: &str,
    announce: bool,
    quiet: bool,
) -> Result<(), Vec<Diagnostic>> {
    let mut failed = Vec::new();
    for (path, outcome) in outcomes {
        match outcome {
            Outcome::Written(_) if announce && !quiet => println!("wrote {}", path.display()),
            Outcome::Written(_) | Outcome::Unchanged => {}
            Outcome::Skipped(why) => {
                if !quiet {
                    eprintln!("left {} as it is: {why}", path.display());
                }
            }
            Outcome::Failed(e) => failed.push(Diagnostic::write_failed(path, what, e)),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed)
    }
}

/// How many warning blocks the default command wrote, and how to see without writing.
pub fn blocks_updated(outcomes: &[(std::path::PathBuf, Outcome)]) -> String {
    let written = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Written(_)))
        .count();
    if written == 0 {
        return String::new();
    }
    format!(
        "updated the warning block of {written} thesis page{}; `rescore --dry-run` reports without writing\n",
        if written == 1 { "" } else { "s" }
    )
}

/// `accept --select`: the selected theses left out, and why.
pub fn skipped(skipped: &[&Verdict], nothing_chosen: bool) -> String {
    let mut out = String::new();
    for v in skipped {
        let why = match v.status {
            Status::Pending => format!("waits on {}", v.waiting_on.join(", ")),
            _ => "clean".to_string(),
        };
        let _ = writeln!(
            out,
            "skipped {} ({why}; --force accepts it anyway)",
            v.thesis
        );
    }
    if nothing_chosen {
        out.push_str("nothing to accept: no selected thesis is stale or unscored\n");
    }
    out
}

/// What an accept did (or, on a dry run, would do): each thesis accepted, the theses it
/// turned stale or pending, and (dry run) the pages it would write.
pub fn accepted(done: &Recorded, before: &Evaluation, dry_run: bool) -> String {
    let (verb, made) = if dry_run {
        ("would accept", "would make")
    } else {
        ("accepted", "made")
    };
    let mut out = String::new();
    for (t, score) in &done.accepted {
        let _ = writeln!(out, "{verb} {t} at score {score}");
    }
    out.push_str(&made_stale(before, &done.after, made));
    for path in &done.would_write {
        let _ = writeln!(out, "would write {path}");
    }
    out
}

/// The theses an accept turned stale or pending (one built on an accepted thesis whose score
/// moved: pending on it before, stale now), each with its next step.
fn made_stale(before: &Evaluation, after: &Evaluation, verb: &str) -> String {
    let mut out = String::new();
    for v in &after.verdicts {
        if before.get(&v.thesis).is_some_and(|b| b.status == v.status) {
            continue;
        }
        let line = match v.status {
            Status::Stale => {
                let cause = v
                    .causes
                    .first()
                    .map(|c| format!(" ← {}", wording::cause(c)))
                    .unwrap_or_default();
                format!(
                    "{verb} {} stale ({}:{}){cause}: re-score it, then `rescore accept {}`",
                    v.thesis, v.path, v.line, v.thesis
                )
            }
            Status::Pending => format!(
                "{verb} {} pending ({}:{}): it waits on {}",
                v.thesis,
                v.path,
                v.line,
                v.waiting_on.join(", ")
            ),
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
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

/// What `rescore backlinks` was asked to do.
pub enum BacklinksMode<'a> {
    /// Show each out-of-date block's diff.
    List,
    /// Name each out-of-date page.
    Check,
    /// The blocks were written, with these outcomes.
    Written(&'a [(std::path::PathBuf, Outcome)]),
}

/// `rescore backlinks`: the out-of-date blocks as a list with diffs, the pages to check, what
/// was written, a JSON document, or (not when written) one workflow annotation per page.
pub fn backlinks(
    changes: &[crate::backlinks::Change],
    mode: BacklinksMode,
    format: BacklinksFormat,
    quiet: bool,
    prefix: &Path,
) -> String {
    let mut out = String::new();
    let check = matches!(mode, BacklinksMode::Check);
    match format {
        BacklinksFormat::Json => {
            let list: Vec<_> = changes
                .iter()
                .map(|c| json!({ "path": c.path, "concept": c.concept, "theses": c.theses }))
                .collect();
            let written = matches!(mode, BacklinksMode::Written(_));
            let doc = json!({ "out_of_date": list, "written": written });
            return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        }
        BacklinksFormat::Github => {
            if matches!(mode, BacklinksMode::Written(_)) {
                return out;
            }
            for c in changes {
                let file = ci::ci_path(prefix, &c.path.to_string_lossy());
                let place = ci::Place {
                    file: &file,
                    line: 1,
                    col: None,
                };
                let _ = writeln!(
                    out,
                    "{}",
                    ci::annotation(
                        check,
                        &place,
                        "rescore backlinks",
                        "the \"Theses that depend on this concept\" block is out of date: run `rescore backlinks --write`"
                    )
                );
            }
            return out;
        }
        BacklinksFormat::Human if quiet => return out,
        BacklinksFormat::Human => {}
    }
    for c in changes {
        let path = c.path.display();
        match &mode {
            BacklinksMode::Written(done) => {
                let wrote = done
                    .iter()
                    .any(|(p, o)| p == &c.path && matches!(o, Outcome::Written(_)));
                if wrote {
                    let _ = writeln!(out, "wrote {path}");
                }
            }
            BacklinksMode::Check => {
                let _ = writeln!(out, "out of date: {path}");
            }
            BacklinksMode::List => {
                let _ = write!(
                    out,
                    "would write {path}\n{}",
                    crate::backlinks::diff(&c.old, &c.new)
                );
            }
        }
    }
    if changes.is_empty() {
        out.push_str("backlinks are up to date\n");
    } else if check {
        out.push_str("run `rescore backlinks --write` to update them\n");
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
