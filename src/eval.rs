//! Evaluation: each thesis against what it was last scored against. Finds stale theses (with
//! their root causes and the path each cause travelled), pending ones (waiting on a stale
//! upstream thesis) and unscored ones (not in the lock).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use rescore_graph::{EdgeKind, MaterialState, NodeIx, NodeKind};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

mod accepted;

use crate::diag::Diagnostic;
use crate::load::Repo;
use crate::lock::{Baseline, Entry, Lock, Snapshot, TextAt};
use crate::rules::{self, similarity, Change, RuleSet, Severity};
use crate::trees::{self, hex, parse_hex, TreeId, Trees};

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
    /// Lock entries that turned out unreadable while looking inside them.
    pub errors: Vec<Diagnostic>,
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

    /// Whether a claim's accepted text could not be read from git: the outcome then depends on
    /// what the git repo holds, not only on the files (a fetch can change it).
    pub fn missed_accepted_text(&self) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.causes.iter().any(|c| c.rule == UNREAD))
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
/// theses first. Cost is proportional to that part of the graph, so `evaluate_known` on a few
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

/// Evaluates every thesis.
pub fn evaluate(repo: &Repo, lock: &Lock) -> Evaluation {
    evaluate_known(repo, lock, None, &|_| None)
}

/// Evaluates all theses, or with `only`, just those (plus what they wait on), told the status
/// of theses outside `only` that are known not to have changed (the watcher's previous
/// verdicts): those upstream theses are not evaluated again.
pub fn evaluate_known(
    repo: &Repo,
    lock: &Lock,
    only: Option<&HashSet<NodeIx>>,
    known: &dyn Fn(NodeIx) -> Option<Status>,
) -> Evaluation {
    let trees = if only.is_some() {
        Trees::lazy(&repo.graph)
    } else {
        Trees::eager_for_theses(&repo.graph)
    };
    evaluate_with(repo, lock, only, known, &trees)
}

/// `evaluate_known` with tree ids the caller keeps (and keeps right) across evaluations of a
/// graph it changes: the watcher, which would otherwise hash the same subtrees every batch.
pub fn evaluate_with(
    repo: &Repo,
    lock: &Lock,
    only: Option<&HashSet<NodeIx>>,
    known: &dyn Fn(NodeIx) -> Option<Status>,
    trees: &Trees,
) -> Evaluation {
    let g = &repo.graph;
    let lock = &Entries::new(lock);
    let mut errors = Vec::new();
    let mut status: HashMap<NodeIx, Status> = HashMap::new();
    let mut verdicts = Vec::new();
    let order = match only {
        None => thesis_order(repo),
        Some(o) => order_within(repo, o, known),
    };
    // Each thesis on its own in parallel; then, in dependency order, what waits on the
    // verdicts of the theses it builds on. The results come back in `order`, so the verdicts
    // and errors do not depend on the threads.
    let examined: Vec<Examined> = order
        .par_iter()
        .map(|&t| examine(repo, lock, trees, t))
        .collect();
    for (t, examined) in order.into_iter().zip(examined) {
        let node = g.node(t);
        let (st, causes, waiting_on) = match examined.found {
            Found::Conflicted(c) => (Status::Stale, vec![c], Vec::new()),
            Found::Unscored => (Status::Unscored, Vec::new(), Vec::new()),
            Found::Scored {
                mut causes,
                errors: found_errors,
                upstream,
            } => {
                errors.extend(found_errors);
                let mut waiting = Vec::new();
                for up in upstream {
                    let u = up.ix;
                    let known_status = || {
                        only.filter(|o| !o.contains(&u))
                            .and_then(|_| known(u))
                            .unwrap_or(Status::Clean)
                    };
                    match status.get(&u).copied().unwrap_or_else(known_status) {
                        Status::Clean => {
                            causes.extend(up.causes);
                            errors.extend(up.errors);
                        }
                        _ => waiting.push(g.node(u).key.clone()),
                    }
                }
                causes.retain(|c| {
                    c.severity >= repo.rules.flag_at || c.rule == LOST || c.rule == UNREAD
                });
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
                path: examined.path,
                line: node.loc.line,
                status: st,
                causes,
                waiting_on,
                ix: Some(t),
            });
        }
    }
    verdicts.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.thesis.cmp(&b.thesis)));
    Evaluation { verdicts, errors }
}

