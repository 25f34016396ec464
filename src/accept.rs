//! `rescore accept`: moves the baselines of chosen theses to their current evidence and brings
//! the warning blocks in line with what that settles, the lock and the pages under one hold of
//! the repo lock.

use std::path::Path;

use crate::eval::{self, Evaluation, Verdict};
use crate::failure::Failure;
use crate::load::Repo;
use rescore_graph::{MaterialState, NodeIx, NodeKind};

use crate::lock::{self, Lock};
use crate::writeback::{self, Outcome};

/// What an accept did, or (dry run) would do.
pub struct Recorded {
    /// Each thesis accepted, with its score.
    pub accepted: Vec<(String, f64)>,
    /// Every thesis against the lock as it is after the accept.
    pub after: Evaluation,
    /// Dry run: the pages whose warning block would change. Otherwise empty.
    pub would_write: Vec<String>,
    /// The page writes done (none on a dry run).
    pub writes: Vec<(std::path::PathBuf, Outcome)>,
}

/// Accepts `chosen`. A dry run accepts into a copy of the lock read from disk and writes
/// nothing.
pub fn record(
    root: &Path,
    repo: &Repo,
    chosen: &[&Verdict],
    dry_run: bool,
) -> Result<Recorded, Failure> {
    let theses: Vec<_> = chosen.iter().filter_map(|v| v.ix).collect();
    if dry_run {
        let mut lock = Lock::read(root)?.unwrap_or_else(Lock::new);
        let accepted = these(&mut lock, repo, &theses);
        let after = eval::evaluate(repo, &lock);
        let would_write = writeback::out_of_date(root, &after.verdicts)
            .into_iter()
            .map(|v| v.path.clone())
            .collect();
        return Ok(Recorded {
            accepted,
            after,
            would_write,
            writes: Vec::new(),
        });
    }
    // The lock and the pages are written under one hold of the repo lock, so a concurrent
    // accept cannot put back a block this one cleared. Snapshots are taken against the lock as
    // re-read under it, so entries another process dropped meanwhile are written again rather
    // than referred to.
    let held = writeback::repo_lock(root)?;
    let mut accepted = Vec::new();
    let lock = lock::update_held(&held, root, |lock| {
        accepted = these(lock, repo, &theses);
        Ok(())
    })?;
    // Accepting can settle theses downstream too; re-evaluate before touching pages.
    let after = eval::evaluate(repo, &lock);
    writeback::sweep_temps(&held, root, repo);
    let todo = writeback::out_of_date(root, &after.verdicts);
    let writes = writeback::write_theses(&held, root, repo, &todo);
    Ok(Recorded {
        accepted,
        after,
        would_write: Vec::new(),
        writes,
    })
}

/// The one loop every accept goes through (`accept`, `init`, tests that need a repo accepted
/// as it is). Accepts `theses` (thesis nodes of `repo`; any other node is skipped) in the order given,
/// and drops the baselines of theses `repo` no longer has. Returns each thesis accepted
/// with its score.
pub fn these(lock: &mut Lock, repo: &Repo, theses: &[NodeIx]) -> Vec<(String, f64)> {
    let trees = eval::trees(repo);
    let mut accepted = Vec::new();
    for &ix in theses {
        let node = repo.graph.node(ix);
        if let MaterialState::Thesis { score } = node.state {
            let snap = eval::baseline(repo, &trees, lock, ix);
            lock.accept(&node.key, score, &snap);
            accepted.push((node.key.clone(), score));
        }
    }
    lock.retain_theses(|t| {
        repo.graph
            .get(t)
            .is_some_and(|ix| repo.graph.node(ix).kind == NodeKind::Thesis)
    });
    accepted
}

/// Accepts every thesis of `repo`, upstream first; returns how many.
pub fn every_thesis(lock: &mut Lock, repo: &Repo) -> usize {
    these(lock, repo, &eval::thesis_order(repo)).len()
}
