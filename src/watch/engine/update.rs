//! How a batch reaches the graph, cheapest first: node states patched in place, new theses
//! added in place, or the graph rebuilt from the kept pages; and which theses that reaches.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use rescore_graph::propagate::downstream_theses;
use rescore_graph::{Edge, EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind};

use crate::load;
use crate::page::{Page, PageKind};
use crate::resolve;

use super::{announce, known_key, make_room, mentions, page_part, Engine, Report, TreeMemo};
use crate::diag::Diagnostic;

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
        && a.depends_on() == b.depends_on()
        && claims(a) == claims(b)
        && rows(a) == rows(b)
        && a.links.same_targets(&b.links)
}

/// The nodes a page makes on its own (keys, kinds, states without cross-page sources).
pub(super) fn page_nodes(p: &Page) -> Option<Graph> {
    let mut diags = Vec::new();
    let g = resolve::build(std::slice::from_ref(p), &mut diags);
    // Duplicate anchors within the page are an error: leave them to a full rebuild.
    (!diags.iter().any(|d| d.code == "duplicate-anchor")).then_some(g)
}

/// A thesis page's number, the edges its links make (from, where written), and its links that
/// land nowhere.
type ThesisEdges = (usize, Vec<(NodeIx, Loc)>, Vec<resolve::Dangling>);

