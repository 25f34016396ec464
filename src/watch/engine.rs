//! The watcher's engine: given the files of a batch with their new bytes (or their absence),
//! it updates pages, graph and verdicts incrementally and says what changed — verdicts whose
//! flag moved, theses whose warning block may need a write, diagnostics — without printing or
//! writing anything. `mod.rs` feeds it and acts on what it returns.
//!
//! Incrementality, in three tiers:
//! - **patch**: when every changed page keeps its structure (same id, title, kind, node keys and
//!   links — the usual edit of a claim's value or evidence), the page's nodes get their new
//!   states in place. Cost: one page parse plus the theses reached.
//! - **add**: new thesis and note pages that take no other page's name get their node and edges
//!   in place, resolved by `resolve::thesis_dependencies`.
//! - **rebuild**: otherwise (concept or source pages added, pages removed or renamed, links
//!   changed) the graph is rebuilt from the kept pages with `resolve::build_parts` — no file is
//!   re-read or re-parsed — and the changed nodes are found by comparing each node's state with
//!   the previous graph's.
//!
//! Either way only the theses downstream of the changed nodes (in the old graph and in the new
//! one) are evaluated. Bad input never loses the last good graph: while a page or the links
//! have errors, the engine holds evaluation back and says so.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rescore_graph::propagate::downstream_theses;
use rescore_graph::{Edge, EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind};

use crate::diag::Diagnostic;
use crate::eval::{self, Evaluation, Status, Verdict};
use crate::load::{self, Parsed, Repo};
use crate::lock::Lock;
use crate::page::{self, Page, PageKind, ParseContext};
use crate::resolve;

/// A file of a batch as it is now.
pub enum FileNow {
    /// Removed, or no longer a regular file.
    Gone,
    Bytes(Vec<u8>),
    Unreadable(std::io::Error),
}

/// Why evaluation is held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// At start: the repo has errors; nothing is evaluated until they are fixed.
    Waiting,
    /// After a batch: this many pages have errors (0: the links between pages do); the last
    /// good graph and verdicts are kept.
    Kept { pages: usize },
}

/// One batch as the JSON `batch` event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub files: usize,
    /// How the graph was updated: unchanged, patched, added, rebuilt, reloaded, or kept.
    pub graph: &'static str,
    /// Theses evaluated; `None` when evaluation was held back.
    pub theses: Option<usize>,
    /// Every thesis was evaluated.
    pub full: bool,
}

/// What one step of the engine found, for the caller to print and act on.
#[derive(Default)]
pub struct Report {
    pub diags: Vec<Diagnostic>,
    /// Errors held back an earlier evaluation and are fixed now.
    pub fixed: bool,
    /// Verdicts whose flag was raised, cleared or changed.
    pub flags: Vec<Verdict>,
    /// Every verdict evaluated: their warning blocks are to be brought in line.
    pub evaluated: Vec<Verdict>,
    pub held: Option<Held>,
    pub batch: Option<BatchSummary>,
}

/// What is known about one tracked page file.
struct FileState {
    hash: blake3::Hash,
    /// Diagnostics from reading and parsing it alone.
    diags: Vec<Diagnostic>,
}

impl FileState {
    fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }
}

pub struct Engine {
    /// Pages that parsed (sorted by path: a page's index is its `Loc::file`), config, rules,
    /// and the last good graph.
    repo: Repo,
    /// Page paths in the order the graph was built with, so an old node's `Loc::file` maps
    /// back to its page after the page list has moved on.
    graph_files: Vec<PathBuf>,
    lock: Lock,
    /// Every thesis link to a missing anchor or page, before the lock sorted them (see
    /// `Repo::settle_dangling`): a new lock sorts them again.
    dangling_all: Vec<resolve::Dangling>,
    /// `baseline_index` of `lock`.
    by_page: HashMap<String, Vec<String>>,
    /// Every tracked page file, parsed or not.
    files: BTreeMap<PathBuf, FileState>,
    /// Files whose own diagnostics hold an error.
    broken: BTreeSet<PathBuf>,
    /// The last good verdict of every thesis, by key.
    verdicts: HashMap<String, Verdict>,
    /// Pages changed since the last good evaluation.
    dirty: BTreeSet<PathBuf>,
    /// The next good evaluation must rebuild the graph and evaluate every thesis.
    full_pending: bool,
    /// A reload failed (bad config or rules): retry on every batch.
    reload_pending: bool,
    /// Graph diagnostics already shown.
    shown: HashSet<String>,
    /// Evaluation was held back by errors; the next evaluation says they are fixed.
    held_back: bool,
}

