//! Opening a research repo for a command: the pages and the lock read together, so every error
//! of the settings, the pages and the lock is reported in one run, and the evaluation of every
//! thesis against that lock.

use std::path::Path;
use std::time::Instant;

use crate::eval::{self, Evaluation};
use crate::failure::Failure;
use crate::load::{self, Repo};
use crate::lock::Lock;

/// Loads the repo and, when `want_lock` or a thesis links to something missing, reads the lock
/// (`None` when there is none). Fails with every error of the settings, the pages and the lock
/// together, sorted by place; warnings stay in `repo.diags`, sorted the same way.
pub fn repo(root: &Path, want_lock: bool) -> Result<(Repo, Option<Lock>), Failure> {
    repo_observed(root, want_lock, &|_, _| {}, false)
}

/// `repo`, showing `observe` every page's bytes as read (the outcome cache keys on them), and
/// taking unchanged pages from the parse cache when `parse_cache`.
pub fn repo_observed(
    root: &Path,
    want_lock: bool,
    observe: &(dyn Fn(&Path, &[u8]) + Sync),
    parse_cache: bool,
) -> Result<(Repo, Option<Lock>), Failure> {
    let mut repo = load::load_lean(root, observe, parse_cache)?;
    // Before the lock is read, so the lock can use the memory the parse detail held.
    repo.shed_parse_detail();
    let mut lock = None;
    if want_lock || !repo.dangling.is_empty() {
        match Lock::read(root) {
            Ok(read) => {
                // Only a thesis's link to a missing anchor or page needs the lock before
                // evaluation: it tells a gone dependency from a typo.
                if !repo.dangling.is_empty() {
                    repo.settle_dangling(read.as_ref().unwrap_or(&Lock::new()));
                }
                lock = read;
            }
            Err(d) => repo.diags.push(d),
        }
    }
    repo.diags
        .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    if repo.has_errors() {
        return Err(Failure::Diagnostics(repo.diags));
    }
    Ok((repo, lock))
}

/// Evaluates every thesis of a loaded repo against its lock (an empty one when there is none);
/// an evaluation error (a damaged lock entry) stops the command.
pub fn evaluate(
    repo: Repo,
    lock: Option<Lock>,
    started: Instant,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    let lock = lock.unwrap_or_default();
    tracing::debug!(
        theses = lock.thesis.len(),
        ms = started.elapsed().as_millis() as u64,
        "lock read"
    );
    let eval = eval::evaluate(&repo, &lock);
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "evaluated");
    if !eval.errors.is_empty() {
        return Err(Failure::Diagnostics(eval.errors));
    }
    Ok((repo, lock, eval))
}