/// What evaluating one thesis finds without the verdicts of the theses it builds on.
struct Examined {
    path: String,
    found: Found,
}

enum Found {
    Unscored,
    /// Accepted differently on two merged branches.
    Conflicted(Cause),
    Scored {
        /// From its non-thesis dependencies.
        causes: Vec<Cause>,
        errors: Vec<Diagnostic>,
        upstream: Vec<Upstream>,
    },
}

/// A thesis the examined one builds on, with the causes and errors its score brings if its own
/// verdict is clean (it is waited on otherwise).
struct Upstream {
    ix: NodeIx,
    causes: Vec<Cause>,
    errors: Vec<Diagnostic>,
}

fn examine(repo: &Repo, lock: &Entries, trees: &Trees, t: NodeIx) -> Examined {
    let g = &repo.graph;
    let node = g.node(t);
    let path = repo
        .page_of(node.loc)
        .map(|p| p.path.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let found = match lock.thesis.get(&node.key) {
        None => match lock.conflicted.get(&node.key) {
            Some(baselines) => Found::Conflicted(accepted_twice(&node.key, baselines)),
            None => Found::Unscored,
        },
        Some(base) => {
            let mut errors = Vec::new();
            let causes = tree_causes(repo, lock, trees, base, t, &mut errors);
            let upstream = g
                .incoming(t)
                .filter(|(_, e)| e.kind == EdgeKind::BuildsOn)
                .map(|(u, _)| upstream(repo, lock, trees, base, u, &node.key))
                .collect();
            Found::Scored {
                causes,
                errors,
                upstream,
            }
        }
    };
    Examined { path, found }
}

/// What upstream thesis `u`'s score brings to thesis `thesis` scored against `base`.
fn upstream(
    repo: &Repo,
    lock: &Entries,
    trees: &Trees,
    base: &Baseline,
    u: NodeIx,
    thesis: &str,
) -> Upstream {
    let g = &repo.graph;
    let ukey = &g.node(u).key;
    let via = vec![ukey.clone(), thesis.to_string()];
    let mut causes = Vec::new();
    let mut errors = Vec::new();
    let Some(id) = base.against.get(ukey) else {
        for c in repo
            .rules
            .new_dependency(NodeKind::Thesis, &g.node(u).state)
        {
            causes.push(cause(c, ukey.clone(), None, via.clone()));
        }
        return Upstream {
            ix: u,
            causes,
            errors,
        };
    };
    // Unless its tree id moved from the one it was scored against, its state is the accepted
    // one and its entry need not be read back (most upstream theses of most theses, each read
    // from the lock's file otherwise).
    if trees.id(g, u) != id {
        let old = lock.entry(&hex(id)).unwrap_or_else(|d| {
            errors.push(d);
            None
        });
        match old {
            Some(old) => {
                for c in repo
                    .rules
                    .diff(NodeKind::Thesis, &old.state, &g.node(u).state)
                {
                    causes.push(cause(c, ukey.clone(), None, via.clone()));
                }
            }
            None => causes.push(lost(ukey, rules::describe(&g.node(u).state), via)),
        }
    }
    Upstream {
        ix: u,
        causes,
        errors,
    }
}

/// The lock with each entry parsed at most once in an evaluation: theses that rest on one
/// moved subtree look inside the same entries, and parsing an entry's line is the costly part.
/// What was found below each moved dependency is kept too, for every thesis resting on it.
struct Entries<'a> {
    lock: &'a Lock,
    parsed: Mutex<HashMap<String, Option<Entry>>>,
    diffed: Mutex<FxHashMap<(TreeId, NodeIx), Arc<Diffed>>>,
}

/// The causes and errors found below a dependency whose tree id moved from the one a thesis was
/// accepted against: the same for every thesis that rests on it, but for the last hop of each
/// cause's path (the thesis), which is left out here.
#[derive(Default)]
struct Diffed {
    causes: Vec<Cause>,
    errors: Vec<Diagnostic>,
}