/// A repo loaded from disk with what the engine keeps per file.
struct Loaded {
    repo: Repo,
    files: BTreeMap<PathBuf, FileState>,
}

/// Loads the repo with the loader's steps, keeping each file's hash and own diagnostics.
/// Unlike `load::load`, settings and walk errors stop it: the watcher needs a repo to watch.
fn load_tracked(root: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    if !root.is_dir() {
        return Err(vec![super::no_root(
            root,
            "research repo root is not a folder",
        )]);
    }
    let config_text = load::read_config(root).map_err(|d| vec![d])?;
    let (config, rules) = load::settings(config_text.as_deref(), &crate::rules::read_from(root))?;
    let (paths, walk_diags) = load::walk(root, &config);
    if walk_diags.iter().any(Diagnostic::is_error) {
        return Err(walk_diags);
    }
    let cx = ParseContext {
        folders: &config.folders,
        scale: &rules.scale,
    };
    let read: Vec<(PathBuf, Parsed, Option<blake3::Hash>)> = paths
        .into_par_iter()
        .map(|p| {
            let (parsed, hash) = load::read_file(root, &p, &cx, true);
            (p, parsed, hash)
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut parsed = Vec::with_capacity(read.len());
    for (p, one, hash) in read {
        files.insert(p, file_state(hash, &one));
        parsed.push(one);
    }
    let repo = load::assemble(root.to_path_buf(), config, rules, parsed, walk_diags);
    Ok(Loaded { repo, files })
}

fn file_state(hash: Option<blake3::Hash>, parsed: &Parsed) -> FileState {
    FileState {
        hash: hash.unwrap_or_else(|| blake3::hash(&[])),
        diags: parsed.diags.clone(),
    }
}

fn graph_files(pages: &[Page]) -> Vec<PathBuf> {
    pages.iter().map(|p| p.path.clone()).collect()
}

/// A stable identity for a diagnostic, to show each graph diagnostic once.
fn diag_id(d: &Diagnostic) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        d.code,
        d.path.display(),
        d.line,
        d.col,
        d.message
    )
}

/// Same material state, with a missing thesis score (NaN) equal to itself.
fn same_state(a: &MaterialState, b: &MaterialState) -> bool {
    match (a, b) {
        (MaterialState::Thesis { score: x }, MaterialState::Thesis { score: y }) => {
            x.to_bits() == y.to_bits() || x == y
        }
        _ => a == b,
    }
}

/// What decides a page's place in the graph (everything but node states and positions).
fn same_structure(a: &Page, b: &Page) -> bool {
    let links = |p: &Page| {
        p.links
            .iter()
            .map(|l| (l.target.clone(), l.anchor.clone(), l.role))
            .collect::<Vec<_>>()
    };
    let claims = |p: &Page| {
        p.claims
            .iter()
            .map(|c| (c.id.clone(), c.explicit_id, c.bare_sources.clone()))
            .collect::<Vec<_>>()
    };
    let rows = |p: &Page| p.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    a.path == b.path
        && a.kind == b.kind
        && a.id.to_lowercase() == b.id.to_lowercase()
        && a.title.as_deref().map(str::to_lowercase) == b.title.as_deref().map(str::to_lowercase)
        && a.part_of == b.part_of
        && a.depends_on == b.depends_on
        && claims(a) == claims(b)
        && rows(a) == rows(b)
        && links(a) == links(b)
}

/// The nodes a page makes on its own (keys, kinds, states without cross-page sources).
fn page_nodes(p: &Page) -> Option<Graph> {
    let mut diags = Vec::new();
    let g = resolve::build(std::slice::from_ref(p), &mut diags);
    // Duplicate anchors within the page are an error: leave them to a full rebuild.
    (!diags.iter().any(|d| d.code == "duplicate-anchor")).then_some(g)
}

/// The page part of a node key: `page` of `page#anchor`.
fn page_part(key: &str) -> &str {
    key.split_once('#').map_or(key, |(p, _)| p)
}

