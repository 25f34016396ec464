//! Accepting theses of a loaded repo: each at its current score, against a snapshot of what it
//! rests on now. The one loop every accept goes through (`accept`, `init`, tests that need a
//! repo accepted as it is).

use rescore_graph::{MaterialState, NodeIx, NodeKind};

use super::Lock;
use crate::eval;
use crate::load::Repo;

impl Lock {
    /// Accepts `theses` (thesis nodes of `repo`; any other node is skipped) in the order given,
    /// and drops the baselines of theses `repo` no longer has. Returns each thesis accepted
    /// with its score.
    pub fn accept_theses(&mut self, repo: &Repo, theses: &[NodeIx]) -> Vec<(String, f64)> {
        let trees = eval::trees(repo);
        let mut accepted = Vec::new();
        for &ix in theses {
            let node = repo.graph.node(ix);
            if let MaterialState::Thesis { score } = node.state {
                let snap = eval::baseline(repo, &trees, self, ix);
                self.accept(&node.key, score, &snap);
                accepted.push((node.key.clone(), score));
            }
        }
        self.retain_theses(|t| {
            repo.graph
                .get(t)
                .is_some_and(|ix| repo.graph.node(ix).kind == NodeKind::Thesis)
        });
        accepted
    }

    /// Accepts every thesis of `repo`, upstream first; returns how many.
    pub fn accept_every_thesis(&mut self, repo: &Repo) -> usize {
        self.accept_theses(repo, &eval::thesis_order(repo)).len()
    }
}