impl<'a> Entries<'a> {
    fn new(lock: &'a Lock) -> Self {
        Entries {
            lock,
            parsed: Mutex::default(),
            diffed: Mutex::default(),
        }
    }

    /// What changed below dependency `d` since it had tree id `old_id`, computed once an
    /// evaluation (the most-cited concept of a large repo has hundreds of theses on it).
    fn diffed(&self, repo: &Repo, trees: &Trees, old_id: TreeId, d: NodeIx) -> Arc<Diffed> {
        let kept = || self.diffed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = kept().get(&(old_id, d)) {
            return found.clone();
        }
        // Found outside the lock: two threads may both find it, and find the same.
        let n = repo.graph.node(d);
        let via = vec![n.key.clone()];
        let mut found = Diffed::default();
        match self.entry(&hex(old_id)) {
            Ok(Some(old)) => diff_tree(
                repo,
                self,
                trees,
                &old,
                d,
                via,
                &mut found.causes,
                &mut found.errors,
            ),
            Ok(None) => found
                .causes
                .push(lost(&n.key, rules::describe(&n.state), via)),
            Err(diag) => found.errors.push(diag),
        }
        let found = Arc::new(found);
        kept().insert((old_id, d), found.clone());
        found
    }

    /// `Lock::entry`, remembered; an entry that does not parse is reported each time it is read.
    fn entry(&self, id: &str) -> Result<Option<Entry>, Diagnostic> {
        let parsed = || self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = parsed().get(id).cloned();
        if let Some(e) = kept {
            return Ok(e);
        }
        // Parsed outside the lock: two threads may both parse one entry, and find the same.
        let e = self.lock.entry(id)?;
        parsed().insert(id.to_string(), e.clone());
        Ok(e)
    }
}

impl std::ops::Deref for Entries<'_> {
    type Target = Lock;

    fn deref(&self) -> &Lock {
        self.lock
    }
}

/// The rule name of causes that come from the lock itself, not from the research repo: they
/// are reported whatever `flag_at` says, since no rule can judge what the lock lost.
const LOST: &str = "lock-merge";
/// The rule name of a claim whose accepted text the lock names but this clone cannot read:
/// reported whatever `flag_at` says, for the same reason.
const UNREAD: &str = "accepted-text";

/// A thesis two merged branches accepted differently.
fn accepted_twice(thesis: &str, baselines: &[Baseline]) -> Cause {
    let scores: Vec<String> = baselines
        .iter()
        .map(|b| rules::describe(&MaterialState::Thesis { score: b.score }))
        .collect();
    Cause {
        rule: LOST.into(),
        field: "baseline",
        severity: Severity::Major,
        node: thesis.to_string(),
        was: None,
        before: format!("score {} on one branch", scores[0]),
        after: format!("{} on the other", scores[1..].join(", ")),
        detail: Some("accepted differently on two branches: re-score".into()),
        via: vec![thesis.to_string()],
    }
}