impl Engine {
    /// Patches node states in place when no changed page changed its structure. Returns the
    /// nodes whose state changed, or `None` when a rebuild is needed.
    pub(super) fn patch(
        &mut self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
    ) -> Option<Vec<NodeIx>> {
        let mut plan: Vec<(usize, Graph)> = Vec::new();
        for rel in changed {
            let old = old_pages.get(rel)?.as_ref()?;
            let i = self.repo.page_slot(rel)?;
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
            let file = self.repo.number_of(i);
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
                node.loc = Loc { file, ..n.loc };
                // A changed thesis page is always looked at again: its warning block may
                // have been edited by hand.
                let moved = !same_state(&node.state, &state);
                if moved || node.kind == NodeKind::Thesis {
                    node.state = state;
                    seeds.push(ix);
                }
                if moved {
                    self.memo.changed(&self.repo.graph, ix);
                }
            }
        }
        let g = &self.repo.graph;
        let keys: Vec<&str> = seeds.iter().map(|&ix| g.node(ix).key.as_str()).collect();
        let more = self.baseline_theses(keys);
        seeds.extend(more);
        Some(seeds)
    }

    /// The resolver's index over the current pages, built when the last one went stale; the
    /// caller puts it back. `None` when the pages have duplicate ids (a graph with errors).
    pub(super) fn fresh_index(&mut self) {
        let mut scratch = Vec::new();
        let (index, _) = resolve::Index::new(&self.repo.pages, &mut scratch);
        self.index = scratch.is_empty().then_some(index);
    }

    fn take_index(&mut self) -> Option<resolve::Index> {
        if let Some(index) = self.index.take() {
            return Some(index);
        }
        let mut scratch = Vec::new();
        let (index, _) = resolve::Index::new(&self.repo.pages, &mut scratch);
        scratch.is_empty().then_some(index)
    }

    /// The dependencies of the theses among `pages` (page numbers), each resolved without an
    /// error and landing outside `pages`; `None` when one is not.
    fn thesis_plan(&self, index: &resolve::Index, pages: &[usize]) -> Option<Vec<ThesisEdges>> {
        let all = &self.repo.pages;
        let g = &self.repo.graph;
        let mut plan = Vec::new();
        for &i in pages {
            if all[i].kind != PageKind::Thesis {
                continue;
            }
            let mut diags = Vec::new();
            let mut dangling = Vec::new();
            let file = self.repo.number_of(i);
            let deps =
                resolve::thesis_dependencies(index, all, g, (i, file), &mut diags, &mut dangling);
            if !diags.is_empty() || deps.iter().any(|&(j, _, _)| j != i && pages.contains(&j)) {
                return None;
            }
            let edges = deps.into_iter().map(|(_, ix, loc)| (ix, loc)).collect();
            plan.push((i, edges, dangling));
        }
        Some(plan)
    }

    /// Replaces in place the edges of changed thesis pages that keep their names and hold no
    /// claims or rows (a changed link, a changed score): every edge into a thesis node is one of
    /// its own links, so removing them and resolving its links again is the whole update.
    /// Returns the changed theses, or `None` when another tier must do it (nothing is changed
    /// then).
    pub(super) fn relink(
        &mut self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
        r: &mut Report,
    ) -> Option<Vec<NodeIx>> {
        let mut at = Vec::new();
        for rel in changed {
            let old = old_pages.get(rel)?.as_ref()?;
            let i = self.repo.page_slot(rel)?;
            let new = &self.repo.pages[i];
            let bare = |p: &Page| {
                p.kind == PageKind::Thesis
                    && p.claims.is_empty()
                    && p.rows.is_empty()
                    && p.part_of.is_empty()
            };
            if !bare(old) || !bare(new) || !super::same_names(old, new) {
                return None;
            }
            self.repo.graph.get(&resolve::page_key(new))?;
            at.push(i);
        }
        let index = self.take_index()?;
        let plan = self.thesis_plan(&index, &at);
        self.index = Some(index);
        let plan = plan?;
        // A builds_on edge from a thesis downstream of this one would close a cycle.
        let g = &self.repo.graph;
        for (i, edges, _) in &plan {
            let me = g.get(&resolve::page_key(&self.repo.pages[*i]))?;
            let below: HashSet<NodeIx> = rescore_graph::propagate::within(g, me, true, None)
                .into_iter()
                .collect();
            if edges
                .iter()
                .any(|(from, _)| *from != me && below.contains(from))
            {
                return None;
            }
        }

        // Commit.
        let mut seeds = Vec::new();
        for (i, edges, dangling) in plan {
            let file = self.repo.number_of(i);
            let p = &self.repo.pages[i];
            let key = resolve::page_key(p);
            let g = &mut self.repo.graph;
            let Some(me) = g.get(&key) else { continue };
            g.remove_incoming(me);
            let node = g.node_mut(me);
            node.state = MaterialState::Thesis {
                score: p.score().unwrap_or(f64::NAN),
            };
            node.loc = Loc {
                file,
                line: p.head.line,
                col: p.head.col,
            };
            add_thesis_edges(g, me, edges);
            self.memo.changed(g, me);
            // Its links that land nowhere replace the ones it had.
            let gone: Vec<Diagnostic> = self
                .dangling_all
                .iter()
                .filter(|d| d.thesis == key)
                .map(|d| d.diag.clone())
                .collect();
            self.repo.diags.retain(|d| !gone.contains(d));
            self.dangling_all.retain(|d| d.thesis != key);
            self.dangling_all.extend(dangling);
            seeds.push(me);
        }
        let ok = self.resettle();
        announce(&mut self.shown, &self.repo.diags, &mut r.diags);
        if !ok {
            // The graph is up to date with a link error: `apply` holds evaluation back.
            tracing::debug!("watch: relinked graph has link errors");
        }
        let keys: Vec<String> = seeds
            .iter()
            .map(|&t| self.repo.graph.node(t).key.clone())
            .collect();
        seeds.extend(self.baseline_theses(keys.iter().map(String::as_str)));
        tracing::debug!(pages = seeds.len(), "watch: thesis links replaced in place");
        Some(seeds)
    }

    /// Adds new thesis and note pages to the graph in place, when they take no id or title
    /// another page has (so no link elsewhere changes target), hold no claims or rows, and every
    /// link they make lands on an existing node. Returns the new thesis nodes, or `None` when a
    /// rebuild is needed (nothing is changed then).
    pub(super) fn add_pages(
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
            let i = self.repo.page_slot(rel)?;
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
        // In path order, as a fresh load adds them.
        added.sort_unstable_by(|&a, &b| pages[a].path.cmp(&pages[b].path));
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
        // No other page bears one of those names as its id or title: the name's bearers are
        // the new page itself, if it bears it, and nobody else.
        for (n, &i) in &names {
            let own = mentions::borne(&pages[i]).contains(n);
            if self.mentions.bearers(n) > u32::from(own) {
                return None;
            }
        }
        let g = &self.repo.graph;
        if added
            .iter()
            .any(|&i| g.get(&resolve::page_key(&self.repo.pages[i])).is_some())
        {
            return None;
        }
        let index = self.take_index()?;
        let plan = self.thesis_plan(&index, &added);
        self.index = Some(index);
        // A link of a new thesis that lands nowhere is left to a rebuild.
        let plan = plan.filter(|plan| plan.iter().all(|(_, _, dangling)| dangling.is_empty()))?;

        // Commit: add the theses (the other pages keep their numbers, `Repo::insert_page`).
        let mut seeds = Vec::new();
        for (i, edges, _) in plan {
            let file = self.repo.number_of(i);
            let p = &self.repo.pages[i];
            let g = &mut self.repo.graph;
            let me = g
                .add_node(Node {
                    key: resolve::page_key(p),
                    kind: NodeKind::Thesis,
                    loc: Loc {
                        file,
                        line: p.head.line,
                        col: p.head.col,
                    },
                    state: MaterialState::Thesis {
                        score: p.score().unwrap_or(f64::NAN),
                    },
                })
                .ok()?;
            add_thesis_edges(g, me, edges);
            seeds.push(me);
        }
        let g = &self.repo.graph;
        self.memo.fit(g);
        let keys: Vec<String> = seeds.iter().map(|&t| g.node(t).key.clone()).collect();
        seeds.extend(self.baseline_theses(keys.iter().map(String::as_str)));
        tracing::debug!(pages = added.len(), "watch: pages added in place");
        Some(seeds)
    }

    /// Rebuilds the graph from the kept pages. Returns the theses to evaluate and whether all
    /// of them must be, or `None` when the new graph has errors (the old one is kept).
    pub(super) fn rebuild(&mut self, r: &mut Report) -> Option<(Vec<NodeIx>, bool)> {
        // Built from the pages in path order, as a fresh load builds it; the index, if kept,
        // is built anew with the graph.
        self.restore_material();
        if self.repo.sort_pages() {
            self.index = None;
        }
        let mut diags = Vec::new();
        // Only called with no broken page, so no link lands on a page that failed to parse.
        let (graph, dangling_all) =
            resolve::build_parts_moving(&mut self.repo.pages, &[], &mut diags);
        let known = |key: &str| known_key(&self.by_page, &self.lock, key);
        let dangling = load::settle_by(dangling_all.clone(), &known, &mut diags);
        tracing::debug!(nodes = graph.len(), "watch: graph rebuilt");
        announce(&mut self.shown, &diags, &mut r.diags);
        if diags.iter().any(Diagnostic::is_error) {
            // Keep the last good graph, and the pages whole; the next good batch must look at
            // everything.
            let by_place: Vec<u32> = (0..self.repo.pages.len() as u32).collect();
            resolve::restore_material(&mut self.repo.pages, &by_place, &graph);
            self.full_pending = true;
            return None;
        }
        self.memo = TreeMemo::blank(&graph);
        let old = std::mem::replace(&mut self.repo.graph, graph);
        // The old graph's page numbers; the new one numbers the pages by place.
        let old_numbers = self.repo.renumber();
        make_room(&mut self.repo.pages, &mut self.repo.graph);
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        self.dangling_all = dangling_all;
        self.fresh_index();
        if self.full_pending {
            self.forget_gone_theses();
            return Some((Vec::new(), true));
        }
        let g = &self.repo.graph;
        let pages = &self.repo.pages;
        let dirty_at = |at: usize| self.dirty.contains(&*pages[at].path);
        let dirty_ix: HashSet<u32> = (0..pages.len())
            .filter(|&at| dirty_at(at))
            .map(|at| at as u32)
            .collect();
        // A page that left since the old graph was numbered is among the changed ones.
        let old_dirty = |file: u32| match &old_numbers {
            None => (file as usize) < pages.len() && dirty_at(file as usize),
            Some(n) => n.place(file).is_none_or(dirty_at),
        };
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
            if old_dirty(n.loc.file) || g.get(&n.key).is_none() {
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

    /// Puts back into the pages the material the graph holds for them, before the graph is
    /// built anew. A page some of whose material the graph does not hold (which the engine
    /// never leaves) is read from disk again rather than built short.
    fn restore_material(&mut self) {
        let numbers: Vec<u32> = (0..self.repo.pages.len())
            .map(|at| self.repo.number_of(at))
            .collect();
        let short = resolve::restore_material(&mut self.repo.pages, &numbers, &self.repo.graph);
        for at in short {
            let rel = self.repo.pages[at].path.clone();
            tracing::warn!(path = %rel.display(), "watch: page material lost: read again");
            let cx = crate::page::ParseContext {
                folders: &self.repo.config.folders,
                scale: &self.repo.rules.scale,
            };
            let read = std::fs::read(self.repo.root.join(&rel));
            if let Ok(load::Parsed { page: Some(p), .. }) =
                read.map(|bytes| load::parse_file(&rel, &bytes, &cx))
            {
                self.repo.pages[at] = p;
            }
        }
    }

    /// Drops from the changed pages the material their nodes now hold (see
    /// `resolve::shed_material`).
    pub(super) fn shed_material(&mut self, changed: &[PathBuf]) {
        for rel in changed {
            if let Some(at) = self.repo.page_slot(rel) {
                let file = self.repo.number_of(at);
                resolve::shed_material(&mut self.repo.pages[at], file, &self.repo.graph);
            }
        }
    }

    /// Sorts the theses' links to missing anchors or pages again by the current lock: an
    /// accept can make a withdrawn error an error again, or withdraw one. Returns whether the
    /// graph is still free of errors.
    pub(super) fn resettle(&mut self) -> bool {
        for d in &self.dangling_all {
            if !self.repo.diags.contains(&d.diag) {
                self.repo.diags.push(d.diag.clone());
            }
        }
        let known = |key: &str| known_key(&self.by_page, &self.lock, key);
        self.repo.dangling =
            load::settle_by(self.dangling_all.clone(), &known, &mut self.repo.diags);
        self.graph_ok()
    }

    /// The theses whose baseline names something on the pages of `keys`, or that have a link
    /// to a missing anchor or page there (evaluation pairs it with a renamed claim).
    pub(super) fn baseline_theses<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Vec<NodeIx> {
        let g = &self.repo.graph;
        let pages: BTreeSet<&str> = keys.into_iter().map(page_part).collect();
        let dangling = self
            .dangling_all
            .iter()
            .filter(|d| pages.contains(page_part(&d.key)))
            .map(|d| &d.thesis);
        pages
            .iter()
            .flat_map(|p| self.by_page.of(p))
            .chain(dangling)
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
}

/// A thesis's edges from what it rests on: a thesis it builds on, or evidence (a link to
/// itself is no edge).
fn add_thesis_edges(g: &mut Graph, me: NodeIx, edges: impl IntoIterator<Item = (NodeIx, Loc)>) {
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
}
