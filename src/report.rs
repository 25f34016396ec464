//! Rendering what rescore found, one file per kind of output (`human`, `github`, `junit`,
//! `listing`); JSON documents and what commands say about their writes are here. Every verdict
//! is worded by `wording`.

mod github;
mod human;
mod junit;
mod listing;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde_json::json;

pub use github::job_summary;
pub use human::{why, why_each};
pub use listing::{backlinks, ls, BacklinksMode};

use crate::accept::Recorded;
use crate::diag::Diagnostic;
use crate::eval::{Evaluation, Status, Verdict};
use crate::format::ReportFormat;
use crate::output;
use crate::wording;
use crate::writeback::Outcome;

/// Prints diagnostics to stderr: rendered with snippets, as JSON lines, or as workflow commands.
/// `-q` keeps only the errors.
pub fn print_diags(root: &Path, diags: &[Diagnostic], format: Option<ReportFormat>) {
    let _ = std::io::stderr()
        .lock()
        .write_all(diags_text(root, diags, format).as_bytes());
}

/// What `print_diags` prints.
pub fn diags_text(root: &Path, diags: &[Diagnostic], format: Option<ReportFormat>) -> String {
    let quiet = output::quiet();
    let colour = output::stderr();
    let mut out = String::new();
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
        out.push_str(&text);
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
            out.push_str(&github::annotations(eval, gate, prefix));
            out
        }
        ReportFormat::Junit => junit::verdicts(eval, warnings, prefix),
        ReportFormat::Human => human::verdicts(eval),
    }
}

/// The report of a run stopped by bad input, for the machine formats that promise a document:
/// a JSON object holding the diagnostics, or JUnit with one failing case per error. `None` for the formats that print diagnostics as they
/// are (human, GitHub).
pub fn failed_input(diags: &[Diagnostic], format: ReportFormat, prefix: &Path) -> Option<String> {
    match format {
        ReportFormat::Json => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let doc = json!({ "error": "bad input", "errors": errors, "diagnostics": diags });
            Some(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")
        }
        ReportFormat::Junit => Some(junit::failed_input(diags, prefix)),
        ReportFormat::Human | ReportFormat::Github => None,
    }
}

/// Prints a report, colouring the status words of human output when colour is on; `-q`
/// silences the human report (the exit code still tells), not a machine document.
pub fn print_report(text: &str, format: ReportFormat, quiet: bool) {
    print!("{}", report_text(text, format, quiet));
}

/// What `print_report` prints.
pub fn report_text(text: &str, format: ReportFormat, quiet: bool) -> String {
    if quiet && format == ReportFormat::Human {
        return String::new();
    }
    if format != ReportFormat::Human || !output::stdout() {
        return text.to_string();
    }
    use owo_colors::OwoColorize;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let (word, rest) = line.split_at(line.find(' ').unwrap_or(0));
        let _ = match word {
            "stale" => writeln!(out, "{}{rest}", word.red().bold()),
            "pending" => writeln!(out, "{}{rest}", word.yellow()),
            "unscored" => writeln!(out, "{}{rest}", word.cyan()),
            _ => writeln!(out, "{line}"),
        };
    }
    out
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
        let why = wording::reason(v).unwrap_or_else(|| wording::status(v.status).to_string());
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
        let cause = match v.status {
            Status::Stale => v
                .causes
                .first()
                .map(|c| format!(" ← {}", wording::cause(c)))
                .unwrap_or_default(),
            Status::Pending => format!(" ({})", wording::reason(v).unwrap_or_default()),
            _ => continue,
        };
        let line = format!(
            "{verb} {} {} ({}:{}){cause}; next: {}",
            v.thesis,
            wording::status(v.status),
            v.path,
            v.line,
            wording::next(v).unwrap_or_default()
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}