/// A dependency whose baseline entry the lock does not hold (a merge dropped it on one side
/// while the other still used it): what it was is unknown, so the thesis must be re-scored.
fn lost(key: &str, now: String, via: Vec<String>) -> Cause {
    Cause {
        rule: LOST.into(),
        field: "baseline",
        severity: Severity::Major,
        node: key.to_string(),
        was: None,
        before: "missing from the lock".into(),
        after: now,
        detail: Some("the lock lost what this was accepted against in a merge: re-score".into()),
        via,
    }
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

/// Causes for one thesis from its non-thesis dependencies, found by comparing tree ids and
/// descending only into subtrees whose id changed.
fn tree_causes(
    repo: &Repo,
    lock: &Entries,
    trees: &Trees,
    base: &Baseline,
    thesis: NodeIx,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Cause> {
    let g = &repo.graph;
    let tkey = g.node(thesis).key.clone();
    let mut causes = Vec::new();
    let mut current: FxHashSet<&str> = FxHashSet::default();
    // New dependencies wait until gone ones are paired: a renamed claim the thesis now links to
    // is its old self, not something new.
    let mut new_deps = Vec::new();
    for (d, e) in g.incoming(thesis) {
        let n = g.node(d);
        if !e.kind.propagates() || n.kind == NodeKind::Thesis || !current.insert(n.key.as_str()) {
            continue;
        }
        match base.against.get(&n.key) {
            None => new_deps.push(d),
            Some(old_id) if old_id != trees.id(g, d) => {
                let found = lock.diffed(repo, trees, old_id, d);
                causes.extend(found.causes.iter().map(|c| {
                    let mut c = c.clone();
                    c.via.push(tkey.clone());
                    c
                }));
                errors.extend(found.errors.iter().cloned());
            }
            Some(_) => {}
        }
    }
    // A dependency that no longer exists anywhere is gone (or renamed); one that still exists
    // but is no longer cited was unlinked by an edit of the thesis itself, which is not material.
    let mut relinked: FxHashSet<String> = FxHashSet::default();
    for (key, id) in gone_dependencies(repo, lock, base, &tkey, &current) {
        let before = causes.len();
        match lock.entry(&hex(id)) {
            Ok(Some(mut old)) => {
                accepted::fill(repo, &mut old, None, &[], &mut causes);
                relinked.extend(gone(repo, lock, &old, &tkey, &current, &mut causes));
            }
            Ok(None) => causes.push(lost(
                key,
                "gone".into(),
                vec![key.to_string(), tkey.clone()],
            )),
            Err(diag) => errors.push(diag),
        }
        // A link the thesis still has to something gone that no rule reports (a source or a
        // thesis page deleted, or the rule switched off) stays the broken link it is.
        if causes.len() == before {
            let broken = repo
                .dangling
                .iter()
                .filter(|d| d.thesis == tkey && d.key == key);
            errors.extend(broken.map(|d| d.diag.clone()));
        }
    }
    for d in new_deps {
        let n = g.node(d);
        if relinked.contains(&n.key) {
            continue;
        }
        for c in repo.rules.new_dependency(n.kind, &n.state) {
            causes.push(cause(
                c,
                n.key.clone(),
                None,
                vec![n.key.clone(), tkey.clone()],
            ));
        }
    }
    causes
}

/// The key and baseline tree id of each dependency of a thesis that exists no more: from its
/// baseline, and links to a gone anchor that this thesis was not scored against but another
/// thesis was (linked after this thesis was accepted).
fn gone_dependencies<'a>(
    repo: &'a Repo,
    lock: &'a Lock,
    base: &'a Baseline,
    thesis: &str,
    current: &FxHashSet<&str>,
) -> Vec<(&'a str, TreeId)> {
    let g = &repo.graph;
    let mut keys: Vec<(&str, TreeId)> = base
        .against
        .iter()
        .filter(|(key, _)| !current.contains(key) && g.get(key).is_none())
        .collect();
    for d in repo.dangling.iter().filter(|d| d.thesis == thesis) {
        if base.against.contains_key(&d.key) || keys.iter().any(|(k, _)| *k == d.key) {
            continue;
        }
        if let Some(id) = lock.thesis.values().find_map(|b| b.against.get(&d.key)) {
            keys.push((&d.key, id));
        }
    }
    keys
}

/// A direct dependency that no longer exists: renamed (a claim or row of the same page that no
/// baseline knows pairs with it, as in rename detection), or removed. A renamed one that the
/// thesis already links to is compared like a reworded claim, and its key is returned; one it
/// does not link to is stale until the link is updated.
fn gone(
    repo: &Repo,
    lock: &Entries,
    old: &Entry,
    thesis: &str,
    current: &FxHashSet<&str>,
    causes: &mut Vec<Cause>,
) -> Option<String> {
    let Some(ix) = renamed_to(repo, lock, old) else {
        removed(repo, old, vec![old.key.clone(), thesis.to_string()], causes);
        return None;
    };
    let new = repo.graph.node(ix);
    let via = vec![new.key.clone(), thesis.to_string()];
    let relinked = current.contains(new.key.as_str());
    if !relinked {
        let anchor = new.key.split_once('#').map_or(new.key.as_str(), |(_, a)| a);
        for mut c in repo.rules.removed(new.kind, &old.state) {
            c.after = crate::rules::describe(&new.state);
            c.detail = Some(format!("renamed to #{anchor}: update the link"));
            causes.push(cause(
                c,
                new.key.clone(),
                Some(old.key.clone()),
                via.clone(),
            ));
        }
    }
    for c in repo.rules.diff(new.kind, &old.state, &new.state) {
        causes.push(cause(
            c,
            new.key.clone(),
            Some(old.key.clone()),
            via.clone(),
        ));
    }
    relinked.then(|| new.key.clone())
}

/// The claim or row that a vanished one (`page#anchor`) was renamed to: on the same page, of
/// the same kind, not known to any baseline (so it is new), and the most similar — by text for
/// claims (at least `rename_similarity`), by a typo-level label change for rows.
fn renamed_to(repo: &Repo, lock: &Entries, old: &Entry) -> Option<NodeIx> {
    let (page, _) = old.key.split_once('#')?;
    let g = &repo.graph;
    let known = |k: &str| lock.thesis.values().any(|b| b.against.contains_key(k));
    trees::children(g, g.get(page)?)
        .into_iter()
        .filter(|&ix| !known(&g.node(ix).key))
        .filter_map(|ix| Some((ix, rename_score(old, g.node(ix))?)))
        .filter(|(_, s)| *s >= repo.rules.rename_similarity)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(ix, _)| ix)
}

