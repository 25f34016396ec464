//! What the watcher prints: one line (or one JSON line) per flag raised, cleared or turned
//! pending, diagnostics, and the JSON `ready` and `batch` events.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::diag::Diagnostic;
use crate::eval::{Status, Verdict};
use crate::format::TextOrJson;
use crate::report;
use crate::wording;

use super::engine::{BatchSummary, Held, Report};

pub struct Out {
    pub json: bool,
    pub format: Option<TextOrJson>,
    pub quiet: bool,
    pub root: PathBuf,
}

impl Out {
    pub fn line(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    }

    pub fn emit(&self, v: serde_json::Value) {
        self.line(&v.to_string());
    }

    /// The start-up line, once the repo is loaded.
    pub fn ready(&self, pages: usize, elapsed: Duration) {
        let ms = elapsed.as_millis() as u64;
        if self.json {
            self.emit(json!({
                "event": "ready",
                "root": self.root.display().to_string(),
                "pages": pages,
                "elapsed_ms": ms,
            }));
        } else if !self.quiet {
            self.line(&format!(
                "watching {}: {pages} pages loaded in {ms} ms",
                self.root.display()
            ));
        }
    }

    /// Everything of an engine report up to the page writes: diagnostics, whether errors hold
    /// evaluation back or were fixed, and the flags.
    pub fn report(&self, r: &Report, arrived: Instant) {
        self.diags(&r.diags);
        let human = !self.json && !self.quiet;
        if r.fixed && human {
            eprintln!("watch: the errors are fixed; evaluating again");
        }
        match r.held {
            Some(Held::Waiting) if human => {
                eprintln!("watch: the repo has errors; waiting for a fix before evaluating")
            }
            Some(Held::Kept { pages }) if human => {
                let what = match pages {
                    0 => "the links between pages have errors".to_string(),
                    1 => "1 page has errors".to_string(),
                    n => format!("{n} pages have errors"),
                };
                eprintln!(
                    "watch: {what} (above); keeping the last good graph until they are fixed"
                );
            }
            _ => {}
        }
        for v in &r.flags {
            self.verdict(v, arrived.elapsed());
        }
    }

    /// The JSON `batch` event: one per batch of file events, evaluated or not.
    pub fn batch(&self, b: &BatchSummary, arrived: Instant) {
        if !self.json {
            return;
        }
        let elapsed = arrived.elapsed();
        self.emit(json!({
            "event": "batch",
            "files": b.files,
            "evaluated": b.theses.is_some(),
            "graph": b.graph,
            "theses": b.theses.unwrap_or(0),
            "full": b.full,
            "elapsed_ms": elapsed.as_millis() as u64,
            "elapsed_us": elapsed.as_micros() as u64,
        }));
    }

    pub fn diags(&self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        if self.json {
            for d in diags {
                self.emit(json!({
                    "event": "diagnostic",
                    "path": d.path.to_string_lossy().replace('\\', "/"),
                    "diagnostic": d,
                }));
            }
        } else {
            report::print_diags(&self.root, diags, self.format.map(Into::into));
        }
    }

    /// One line for a verdict that changed.
    fn verdict(&self, v: &Verdict, elapsed: Duration) {
        let word = match v.status {
            Status::Clean => "cleared",
            s => wording::status(s),
        };
        let t = &v.thesis;
        let next = wording::next(v);
        if self.json {
            self.emit(json!({
                "event": word,
                "thesis": v.thesis,
                "path": v.path,
                "line": v.line,
                "causes": v.causes,
                "waiting_on": v.waiting_on,
                "next": next,
                "elapsed_ms": elapsed.as_millis() as u64,
                "elapsed_us": elapsed.as_micros() as u64,
            }));
            return;
        }
        if self.quiet {
            return;
        }
        // The place right after the id, so a terminal or editor can jump to it; then the
        // cause and the next step.
        let next = next.map(|n| format!("; next: {n}")).unwrap_or_default();
        let tail = match v.status {
            Status::Stale => {
                let cause = match v.causes.first() {
                    Some(c) => {
                        let more = match v.causes.len() {
                            1 => String::new(),
                            n => format!(" (+{} more: `rescore why {t}`)", n - 1),
                        };
                        format!("  ← {}{more}", wording::cause(c))
                    }
                    None => String::new(),
                };
                format!("{cause}{next}")
            }
            Status::Pending | Status::Unscored => {
                format!(" ({}){next}", wording::reason(v).unwrap_or_default())
            }
            Status::Clean => String::new(),
        };
        self.line(&format!("{word:<8} {t} {}:{}{tail}", v.path, v.line));
    }
}
