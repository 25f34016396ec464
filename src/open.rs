//! Opening a research repo for a command: the pages and the lock read together, so every error
//! of the settings, the pages and the lock is reported in one run, and the evaluation of every
//! thesis against that lock.

use std::path::Path;
use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Instant;

use crate::eval::{self, Evaluation};
use crate::failure::Failure;
use crate::load::{self, Repo};
use crate::lock::Lock;
use crate::trees::Trees;

/// Loads the repo and, when `want_lock` or a thesis links to something missing, reads the lock
/// (`None` when there is none). Fails with every error of the settings, the pages and the lock
/// together, sorted by place; warnings stay in `repo.diags`, sorted the same way.
pub fn repo(root: &Path, want_lock: bool) -> Result<(Repo, Option<Lock>), Failure> {
    repo_observed(root, want_lock, &load::Unobserved, false)
}

/// `repo`, showing `observe` the walk and every page's bytes as read (the outcome cache keys on
/// them), and taking unchanged pages from the parse cache when `parse_cache`.
pub fn repo_observed(
    root: &Path,
    want_lock: bool,
    observe: &dyn load::Observer,
    parse_cache: bool,
) -> Result<(Repo, Option<Lock>), Failure> {
    let (repo, lock, ()) = open_alongside(root, want_lock, observe, parse_cache, None, |_| ())?;
    Ok((repo, lock))
}

/// `repo_observed` for a full evaluation: every tree id is computed once the graph is built,
/// while the lock is still being read.
pub fn repo_with_trees(
    root: &Path,
    observe: &dyn load::Observer,
    parse_cache: bool,
    walked: Option<load::Walk>,
) -> Result<(Repo, Option<Lock>, Trees), Failure> {
    open_alongside(root, true, observe, parse_cache, walked, |repo| {
        Trees::eager_for_theses(&repo.graph)
    })
}

/// Loads the repo, reading the lock (when `want_lock`) from the moment the pages are parsed,
/// on a thread of its own: the graph build leaves a core idle at times, and the lock takes
/// about a tenth of the load at 100k pages. Then runs `alongside` on the loaded repo while the
/// lock read ends. The lock read from disk holds no shard text, so reading it during the graph
/// build adds little to the peak memory.
fn open_alongside<T: Send>(
    root: &Path,
    want_lock: bool,
    observe: &dyn load::Observer,
    parse_cache: bool,
    walked: Option<load::Walk>,
    alongside: impl FnOnce(&Repo) -> T + Send,
) -> Result<(Repo, Option<Lock>, T), Failure> {
    let (loaded, early) = std::thread::scope(|s| {
        let (go, reader) = want_lock.then(|| when_told(s, || Lock::read(root))).unzip();
        // Lean: the material of concept and source pages is in the graph, not held twice.
        let loaded = load::load_lean_telling(root, observe, parse_cache, walked, move || {
            if let Some(go) = go {
                let _ = go.send(());
            }
        });
        let loaded = loaded.map(|repo| {
            let extra = alongside(&repo);
            (repo, extra)
        });
        (loaded, reader.and_then(joined))
    });
    let (mut repo, extra) = loaded?;
    // A command that does not want the lock reads it for a thesis's link to a missing anchor
    // or page only.
    let read = early.or_else(|| (!repo.dangling.is_empty()).then(|| Lock::read(root)));
    let mut lock = None;
    match read {
        Some(Ok(read)) => {
            // Only a thesis's link to a missing anchor or page needs the lock before
            // evaluation: it tells a gone dependency from a typo.
            if !repo.dangling.is_empty() {
                repo.settle_dangling(read.as_ref().unwrap_or(&Lock::new()));
            }
            lock = read;
        }
        Some(Err(d)) => repo.diags.push(d),
        None => {}
    }
    repo.diags
        .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    if repo.has_errors() {
        return Err(Failure::Diagnostics(repo.diags));
    }
    Ok((repo, lock, extra))
}

/// Runs `read` on a thread of `scope` once the sender given back is sent on (a load telling
/// that its pages are read). Dropped unsent, as when the load stops before, the thread ends at
/// once with `None`.
pub fn when_told<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    read: impl FnOnce() -> T + Send + 'scope,
) -> (mpsc::Sender<()>, ScopedJoinHandle<'scope, Option<T>>) {
    let (go, wait) = mpsc::channel::<()>();
    (go, scope.spawn(move || wait.recv().ok().map(|()| read())))
}

/// What a scoped thread gave back; its panic, if it panicked, goes on in the caller.
pub fn joined<T>(thread: ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Evaluates every thesis of a loaded repo against its lock (an empty one when there is none);
/// an evaluation error (a damaged lock entry) stops the command.
pub fn evaluate(
    repo: Repo,
    lock: Option<Lock>,
    started: Instant,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    evaluate_in(repo, lock, started, None)
}

/// `evaluate` with the tree ids `repo_with_trees` computed.
pub fn evaluate_with_trees(
    repo: Repo,
    lock: Option<Lock>,
    trees: &Trees,
    started: Instant,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    evaluate_in(repo, lock, started, Some(trees))
}

fn evaluate_in(
    repo: Repo,
    lock: Option<Lock>,
    started: Instant,
    trees: Option<&Trees>,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    let lock = lock.unwrap_or_default();
    tracing::debug!(
        theses = lock.thesis.len(),
        ms = started.elapsed().as_millis() as u64,
        "lock read"
    );
    let eval = match trees {
        Some(trees) => eval::evaluate_with(&repo, &lock, None, &|_| None, trees),
        None => eval::evaluate(&repo, &lock),
    };
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "evaluated");
    if !eval.errors.is_empty() {
        return Err(Failure::Diagnostics(eval.errors));
    }
    Ok((repo, lock, eval))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rescore_graph::NodeIx;

    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models")
    }

    fn opened<T>(r: Result<T, Failure>) -> T {
        r.unwrap_or_else(|_| panic!("the example opens and evaluates"))
    }

    #[test]
    fn trees_computed_while_the_lock_is_read_evaluate_as_trees_computed_after() {
        let started = Instant::now();
        let (repo, lock) = opened(repo(&example(), true));
        let (_, plain_lock, plain) = opened(evaluate(repo, lock, started));
        let (repo, lock, trees) =
            opened(repo_with_trees(&example(), &load::Unobserved, false, None));
        let after = Trees::eager(&repo.graph);
        let ids = |t: &Trees| -> Vec<u64> {
            (0..repo.graph.len())
                .map(|i| t.id(&repo.graph, NodeIx::new(i)))
                .collect()
        };
        assert_eq!(ids(&trees), ids(&after));
        let (_, lock, alongside) = opened(evaluate_with_trees(repo, lock, &trees, started));
        assert_eq!(
            format!("{:?}", lock.thesis),
            format!("{:?}", plain_lock.thesis)
        );
        assert!(!plain.verdicts.is_empty(), "the example has theses");
        assert_eq!(format!("{alongside:?}"), format!("{plain:?}"));
    }
}