/// How alike a vanished claim or row and a new node are, for rename detection: the similarity
/// of their texts for claims; for rows, of their ids, when the ids differ by no more than a
/// typo in a label (another row otherwise). `None` for anything else.
fn rename_score(old: &Entry, new: &rescore_graph::Node) -> Option<f64> {
    match (&old.state, &new.state) {
        (MaterialState::Claim(a), MaterialState::Claim(b)) => Some(similarity(&a.text, &b.text)),
        (MaterialState::Benchmark { .. }, MaterialState::Benchmark { .. }) => {
            let (_, old_anchor) = old.key.split_once('#')?;
            let (_, anchor) = new.key.split_once('#')?;
            crate::label::same_row(old_anchor, anchor).then(|| similarity(old_anchor, anchor))
        }
        _ => None,
    }
}

fn removed(repo: &Repo, old: &Entry, via: Vec<String>, causes: &mut Vec<Cause>) {
    if matches!(old.state, MaterialState::Thesis { .. }) {
        return;
    }
    let kind = NodeKind::parse(old.state.kind_name()).unwrap_or(NodeKind::Claim);
    for c in repo.rules.removed(kind, &old.state) {
        causes.push(cause(c, old.key.clone(), None, via.clone()));
    }
}

/// Compares a node with the entry it was accepted as: its own state by the rules, then each
/// upstream child whose tree id moved; vanished and new children of one node are paired by text
/// similarity (rename detection) before counting as removed or added.
#[allow(clippy::too_many_arguments)]
fn diff_tree(
    repo: &Repo,
    lock: &Entries,
    trees: &Trees,
    old: &Entry,
    cur: NodeIx,
    via: Vec<String>,
    causes: &mut Vec<Cause>,
    errors: &mut Vec<Diagnostic>,
) {
    let g = &repo.graph;
    let rules: &RuleSet = &repo.rules;
    let n = g.node(cur);
    let mut old = old.clone();
    accepted::fill(repo, &mut old, Some(n), &via, causes);
    for c in rules.diff(n.kind, &old.state, &n.state) {
        causes.push(cause(c, n.key.clone(), None, via.clone()));
    }
    let mut old_kids: HashMap<String, (String, Entry)> = HashMap::new();
    for id in &old.up {
        match lock.entry(id) {
            Ok(Some(e)) => {
                old_kids.insert(e.key.clone(), (id.clone(), e));
            }
            Ok(None) => causes.push(Cause {
                before: format!("an upstream entry ({id}) missing from the lock"),
                ..lost(&n.key, rules::describe(&n.state), via.clone())
            }),
            Err(d) => errors.push(d),
        }
    }
    let hop = |key: &str| {
        let mut v = Vec::with_capacity(via.len() + 1);
        v.push(key.to_string());
        v.extend(via.iter().cloned());
        v
    };
    let mut added = Vec::new();
    for k in trees::children(g, cur) {
        let key = &g.node(k).key;
        match old_kids.remove(key) {
            Some((id, e)) => {
                if parse_hex(&id) != Some(trees.id(g, k)) {
                    diff_tree(repo, lock, trees, &e, k, hop(key), causes, errors);
                }
            }
            None => added.push(k),
        }
    }
    let mut gone: Vec<Entry> = old_kids.into_values().map(|(_, e)| e).collect();
    gone.sort_by(|a, b| a.key.cmp(&b.key));
    for e in &mut gone {
        accepted::fill(repo, e, None, &[], causes);
    }
    // Rename detection: pair a vanished claim with the most similar new claim, and a vanished
    // row with a new row whose labels differ from its own by a typo.
    let mut renamed: HashSet<NodeIx> = HashSet::new();
    gone.retain(|old_kid| {
        let best = added
            .iter()
            .filter(|ix| !renamed.contains(*ix))
            .filter_map(|&ix| Some((ix, rename_score(old_kid, g.node(ix))?)))
            .filter(|(_, s)| *s >= rules.rename_similarity)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((ix, _)) => {
                renamed.insert(ix);
                let new = g.node(ix);
                for c in rules.diff(new.kind, &old_kid.state, &new.state) {
                    causes.push(cause(
                        c,
                        new.key.clone(),
                        Some(old_kid.key.clone()),
                        hop(&new.key),
                    ));
                }
                false
            }
            None => true,
        }
    });
    for old_kid in &gone {
        removed(repo, old_kid, hop(&old_kid.key), causes);
    }
    for ix in added.into_iter().filter(|ix| !renamed.contains(ix)) {
        let new = g.node(ix);
        for c in rules.added(new.kind, &new.state) {
            causes.push(cause(c, new.key.clone(), None, hop(&new.key)));
        }
    }
}

