//! Evaluation: each thesis against what it was last scored against. Finds stale theses (with
//! their root causes and the path each cause travelled), pending ones (waiting on a stale
//! upstream thesis) and unscored ones (not in the lock).

use std::collections::{HashMap, HashSet};

use rescore_graph::propagate::{upstream, Upstream};
use rescore_graph::{EdgeKind, MaterialState, NodeIx, NodeKind};
use serde::Serialize;

use crate::load::Repo;
use crate::lock::{Baseline, Lock};
use crate::rules::{similarity, Change, RuleSet, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Clean,
    Stale,
    Pending,
    Unscored,
}

/// One material change that reached a thesis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cause {
    pub rule: String,
    pub field: &'static str,
    pub severity: Severity,
    /// The node that changed (its current key; for a reworded claim, see `was`).
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    pub before: String,
    pub after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The hops from the changed node down to the thesis, both ends included.
    pub via: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub thesis: String,
    pub path: String,
    pub line: u32,
    pub status: Status,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    /// Upstream theses this one waits on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
    #[serde(skip)]
    pub ix: Option<NodeIx>,
}

/// Every thesis's verdict, in a stable order (by path).
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub verdicts: Vec<Verdict>,
}

impl Evaluation {
    pub fn with(&self, status: Status) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(move |v| v.status == status)
    }

    pub fn fails_gate(&self) -> bool {
        self.verdicts.iter().any(|v| v.status != Status::Clean)
    }

    pub fn get(&self, thesis: &str) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.thesis == thesis)
    }
}

/// The theses in dependency order: every upstream thesis before the ones that build on it.
pub fn thesis_order(repo: &Repo) -> Vec<NodeIx> {
    let g = &repo.graph;
    let theses: Vec<NodeIx> = g
        .nodes()
        .filter(|(_, n)| n.kind == NodeKind::Thesis)
        .map(|(ix, _)| ix)
        .collect();
    let mut indegree: HashMap<NodeIx, usize> = theses
        .iter()
        .map(|&t| {
            (
                t,
                g.incoming(t)
                    .filter(|(_, e)| e.kind == EdgeKind::BuildsOn)
                    .count(),
            )
        })
        .collect();
    let mut ready: Vec<NodeIx> = theses
        .iter()
        .copied()
        .filter(|t| indegree[t] == 0)
        .collect();
    ready.reverse();
    let mut order = Vec::with_capacity(theses.len());
    while let Some(t) = ready.pop() {
        order.push(t);
        for (down, e) in g.outgoing(t) {
            if e.kind == EdgeKind::BuildsOn {
                if let Some(d) = indegree.get_mut(&down) {
                    *d -= 1;
                    if *d == 0 {
                        ready.push(down);
                    }
                }
            }
        }
    }
    order
}

/// `only` and every thesis they build on (transitively) whose status is not `known`, upstream
/// theses first. Cost is proportional to that part of the graph, so `evaluate_some` on a few
/// theses stays cheap in a large repo.
fn order_within(
    repo: &Repo,
    only: &HashSet<NodeIx>,
    known: &dyn Fn(NodeIx) -> Option<Status>,
) -> Vec<NodeIx> {
    let g = &repo.graph;
    let mut order = Vec::new();
    let mut done: HashSet<NodeIx> = HashSet::new();
    let mut open: HashSet<NodeIx> = HashSet::new();
    let mut roots: Vec<NodeIx> = only.iter().copied().collect();
    roots.sort();
    for root in roots {
        if g.node(root).kind != NodeKind::Thesis || done.contains(&root) {
            continue;
        }
        // Iterative post-order over incoming builds_on edges (the graph is a DAG).
        let mut stack = vec![(root, false)];
        while let Some((t, expanded)) = stack.pop() {
            if expanded {
                if done.insert(t) {
                    order.push(t);
                }
                continue;
            }
            // `open` guards against a cycle (an error the caller should have refused).
            if done.contains(&t) || !open.insert(t) {
                continue;
            }
            stack.push((t, true));
            for (u, e) in g.incoming(t) {
                if e.kind == EdgeKind::BuildsOn
                    && !done.contains(&u)
                    && (only.contains(&u) || known(u).is_none())
                {
                    stack.push((u, false));
                }
            }
        }
    }
    order
}