/// Which theses' baselines name something on a page, by the page's key: what a change on that
/// page can reach besides the edges (a dependency a thesis unlinked and that is now gone, a
/// claim renamed and paired with its old self).
fn baseline_index(lock: &Lock) -> HashMap<String, Vec<String>> {
    let mut by_page: HashMap<String, Vec<String>> = HashMap::new();
    for (t, base) in &lock.thesis {
        let pages: BTreeSet<&str> = base.against.keys().map(|k| page_part(k)).collect();
        for p in pages {
            by_page.entry(p.to_string()).or_default().push(t.clone());
        }
    }
    by_page
}

impl Engine {
    /// Loads the repo at `root` and the lock. Returns the engine and the diagnostics found on
    /// the way (sorted by place), or the diagnostics that leave nothing to watch.
    pub fn open(root: &Path) -> Result<(Engine, Vec<Diagnostic>), Vec<Diagnostic>> {
        let loaded = load_tracked(root)?;
        let lock = Lock::read(root)
            .map_err(|d| vec![d])?
            .unwrap_or_else(Lock::new);
        Ok(Engine::start(loaded, lock))
    }

    /// An engine on pages already read, for callers that hold files in memory (tests): every
    /// file goes through the same per-file step as a batch.
    pub fn from_files(
        root: &Path,
        config_text: Option<&str>,
        read_rules: &dyn Fn(&Path) -> Option<String>,
        files: Vec<(PathBuf, Vec<u8>)>,
        lock: Lock,
    ) -> Result<(Engine, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (config, rules) = load::settings(config_text, read_rules)?;
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        let mut states = BTreeMap::new();
        let mut parsed = Vec::with_capacity(files.len());
        let mut files = files;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (p, bytes) in files {
            let hash = blake3::hash(&bytes);
            let one = load::parse_file(&p, bytes, &cx);
            states.insert(p, file_state(Some(hash), &one));
            parsed.push(one);
        }
        let repo = load::assemble(root.to_path_buf(), config, rules, parsed, Vec::new());
        Ok(Engine::start(
            Loaded {
                repo,
                files: states,
            },
            lock,
        ))
    }