/// What a thesis would be accepted against now: the tree id of each direct dependency, and an
/// entry for every node below them that `lock` does not already hold.
pub fn baseline(repo: &Repo, trees: &Trees, lock: &Lock, thesis: NodeIx) -> Snapshot {
    let g = &repo.graph;
    let mut snap = Snapshot::default();
    let mut todo = Vec::new();
    for (d, e) in g.incoming(thesis) {
        if e.kind.propagates() {
            snap.against.insert(g.node(d).key.clone(), trees.id(g, d));
            todo.push(d);
        }
    }
    while let Some(ix) = todo.pop() {
        let id = trees.id(g, ix);
        if lock.has(id) || snap.entries.contains_key(&id) {
            continue;
        }
        let kids = trees::children(g, ix);
        // In tree id order, as the lock reads a page's line back.
        let mut up: Vec<String> = kids.iter().map(|&k| hex(trees.id(g, k))).collect();
        up.sort();
        let n = g.node(ix);
        let text = match (&n.state, repo.page_of(n.loc)) {
            (MaterialState::Claim(_), Some(page)) => TextAt::Page(page.path.to_path_buf()),
            _ => TextAt::Held,
        };
        snap.entries.insert(
            id,
            Entry {
                key: n.key.clone(),
                state: n.state.clone(),
                up,
                text,
            },
        );
        todo.extend(kids);
    }
    snap
}