pub fn evaluate(repo: &Repo, lock: &Lock) -> Evaluation {
    evaluate_some(repo, lock, None)
}

/// Evaluates all theses, or with `only`, just those (plus what they wait on).
pub fn evaluate_some(repo: &Repo, lock: &Lock, only: Option<&HashSet<NodeIx>>) -> Evaluation {
    evaluate_known(repo, lock, only, &|_| None)
}

/// `evaluate_some`, told the status of theses outside `only` that are known not to have changed
/// (the watcher's previous verdicts): those upstream theses are not evaluated again.
pub fn evaluate_known(
    repo: &Repo,
    lock: &Lock,
    only: Option<&HashSet<NodeIx>>,
    known: &dyn Fn(NodeIx) -> Option<Status>,
) -> Evaluation {
    let g = &repo.graph;
    let mut status: HashMap<NodeIx, Status> = HashMap::new();
    let mut verdicts = Vec::new();
    let order = match only {
        None => thesis_order(repo),
        Some(o) => order_within(repo, o, known),
    };
    for t in order {
        let node = g.node(t);
        let page = repo.page_of(node.loc);
        let path = page
            .map(|p| p.path.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let (st, causes, waiting_on) = match lock.thesis.get(&node.key) {
            None => (Status::Unscored, Vec::new(), Vec::new()),
            Some(base) => {
                let up = upstream(g, t);
                let mut causes = node_causes(repo, lock, base, t, &up);
                let mut waiting = Vec::new();
                for (u, e) in g.incoming(t) {
                    if e.kind != EdgeKind::BuildsOn {
                        continue;
                    }
                    let ukey = &g.node(u).key;
                    let known_status = || {
                        only.filter(|o| !o.contains(&u))
                            .and_then(|_| known(u))
                            .unwrap_or(Status::Clean)
                    };
                    match status.get(&u).copied().unwrap_or_else(known_status) {
                        Status::Clean => {
                            if let Some(old) = lock.state_of(base, ukey) {
                                for c in repo.rules.diff(NodeKind::Thesis, old, &g.node(u).state) {
                                    causes.push(cause(
                                        c,
                                        ukey.clone(),
                                        None,
                                        vec![ukey.clone(), node.key.clone()],
                                    ));
                                }
                            }
                        }
                        _ => waiting.push(ukey.clone()),
                    }
                }
                causes.retain(|c| c.severity >= repo.rules.flag_at);
                causes.sort_by(|a, b| {
                    b.severity
                        .cmp(&a.severity)
                        .then_with(|| a.node.cmp(&b.node))
                        .then_with(|| a.rule.cmp(&b.rule))
                });
                waiting.sort();
                let st = if !causes.is_empty() {
                    Status::Stale
                } else if !waiting.is_empty() {
                    Status::Pending
                } else {
                    Status::Clean
                };
                (st, causes, waiting)
            }
        };
        status.insert(t, st);
        if only.is_none_or(|o| o.contains(&t)) {
            verdicts.push(Verdict {
                thesis: node.key.clone(),
                path,
                line: node.loc.line,
                status: st,
                causes,
                waiting_on,
                ix: Some(t),
            });
        }
    }
    verdicts.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.thesis.cmp(&b.thesis)));
    Evaluation { verdicts }
}

fn cause(c: Change, node: String, was: Option<String>, via: Vec<String>) -> Cause {
    Cause {
        rule: c.rule,
        field: c.field,
        severity: c.severity,
        node,
        was,
        before: c.before,
        after: c.after,
        detail: c.detail,
        via,
    }
}