    fn start(loaded: Loaded, lock: Lock) -> (Engine, Vec<Diagnostic>) {
        let Loaded { mut repo, files } = loaded;
        let dangling_all = repo.dangling.clone();
        repo.settle_dangling(&lock);
        let mut e = Engine {
            by_page: baseline_index(&lock),
            dangling_all,
            graph_files: graph_files(&repo.pages),
            repo,
            lock,
            files: BTreeMap::new(),
            broken: BTreeSet::new(),
            verdicts: HashMap::new(),
            dirty: BTreeSet::new(),
            full_pending: true,
            reload_pending: false,
            shown: HashSet::new(),
            held_back: false,
        };
        e.set_files(files);
        // The walk's and the graph's diagnostics are in the repo; the pages' own are per file.
        let mut diags: Vec<Diagnostic> = e.files.values().flat_map(|f| f.diags.clone()).collect();
        let own: HashSet<String> = diags.iter().map(diag_id).collect();
        diags.extend(
            e.repo
                .diags
                .iter()
                .filter(|d| !own.contains(&diag_id(d)))
                .cloned(),
        );
        diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        e.shown = e.repo.diags.iter().map(diag_id).collect();
        (e, diags)
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The last good verdict of every thesis evaluated so far, by thesis key.
    pub fn verdicts(&self) -> &HashMap<String, Verdict> {
        &self.verdicts
    }

    /// Whether evaluation is held back by errors (in a page, or in the links between pages).
    pub fn held_back(&self) -> bool {
        self.held_back
    }

    /// Whether a page file is tracked (it was a page when last seen).
    pub fn tracks(&self, rel: &Path) -> bool {
        self.files.contains_key(rel)
    }

    /// The tracked page files below a folder.
    pub fn tracked_under(&self, rel: &Path) -> Vec<PathBuf> {
        self.files
            .range(rel.to_path_buf()..)
            .take_while(|(p, _)| p.starts_with(rel))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// A reload failed and is retried on the next batch.
    pub fn reload_pending(&self) -> bool {
        self.reload_pending
    }

    fn set_files(&mut self, files: BTreeMap<PathBuf, FileState>) {
        self.broken = files
            .iter()
            .filter(|(_, f)| f.has_errors())
            .map(|(p, _)| p.clone())
            .collect();
        self.files = files;
    }

    fn graph_ok(&self) -> bool {
        !self.repo.diags.iter().any(Diagnostic::is_error)
    }

    /// The first evaluation: every thesis; the ones that are not clean are flags.
    pub fn initial(&mut self) -> Report {
        let mut r = Report::default();
        if !self.broken.is_empty() || !self.graph_ok() {
            self.held_back = true;
            r.held = Some(Held::Waiting);
            return r;
        }
        self.full_pending = false;
        let eval = eval::evaluate(&self.repo, &self.lock);
        self.settle(eval.verdicts, true, &mut r);
        r
    }

    /// Applies one batch: the page files that changed, with their bytes now, and the lock when
    /// `rescore.lock` changed.
    pub fn apply(&mut self, files: Vec<(PathBuf, FileNow)>, lock: Option<Lock>) -> Report {
        let mut r = Report::default();
        let mut eval_all = false;
        if let Some(l) = lock {
            if l != self.lock {
                tracing::debug!("watch: rescore.lock changed: every thesis");
                self.lock = l;
                self.by_page = baseline_index(&self.lock);
                eval_all = true;
                if !self.resettle() {
                    // The last good graph has errors under this lock: build it again.
                    self.full_pending = true;
                }
            }
        }

        // Re-parse only the changed pages.
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut old_pages: HashMap<PathBuf, Option<Page>> = HashMap::new();
        for (rel, now) in files {
            let slot = self
                .repo
                .pages
                .binary_search_by(|p| p.path.as_path().cmp(&rel));
            let (fs, page) = match now {
                FileNow::Gone => {
                    if self.files.remove(&rel).is_none() {
                        continue;
                    }
                    self.broken.remove(&rel);
                    let old = slot.ok().map(|i| self.repo.pages.remove(i));
                    old_pages.entry(rel.clone()).or_insert(old);
                    tracing::debug!(path = %rel.display(), "watch: page removed");
                    changed.push(rel);
                    continue;
                }
                FileNow::Bytes(bytes) => {
                    let hash = blake3::hash(&bytes);
                    if self.files.get(&rel).is_some_and(|f| f.hash == hash) {
                        continue; // unchanged: a touch, or our own write
                    }
                    let cx = ParseContext {
                        folders: &self.repo.config.folders,
                        scale: &self.repo.rules.scale,
                    };
                    let p = load::parse_file(&rel, bytes, &cx);
                    (file_state(Some(hash), &p), p.page)
                }
                FileNow::Unreadable(e) => {
                    let p = load::unreadable_file(&rel, &e);
                    let fs = file_state(None, &p);
                    if self.files.get(&rel).is_some_and(|f| f.hash == fs.hash) {
                        continue; // still unreadable
                    }
                    (fs, None)
                }
            };
            r.diags.extend(fs.diags.iter().cloned());
            if fs.has_errors() {
                self.broken.insert(rel.clone());
            } else {
                self.broken.remove(&rel);
            }
            self.files.insert(rel.clone(), fs);
            let old = match (slot, page) {
                (Ok(i), Some(p)) => Some(std::mem::replace(&mut self.repo.pages[i], p)),
                (Ok(i), None) => Some(self.repo.pages.remove(i)),
                (Err(i), Some(p)) => {
                    self.repo.pages.insert(i, p);
                    None
                }
                (Err(_), None) => None,
            };
            old_pages.entry(rel.clone()).or_insert(old);
            tracing::debug!(path = %rel.display(), "watch: page changed");
            changed.push(rel);
        }
        if changed.is_empty() && !eval_all {
            return r;
        }
        let files = changed.len();
        let fast_ok = self.dirty.is_empty() && !self.full_pending;
        self.dirty.extend(changed.iter().cloned());
        if !self.broken.is_empty() {
            self.hold(files, &mut r);
            return r;
        }

        // The graph: patch in place when structure is unchanged, add new theses in place, else
        // rebuild.
        let mut graph = "unchanged";
        let patched = if changed.is_empty() && !self.full_pending {
            Some(Vec::new())
        } else if fast_ok {
            graph = "patched";
            self.patch(&changed, &old_pages).or_else(|| {
                graph = "added";
                self.add_pages(&changed, &old_pages)
            })
        } else {
            None
        };
        let (chosen, full) = match patched {
            Some(seeds) => {
                tracing::debug!(seeds = seeds.len(), graph, "watch: graph updated in place");
                (downstream_theses(&self.repo.graph, &seeds), false)
            }
            None => match self.rebuild(&mut r) {
                Some(t) => {
                    graph = "rebuilt";
                    t
                }
                None => {
                    self.hold(files, &mut r);
                    return r;
                }
            },
        };
        let full = full || eval_all;
        let evaluated = if full {
            self.full_pending = false;
            let eval = eval::evaluate(&self.repo, &self.lock);
            let n = eval.verdicts.len();
            self.settle(eval.verdicts, true, &mut r);
            n
        } else {
            let set: HashSet<NodeIx> = chosen.into_iter().collect();
            let eval = if set.is_empty() {
                Evaluation::default()
            } else {
                let g = &self.repo.graph;
                let verdicts = &self.verdicts;
                let known = |ix: NodeIx| verdicts.get(&g.node(ix).key).map(|v| v.status);
                eval::evaluate_known(&self.repo, &self.lock, Some(&set), &known)
            };
            let n = eval.verdicts.len();
            self.settle(eval.verdicts, false, &mut r);
            n
        };
        self.dirty.clear();
        r.batch = Some(BatchSummary {
            files,
            graph,
            theses: Some(evaluated),
            full,
        });
        r
    }

    /// Evaluation is held back: the last good graph and verdicts stay.
    fn hold(&mut self, files: usize, r: &mut Report) {
        self.held_back = true;
        r.held = Some(Held::Kept {
            pages: self.broken.len(),
        });
        r.batch = Some(BatchSummary {
            files,
            graph: "kept",
            theses: None,
            full: false,
        });
    }

    /// Patches node states in place when no changed page changed its structure. Returns the
    /// nodes whose state changed, or `None` when a rebuild is needed.
    fn patch(
        &mut self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
    ) -> Option<Vec<NodeIx>> {
        let mut plan: Vec<(usize, Graph)> = Vec::new();
        for rel in changed {
            let old = old_pages.get(rel)?.as_ref()?;
            let i = self
                .repo
                .pages
                .binary_search_by(|p| p.path.as_path().cmp(rel))
                .ok()?;
            let new = &self.repo.pages[i];
            if !same_structure(old, new) {
                return None;
            }
            let (og, ng) = (page_nodes(old)?, page_nodes(new)?);
            let keys = |g: &Graph| {
                g.nodes()
                    .map(|(_, n)| (n.key.clone(), n.kind))
                    .collect::<Vec<_>>()
            };
            if keys(&og) != keys(&ng) {
                return None;
            }
            // Every node must be in the graph already (a page left out as a duplicate is not).
            if ng
                .nodes()
                .any(|(_, n)| self.repo.graph.get(&n.key).is_none())
            {
                return None;
            }
            plan.push((i, ng));
        }
        let mut seeds = Vec::new();
        for (i, ng) in plan {
            for (_, n) in ng.nodes() {
                let Some(ix) = self.repo.graph.get(&n.key) else {
                    continue;
                };
                let node = self.repo.graph.node_mut(ix);
                let mut state = n.state.clone();
                // Sources come from links, which are unchanged: keep the resolved ones.
                match (&mut state, &node.state) {
                    (MaterialState::Claim(new), MaterialState::Claim(old)) => {
                        new.sources = old.sources.clone();
                    }
                    (
                        MaterialState::Benchmark { sources, .. },
                        MaterialState::Benchmark { sources: old, .. },
                    ) => *sources = old.clone(),
                    _ => {}
                }
                node.loc = Loc {
                    file: i as u32,
                    ..n.loc
                };
                // A changed thesis page is always looked at again: its warning block may
                // have been edited by hand.
                if !same_state(&node.state, &state) || node.kind == NodeKind::Thesis {
                    node.state = state;
                    seeds.push(ix);
                }
            }
        }
        let g = &self.repo.graph;
        let keys: Vec<&str> = seeds.iter().map(|&ix| g.node(ix).key.as_str()).collect();
        let more = self.baseline_theses(keys);
        seeds.extend(more);
        Some(seeds)
    }

    /// Adds new thesis and note pages to the graph in place, when they take no id or title
    /// another page has (so no link elsewhere changes target), hold no claims or rows, and every
    /// link they make lands on an existing node. Returns the new thesis nodes, or `None` when a
    /// rebuild is needed (nothing is changed then).
    fn add_pages(
        &mut self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
    ) -> Option<Vec<NodeIx>> {
        let pages = &self.repo.pages;
        let mut added: Vec<usize> = Vec::new();
        for rel in changed {
            if old_pages.get(rel)?.is_some() {
                return None;
            }
            let i = pages.binary_search_by(|p| p.path.as_path().cmp(rel)).ok()?;
            let p = &pages[i];
            let simple = matches!(p.kind, PageKind::Thesis | PageKind::Note)
                && p.claims.is_empty()
                && p.rows.is_empty()
                && p.part_of.is_empty();
            if !simple {
                return None;
            }
            added.push(i);
        }
        added.sort_unstable();
        // Names the new pages take must be nobody else's id or title.
        let mut names: HashMap<String, usize> = HashMap::new();
        for &i in &added {
            let p = &pages[i];
            for n in std::iter::once(p.id.to_lowercase())
                .chain(p.title.as_deref().map(str::to_lowercase))
            {
                if names.insert(n, i).is_some_and(|j| j != i) {
                    return None;
                }
            }
        }
        // A thesis's link that dangled may land on a new page now: left to a rebuild.
        for &i in &added {
            if let Some(stem) = pages[i].path.file_stem() {
                names.insert(stem.to_string_lossy().to_lowercase(), i);
            }
        }
        if self
            .dangling_all
            .iter()
            .any(|d| names.contains_key(page_part(&d.key)))
        {
            return None;
        }
        for (j, p) in pages.iter().enumerate() {
            let clash = |n: &str| names.get(n).is_some_and(|&i| i != j);
            if clash(&p.id.to_lowercase())
                || p.title.as_deref().is_some_and(|t| clash(&t.to_lowercase()))
            {
                return None;
            }
        }
        let mut scratch = Vec::new();
        let (index, _) = resolve::Index::new(pages, &mut scratch);
        if !scratch.is_empty() {
            return None;
        }
        let g = &self.repo.graph;
        let mut plan: Vec<(usize, Vec<(NodeIx, Loc)>)> = Vec::new();
        for &i in &added {
            let p = &pages[i];
            if p.kind != PageKind::Thesis {
                continue;
            }
            if g.get(&resolve::page_key(p)).is_some() {
                return None;
            }
            let mut dangling = Vec::new();
            let deps =
                resolve::thesis_dependencies(&index, pages, g, i, &mut scratch, &mut dangling);
            // A link that lands nowhere, or on another new page, is left to a rebuild.
            if !scratch.is_empty() || !dangling.is_empty() {
                return None;
            }
            if deps.iter().any(|&(j, _, _)| j != i && added.contains(&j)) {
                return None;
            }
            plan.push((i, deps.into_iter().map(|(_, ix, loc)| (ix, loc)).collect()));
        }

        // Commit: shift the page numbers of existing nodes, then add the theses.
        let thresholds: Vec<u32> = added
            .iter()
            .enumerate()
            .map(|(m, &i)| (i - m) as u32)
            .collect();
        let g = &mut self.repo.graph;
        for k in 0..g.len() {
            let node = g.node_mut(NodeIx::new(k));
            let shift = thresholds.partition_point(|&t| t <= node.loc.file) as u32;
            node.loc.file += shift;
        }
        for &i in &added {
            self.graph_files.insert(i, self.repo.pages[i].path.clone());
        }
        let mut seeds = Vec::new();
        for (i, edges) in plan {
            let p = &self.repo.pages[i];
            let me = g
                .add_node(Node {
                    key: resolve::page_key(p),
                    kind: NodeKind::Thesis,
                    loc: Loc {
                        file: i as u32,
                        line: p.head.line,
                        col: p.head.col,
                    },
                    state: MaterialState::Thesis {
                        score: p.score.unwrap_or(f64::NAN),
                    },
                })
                .ok()?;
            for (from, loc) in edges {
                if from == me {
                    continue;
                }
                let kind = if g.node(from).kind == NodeKind::Thesis {
                    EdgeKind::BuildsOn
                } else {
                    EdgeKind::Evidence
                };
                g.add_edge(from, me, Edge { kind, loc });
            }
            seeds.push(me);
        }
        let keys: Vec<String> = seeds.iter().map(|&t| g.node(t).key.clone()).collect();
        seeds.extend(self.baseline_theses(keys.iter().map(String::as_str)));
        tracing::debug!(pages = added.len(), "watch: pages added in place");
        Some(seeds)
    }

    /// Rebuilds the graph from the kept pages. Returns the theses to evaluate and whether all
    /// of them must be, or `None` when the new graph has errors (the old one is kept).
    fn rebuild(&mut self, r: &mut Report) -> Option<(Vec<NodeIx>, bool)> {
        let mut diags = Vec::new();
        // Only called with no broken page, so no link lands on a page that failed to parse.
        let (graph, dangling_all) = resolve::build_parts(&self.repo.pages, &[], &mut diags);
        let dangling = load::settle(dangling_all.clone(), &self.lock, &mut diags);
        tracing::debug!(nodes = graph.len(), "watch: graph rebuilt");
        r.diags.extend(
            diags
                .iter()
                .filter(|d| !self.shown.contains(&diag_id(d)))
                .cloned(),
        );
        self.shown = diags.iter().map(diag_id).collect();
        if diags.iter().any(Diagnostic::is_error) {
            // Keep the last good graph; the next good batch must look at everything.
            self.full_pending = true;
            return None;
        }
        let old = std::mem::replace(&mut self.repo.graph, graph);
        let old_files = std::mem::replace(&mut self.graph_files, graph_files(&self.repo.pages));
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        self.dangling_all = dangling_all;
        if self.full_pending {
            self.forget_gone_theses();
            return Some((Vec::new(), true));
        }
        let g = &self.repo.graph;
        let dirty_ix: HashSet<u32> = self
            .graph_files
            .iter()
            .enumerate()
            .filter(|(_, p)| self.dirty.contains(*p))
            .map(|(i, _)| i as u32)
            .collect();
        let old_dirty: HashSet<u32> = old_files
            .iter()
            .enumerate()
            .filter(|(_, p)| self.dirty.contains(*p))
            .map(|(i, _)| i as u32)
            .collect();
        // Keys that came or went, and those of changed pages: a thesis whose baseline names
        // one is evaluated again even when no edge leads to it (a dependency it unlinked that
        // is now gone, or a renamed claim paired with its old self).
        let mut touched: HashSet<&str> = HashSet::new();
        // New side: nodes of changed pages, new nodes, nodes whose state moved.
        let mut seeds_new = Vec::new();
        for (ix, n) in g.nodes() {
            let moved = match old.get(&n.key) {
                None => {
                    touched.insert(&n.key);
                    true
                }
                Some(o) => {
                    let on = old.node(o);
                    on.kind != n.kind || !same_state(&on.state, &n.state)
                }
            };
            if dirty_ix.contains(&n.loc.file) {
                touched.insert(&n.key);
            }
            if moved || dirty_ix.contains(&n.loc.file) {
                seeds_new.push(ix);
            }
        }
        // Old side: nodes of changed pages and removed nodes, for theses that depended on them.
        let mut seeds_old = Vec::new();
        for (ix, n) in old.nodes() {
            if old_dirty.contains(&n.loc.file) || g.get(&n.key).is_none() {
                touched.insert(&n.key);
                seeds_old.push(ix);
            }
        }
        seeds_new.extend(self.baseline_theses(touched));
        let mut chosen = downstream_theses(g, &seeds_new);
        for t in downstream_theses(&old, &seeds_old) {
            if let Some(ix) = g.get(&old.node(t).key) {
                chosen.push(ix);
            }
        }
        self.forget_gone_theses();
        Some((chosen, false))
    }

    /// Sorts the theses' links to missing anchors or pages again by the current lock: an
    /// accept can make a withdrawn error an error again, or withdraw one. Returns whether the
    /// graph is still free of errors.
    fn resettle(&mut self) -> bool {
        for d in &self.dangling_all {
            if !self.repo.diags.contains(&d.diag) {
                self.repo.diags.push(d.diag.clone());
            }
        }
        self.repo.dangling =
            load::settle(self.dangling_all.clone(), &self.lock, &mut self.repo.diags);
        self.graph_ok()
    }

    /// The theses whose baseline names something on the pages of `keys`.
    fn baseline_theses<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Vec<NodeIx> {
        let g = &self.repo.graph;
        let pages: BTreeSet<&str> = keys.into_iter().map(page_part).collect();
        pages
            .into_iter()
            .filter_map(|p| self.by_page.get(p))
            .flatten()
            .filter_map(|t| g.get(t))
            .filter(|&ix| g.node(ix).kind == NodeKind::Thesis)
            .collect()
    }

    fn forget_gone_theses(&mut self) {
        let g = &self.repo.graph;
        self.verdicts.retain(|k, _| {
            g.get(k)
                .is_some_and(|ix| g.node(ix).kind == NodeKind::Thesis)
        });
    }

    /// Reloads everything (settings, rules, every page) from disk after a settings change or
    /// an overflowed event queue, with the lock as it is now.
    pub fn reload(&mut self, lock: Option<Lock>, paths: usize) -> Report {
        tracing::debug!("watch: full reload");
        let mut r = Report::default();
        let loaded = match load_tracked(&self.repo.root) {
            Ok(l) => l,
            Err(diags) => {
                r.diags = diags;
                self.reload_pending = true;
                self.hold(paths, &mut r);
                return r;
            }
        };
        self.reload_pending = false;
        if let Some(l) = lock {
            self.lock = l;
            self.by_page = baseline_index(&self.lock);
        }
        let Loaded { mut repo, files } = loaded;
        let dangling_all = repo.dangling.clone();
        repo.settle_dangling(&self.lock);
        // Diagnostics of files that changed (or appeared) since they were last read.
        r.diags.extend(
            files
                .iter()
                .filter(|(p, f)| self.files.get(*p).is_none_or(|old| old.hash != f.hash))
                .flat_map(|(_, f)| f.diags.clone()),
        );
        self.set_files(files);
        let Repo {
            config,
            rules,
            pages,
            graph,
            diags,
            dangling,
            ..
        } = repo;
        self.repo.config = config;
        self.repo.rules = rules;
        self.repo.pages = pages;
        self.full_pending = true;
        self.dirty.clear();
        r.diags.extend(
            diags
                .iter()
                .filter(|d| !self.shown.contains(&diag_id(d)))
                .cloned(),
        );
        self.shown = diags.iter().map(diag_id).collect();
        if !self.broken.is_empty() || diags.iter().any(Diagnostic::is_error) {
            // Keep the last good graph until the new pages prove good.
            self.hold(paths, &mut r);
            return r;
        }
        self.repo.graph = graph;
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        self.dangling_all = dangling_all;
        self.graph_files = graph_files(&self.repo.pages);
        self.full_pending = false;
        let eval = eval::evaluate(&self.repo, &self.lock);
        let n = eval.verdicts.len();
        self.settle(eval.verdicts, true, &mut r);
        r.batch = Some(BatchSummary {
            files: paths,
            graph: "reloaded",
            theses: Some(n),
            full: true,
        });
        r
    }

    /// Records the verdicts that changed as flags and remembers every verdict. With `all`,
    /// `verdicts` is every thesis and theses missing from it are forgotten.
    fn settle(&mut self, verdicts: Vec<Verdict>, all: bool, r: &mut Report) {
        r.fixed = std::mem::take(&mut self.held_back);
        if all {
            let keep: HashSet<&str> = verdicts.iter().map(|v| v.thesis.as_str()).collect();
            self.verdicts.retain(|k, _| keep.contains(k.as_str()));
        }
        for v in &verdicts {
            let flag_changed = match self.verdicts.get(&v.thesis) {
                None => v.status != Status::Clean,
                Some(p) => {
                    p.status != v.status
                        || (v.status == Status::Stale && p.causes != v.causes)
                        || (v.status == Status::Pending && p.waiting_on != v.waiting_on)
                }
            };
            if flag_changed {
                r.flags.push(v.clone());
            }
        }
        for v in &verdicts {
            self.verdicts.insert(v.thesis.clone(), v.clone());
        }
        r.evaluated = verdicts;
    }

    /// Remembers a page the watcher wrote: its event will hash the same and be dropped.
    pub fn wrote(&mut self, rel: &Path, text: &str) {
        let cx = ParseContext {
            folders: &self.repo.config.folders,
            scale: &self.repo.rules.scale,
        };
        if let Some(f) = self.files.get_mut(rel) {
            f.hash = blake3::hash(text.as_bytes());
        }
        // Re-parse so positions below the block stay right; the block is not material.
        if let (Some(p), _) = page::parse(rel, text, &cx) {
            if let Ok(i) = self
                .repo
                .pages
                .binary_search_by(|q| q.path.as_path().cmp(rel))
            {
                self.repo.pages[i] = p;
            }
        }
    }
}