/// Tree ids for a whole-repo pass (accept, init).
pub fn trees(repo: &Repo) -> Trees {
    Trees::eager_for_theses(&repo.graph)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("a folder");
        }
        std::fs::write(path, text).expect("a page written");
    }

    fn concept(root: &Path, i: usize, value: &str, level: &str) {
        let text = format!(
            "+++\nkind = \"concept\"\n+++\n# C{i}\n\n## Key Claims\n\n\
             - Model {i} reaches {value} on the bench. {{#k}}\n  Evidence: {level} ([[s]])\n"
        );
        write(root, &format!("concepts/c{i}.md"), &text);
    }

    /// Theses 0–5 cite one concept each; thesis i ≥ 6 builds on thesis i − 6 only, so each
    /// concept heads a chain of four theses.
    fn research_repo(root: &Path) {
        write(root, "sources/s.md", "+++\nkind = \"source\"\n+++\n# S\n");
        for i in 0..6 {
            concept(root, i, "50%", "strong");
        }
        for i in 0..24 {
            let link = if i < 6 {
                format!("[[c{i}#k]]")
            } else {
                format!("[[t{:02}]]", i - 6)
            };
            let text = format!(
                "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T{i}\n\n## Evidence\n\n- {link}\n"
            );
            write(root, &format!("theses/t{i:02}.md"), &text);
        }
    }

    fn load(root: &Path) -> Repo {
        crate::load::load(root).unwrap_or_else(|d| panic!("the repo loads: {d:?}"))
    }

    fn named(eval: &Evaluation, status: Status) -> Vec<&str> {
        eval.with(status).map(|v| v.thesis.as_str()).collect()
    }

    #[test]
    fn verdicts_do_not_depend_on_the_threads_and_wait_on_upstream_verdicts() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path();
        research_repo(root);
        let mut lock = Lock::new();
        crate::accept::every_thesis(&mut lock, &load(root));
        concept(root, 0, "20%", "strong");
        concept(root, 3, "50%", "weak");
        write(
            root,
            "theses/zz.md",
            "+++\nkind = \"thesis\"\nscore = 0.1\n+++\n# Z\n",
        );
        let repo = load(root);
        let with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            pool.install(|| evaluate(&repo, &lock))
        };
        let (one, four) = (with(1), with(4));
        let json = |e: &Evaluation| serde_json::to_string(&e.verdicts).expect("verdicts as JSON");
        assert_eq!(json(&one), json(&four));
        assert_eq!(named(&four, Status::Stale), ["t00", "t03"]);
        assert_eq!(
            named(&four, Status::Pending),
            ["t06", "t09", "t12", "t15", "t18", "t21"]
        );
        assert_eq!(named(&four, Status::Unscored), ["zz"]);
        assert_eq!(four.with(Status::Clean).count(), 16);
        let t12 = four.get("t12").map(|v| v.waiting_on.clone());
        assert_eq!(t12, Some(vec!["t06".to_string()]));
        let t00 = four.get("t00").map(|v| v.causes[0].node.clone());
        assert_eq!(t00.as_deref(), Some("c0#k"));
        assert!(four.errors.is_empty(), "{:?}", four.errors);
    }

    /// What changed below a moved dependency is found once an evaluation, for every thesis
    /// resting on it: each thesis gets the same causes, on a path that ends at itself.
    #[test]
    fn theses_on_one_moved_claim_share_its_causes_each_on_its_own_path() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path();
        research_repo(root);
        for t in ["u1", "u2"] {
            write(
                root,
                &format!("theses/{t}.md"),
                &format!("+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# {t}\n\n## Evidence\n\n- [[c2#k]]\n"),
            );
        }
        let mut lock = Lock::new();
        crate::accept::every_thesis(&mut lock, &load(root));
        concept(root, 2, "20%", "weak");
        let eval = evaluate(&load(root), &lock);
        assert_eq!(named(&eval, Status::Stale), ["t02", "u1", "u2"]);
        let causes = |t: &str| eval.get(t).map(|v| v.causes.clone()).unwrap_or_default();
        for t in ["t02", "u1", "u2"] {
            let found = causes(t);
            assert_eq!(found.len(), 2, "{t}: {found:?}");
            for c in &found {
                assert_eq!(c.via, ["c2#k", t], "{t}");
            }
        }
        let without_thesis = |t: &str| {
            let mut found = causes(t);
            for c in &mut found {
                c.via.pop();
            }
            serde_json::to_string(&found).expect("causes as JSON")
        };
        assert_eq!(without_thesis("u1"), without_thesis("t02"));
        assert_eq!(without_thesis("u2"), without_thesis("t02"));
    }
}