/// Causes from non-thesis upstream nodes: changed, removed, added, reworded.
fn node_causes(
    repo: &Repo,
    lock: &Lock,
    base: &Baseline,
    thesis: NodeIx,
    up: &Upstream,
) -> Vec<Cause> {
    let g = &repo.graph;
    let rules: &RuleSet = &repo.rules;
    let via = |ix: NodeIx| {
        up.path(ix)
            .into_iter()
            .map(|n| g.node(n).key.clone())
            .collect::<Vec<_>>()
    };
    let direct: HashSet<NodeIx> = g.incoming(thesis).map(|(n, _)| n).collect();
    let mut causes = Vec::new();
    let mut current: HashSet<&str> = HashSet::with_capacity(up.nodes.len());
    let mut added: Vec<NodeIx> = Vec::new();
    for &ix in &up.nodes {
        let n = g.node(ix);
        if n.kind == NodeKind::Thesis {
            continue;
        }
        current.insert(n.key.as_str());
        match lock.state_of(base, &n.key) {
            Some(old) => {
                for c in rules.diff(n.kind, old, &n.state) {
                    causes.push(cause(c, n.key.clone(), None, via(ix)));
                }
            }
            None => added.push(ix),
        }
    }
    // Baseline nodes that no longer exist anywhere (a node still in the graph but no longer
    // upstream was unlinked by an edit of the thesis itself, which is not material).
    let mut removed: Vec<(&String, &MaterialState)> = base
        .against
        .keys()
        .filter(|k| !current.contains(k.as_str()) && g.get(k).is_none())
        .filter_map(|k| Some((k, lock.state_of(base, k)?)))
        .filter(|(_, s)| !matches!(s, MaterialState::Thesis { .. }))
        .collect();
    // Rename detection: pair a vanished claim with a new claim of the same concept by text.
    let mut renamed: HashSet<NodeIx> = HashSet::new();
    removed.retain(|(old_key, old_state)| {
        let MaterialState::Claim(old) = old_state else {
            return true;
        };
        let concept = old_key.split('#').next().unwrap_or("");
        let best = added
            .iter()
            .filter(|ix| !renamed.contains(ix))
            .filter_map(|&ix| {
                let n = g.node(ix);
                let MaterialState::Claim(new) = &n.state else {
                    return None;
                };
                (n.key.split('#').next() == Some(concept))
                    .then(|| (ix, similarity(&old.text, &new.text)))
            })
            .filter(|(_, s)| *s >= rules.rename_similarity)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((ix, _)) => {
                renamed.insert(ix);
                let n = g.node(ix);
                for c in rules.diff(n.kind, old_state, &n.state) {
                    causes.push(cause(c, n.key.clone(), Some((*old_key).clone()), via(ix)));
                }
                false
            }
            None => true,
        }
    });
    for (key, state) in removed {
        let kind = NodeKind::parse(state.kind_name()).unwrap_or(NodeKind::Claim);
        let concept = key.split('#').next().unwrap_or(key).to_string();
        for c in rules.removed(kind, state) {
            causes.push(cause(
                c,
                key.clone(),
                None,
                vec![key.clone(), concept.clone(), g.node(thesis).key.clone()],
            ));
        }
    }
    for ix in added.into_iter().filter(|ix| !renamed.contains(ix)) {
        let n = g.node(ix);
        if direct.contains(&ix) {
            for c in rules.new_dependency(n.kind, &n.state) {
                causes.push(cause(c, n.key.clone(), None, via(ix)));
            }
            continue;
        }
        // A new node under a new dependency is covered by that dependency.
        let under_new = up
            .path(ix)
            .iter()
            .skip(1)
            .any(|p| *p != thesis && lock.state_of(base, &g.node(*p).key).is_none());
        if !under_new {
            for c in rules.added(n.kind, &n.state) {
                causes.push(cause(c, n.key.clone(), None, via(ix)));
            }
        }
    }
    causes
}

/// What a thesis would be accepted against now: every upstream node's current state.
pub fn baseline(repo: &Repo, thesis: NodeIx) -> Vec<(String, MaterialState)> {
    let g = &repo.graph;
    upstream(g, thesis)
        .nodes
        .into_iter()
        .map(|ix| (g.node(ix).key.clone(), g.node(ix).state.clone()))
        .collect()
}
