//! The splice tier: pages of any kind added, removed, or changed in structure (claims added or
//! renamed, a concept's links changed), done in place. The changed pages' nodes whose keys are
//! gone are removed, new ones added, kept ones given their new states; then the edges of the
//! changed pages — and of the pages that name one of them, when what it is known by changed —
//! are built again by the resolver's own `resolve::page_edges`. Nothing else is looked at, so
//! the cost follows the pages named and naming, not the repo.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rescore_graph::propagate::downstream_theses;
use rescore_graph::{EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind};

use crate::diag::Code;
use crate::page::{Page, PageKind};
use crate::resolve::{self, EdgeContext, PageEdges, PageNumbers};

use super::update::page_nodes;
use super::{announce, same_names, Engine, Report};

/// The errors `resolve::page_edges` finds in one page's links alone: a splice keeps them in
/// the graph's diagnostics, page by page, as a rebuild would find them.
const LINK_ERRORS: [Code; 3] = [Code::LinkToNoPage, Code::AnchorToNoClaim, Code::BadPartOf];

/// How a splice ended.
pub(super) enum Spliced {
    /// Not for this tier; nothing was changed.
    Declined,
    /// The graph was changed and then found wrong (an error, a cycle): it must be built anew.
    Spoilt,
    /// Done: the nodes to look downstream of. The graph may have link errors now; it is
    /// what a rebuild would make all the same.
    Done(Vec<NodeIx>),
}

/// One changed page: its place in the page list now (when it is a page), its node keys and
/// kinds before, and its nodes now (page node first, then claims, then rows).
struct Change {
    path: PathBuf,
    new_file: Option<usize>,
    old_keys: Vec<(String, NodeKind)>,
    new_nodes: Vec<Node>,
    /// What names it, or what it names, may have changed: the pages that name it are redone.
    renamed: bool,
}

/// A page's nodes in the graph: page node, claim nodes, row nodes.
type PageIxs = (Option<NodeIx>, Vec<Option<NodeIx>>, Vec<Option<NodeIx>>);

/// The page-by-place tables `resolve::page_edges` reads, kept from splice to splice: made
/// afresh, they would be a few MB to allocate and fill for every page added or removed (at
/// 100k pages), where a splice sets a few entries.
#[derive(Default)]
pub(super) struct EdgeTables {
    page_node: Vec<Option<NodeIx>>,
    claim_nodes: Vec<Vec<Option<NodeIx>>>,
    row_nodes: Vec<Vec<Option<NodeIx>>>,
    /// Every page is live: the engine splices only a graph without duplicate ids.
    live: Vec<bool>,
    /// The places set by the last splice.
    set: Vec<usize>,
}

impl EdgeTables {
    /// Blank tables for `n` pages.
    fn blank(&mut self, n: usize) {
        for i in std::mem::take(&mut self.set) {
            if i < self.page_node.len() {
                self.page_node[i] = None;
                self.claim_nodes[i] = Vec::new();
                self.row_nodes[i] = Vec::new();
            }
        }
        self.page_node.resize(n, None);
        self.claim_nodes.resize(n, Vec::new());
        self.row_nodes.resize(n, Vec::new());
        self.live.resize(n, true);
    }
}

fn keys(g: &Graph) -> Vec<(String, NodeKind)> {
    g.nodes().map(|(_, n)| (n.key.clone(), n.kind)).collect()
}

/// The nodes of `p` alone, or `None` when they are not one per claim and row.
fn own_nodes(p: &Page) -> Option<Graph> {
    let g = page_nodes(p)?;
    let expected = match p.kind {
        PageKind::Note => 0,
        _ => 1 + p.claims.len() + p.rows.len(),
    };
    (g.len() == expected).then_some(g)
}

/// Finds the nodes of page `p` in `g` by their keys, in page-node, claims, rows order.
fn find_nodes(g: &Graph, p: &Page) -> Option<PageIxs> {
    if p.kind == PageKind::Note {
        return Some((None, Vec::new(), Vec::new()));
    }
    let me = g.get(&resolve::page_key(p));
    if p.claims.is_empty() && p.rows.is_empty() {
        return Some((me, Vec::new(), Vec::new()));
    }
    let own = own_nodes(p)?;
    let ixs: Vec<Option<NodeIx>> = own.nodes().map(|(_, n)| g.get(&n.key)).collect();
    let claims = ixs[1..1 + p.claims.len()].to_vec();
    let rows = ixs[1 + p.claims.len()..].to_vec();
    Some((me, claims, rows))
}

/// Whether `to` reaches `from` over propagating edges, so an edge `from → to` closes a cycle.
fn reaches(g: &Graph, to: NodeIx, from: NodeIx) -> bool {
    let mut seen = HashSet::from([to]);
    let mut stack = vec![to];
    while let Some(ix) = stack.pop() {
        if ix == from {
            return true;
        }
        for (next, e) in g.outgoing(ix) {
            if e.kind.propagates() && seen.insert(next) {
                stack.push(next);
            }
        }
    }
    false
}

impl Engine {
    /// Splices the changed pages into the graph; see the module doc. `names_exact`: the name
    /// index was kept in step through the batch, so no name changed hands.
    pub(super) fn splice(
        &mut self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
        names_exact: bool,
        r: &mut Report,
    ) -> Spliced {
        if self.full_pending || !names_exact {
            // An earlier tier left the graph to be built anew, or a name changed hands.
            return Spliced::Declined;
        }
        let Some(index) = self.index.take() else {
            return Spliced::Declined;
        };
        let out = self.splice_with(&index, changed, old_pages, r);
        self.index = Some(index);
        out
    }

    fn plan(
        &self,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
    ) -> Option<Vec<Change>> {
        let g = &self.repo.graph;
        let mut plan = Vec::new();
        for rel in changed {
            let old = old_pages.get(rel)?.as_ref();
            let new_file = self.repo.page_slot(rel);
            let new = new_file.map(|i| &self.repo.pages[i]);
            let old_keys = match old {
                Some(o) => keys(&own_nodes(o)?),
                None => Vec::new(),
            };
            // The graph holds what the old version made (no duplicate left it out).
            if old_keys.iter().any(|(k, _)| g.get(k).is_none()) {
                return None;
            }
            let new_nodes: Vec<Node> = match new {
                Some(p) => {
                    let mut own = own_nodes(p)?;
                    let ixs: Vec<NodeIx> = own.nodes().map(|(ix, _)| ix).collect();
                    ixs.into_iter()
                        .map(|ix| {
                            let n = own.node_mut(ix);
                            Node {
                                key: std::mem::take(&mut n.key),
                                kind: n.kind,
                                loc: Loc {
                                    file: new_file.map_or(0, |i| self.repo.number_of(i)),
                                    ..n.loc
                                },
                                state: std::mem::replace(
                                    &mut n.state,
                                    MaterialState::Concept { status: None },
                                ),
                            }
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let new_keys: Vec<(String, NodeKind)> =
                new_nodes.iter().map(|n| (n.key.clone(), n.kind)).collect();
            let renamed = match (old, new) {
                (Some(o), Some(n)) => !same_names(o, n) || old_keys != new_keys,
                _ => true,
            };
            plan.push(Change {
                path: rel.clone(),
                new_file,
                old_keys,
                new_nodes,
                renamed,
            });
        }
        // A new key is free, or one of the changed pages had it.
        let was: HashMap<&str, NodeKind> = plan
            .iter()
            .flat_map(|c| c.old_keys.iter().map(|(k, kind)| (k.as_str(), *kind)))
            .collect();
        let mut new_keys = HashSet::new();
        for n in plan.iter().flat_map(|c| &c.new_nodes) {
            if !new_keys.insert(n.key.as_str()) {
                return None;
            }
            if g.get(&n.key).is_some() && !was.contains_key(n.key.as_str()) {
                return None;
            }
        }
        Some(plan)
    }

    fn splice_with(
        &mut self,
        index: &resolve::Index,
        changed: &[PathBuf],
        old_pages: &HashMap<PathBuf, Option<Page>>,
        r: &mut Report,
    ) -> Spliced {
        let Some(plan) = self.plan(changed, old_pages) else {
            return Spliced::Declined;
        };
        let pages = &self.repo.pages;
        let changed_at: HashSet<usize> = plan.iter().filter_map(|c| c.new_file).collect();
        // The pages that name a changed page whose names or anchors changed.
        let mut redo: Vec<usize> = changed_at.iter().copied().collect();
        for c in plan.iter().filter(|c| c.renamed) {
            let versions = [
                old_pages.get(&c.path).and_then(Option::as_ref),
                c.new_file.map(|i| &pages[i]),
            ];
            for p in versions.into_iter().flatten() {
                redo.extend(
                    self.mentions
                        .of(p)
                        .flat_map(|user| index.pages_by_path_hash(user)),
                );
            }
        }
        // In path order, as a fresh load finds their links' errors.
        redo.sort_unstable_by(|&a, &b| pages[a].path.cmp(&pages[b].path));
        redo.dedup();

        // Theses downstream of what the changed pages made, before it changes.
        let g = &self.repo.graph;
        let old_ixs: Vec<NodeIx> = plan
            .iter()
            .flat_map(|c| c.old_keys.iter().filter_map(|(k, _)| g.get(k)))
            .collect();
        let old_theses: Vec<String> = downstream_theses(g, &old_ixs)
            .into_iter()
            .map(|t| g.node(t).key.clone())
            .collect();
        let mut touched: HashSet<String> = plan
            .iter()
            .flat_map(|c| {
                c.old_keys
                    .iter()
                    .map(|(k, _)| k.clone())
                    .chain(c.new_nodes.iter().map(|n| n.key.clone()))
            })
            .collect();

        // Commit from here: a failure spoils the graph.
        let g = &mut self.repo.graph;
        let mut gone_theses = Vec::new();
        for c in &plan {
            let keep: HashMap<&str, NodeKind> = c
                .new_nodes
                .iter()
                .map(|n| (n.key.as_str(), n.kind))
                .collect();
            for (k, kind) in &c.old_keys {
                if keep.get(k.as_str()) != Some(kind) {
                    if let Some(ix) = g.get(k) {
                        // What it fed loses a child.
                        let fed: Vec<NodeIx> = g.outgoing(ix).map(|(m, _)| m).collect();
                        for m in fed {
                            self.memo.relinked(g, m);
                        }
                        if let Some((_, Some((from, to)))) = g.remove_node(ix) {
                            self.memo.moved(from, to);
                        }
                        self.memo.fit(g);
                    }
                    if *kind == NodeKind::Thesis {
                        gone_theses.push(k.clone());
                    }
                }
            }
        }
        // Nodes: new ones added, kept ones given their new state and place. The other pages'
        // nodes and edges keep their page numbers (`Repo::insert_page`).
        let mut seeds: Vec<NodeIx> = Vec::new();
        for c in plan {
            for n in c.new_nodes {
                match g.get(&n.key) {
                    Some(ix) => {
                        let node = g.node_mut(ix);
                        node.loc = n.loc;
                        node.state = n.state;
                        self.memo.changed(g, ix);
                        seeds.push(ix);
                    }
                    None => match g.add_node(n) {
                        Ok(ix) => {
                            self.memo.fit(g);
                            seeds.push(ix);
                        }
                        Err(_) => return Spliced::Spoilt,
                    },
                }
            }
        }

        // Edges: what each redone page made goes, and is made again.
        let t = &mut self.edge_tables;
        t.blank(pages.len());
        let mut redone: Vec<NodeIx> = Vec::new();
        for &i in &redo {
            let p = &pages[i];
            let Some((me, claims, rows)) = find_nodes(g, p) else {
                return Spliced::Spoilt;
            };
            if let Some(me) = me {
                g.remove_incoming_where(me, |e| {
                    !matches!(e.kind, EdgeKind::Related | EdgeKind::PartOf)
                });
                let parents: Vec<NodeIx> = g
                    .outgoing(me)
                    .filter(|(_, e)| e.kind == EdgeKind::PartOf)
                    .map(|(m, _)| m)
                    .collect();
                g.remove_outgoing_where(me, |e| {
                    matches!(e.kind, EdgeKind::Related | EdgeKind::PartOf)
                });
                for m in parents.into_iter().chain([me]) {
                    self.memo.relinked(g, m);
                }
                redone.push(me);
            }
            for ix in claims.iter().chain(&rows).flatten() {
                g.remove_incoming_where(*ix, |_| true);
                self.memo.relinked(g, *ix);
                redone.push(*ix);
            }
            t.page_node[i] = me;
            t.claim_nodes[i] = claims;
            t.row_nodes[i] = rows;
            t.set.push(i);
            // The source pages its bare source names may land on.
            for name in p.claims.iter().flat_map(|c| &c.bare_sources) {
                if let Some(j) = index.by_name(pages, name) {
                    if t.page_node[j].is_none() {
                        t.page_node[j] = g.get(&resolve::page_key(&pages[j]));
                        t.set.push(j);
                    }
                }
            }
        }
        let cx = EdgeContext {
            index,
            pages,
            live: &t.live,
            graph: g.node_view(),
            page_node: &t.page_node,
            claim_nodes: &t.claim_nodes,
            row_nodes: &t.row_nodes,
            numbers: self.repo.numbers.as_ref().map(PageNumbers::numbers),
            quick: None,
        };
        let found: Vec<PageEdges> = redo
            .par_iter()
            .map(|&i| resolve::page_edges(&cx, i))
            .collect();
        if found
            .iter()
            .flat_map(|f| &f.diags)
            .any(|d| !LINK_ERRORS.contains(&d.code))
        {
            return Spliced::Spoilt;
        }
        // The link errors of the redone pages and of the pages gone are replaced.
        let mut paths: HashSet<&Path> = redo.iter().map(|&i| &*pages[i].path).collect();
        paths.extend(changed.iter().map(PathBuf::as_path));
        self.repo
            .diags
            .retain(|d| !(LINK_ERRORS.contains(&d.code) && paths.contains(d.path.as_path())));
        let mut sources: HashMap<NodeIx, Vec<String>> = redone
            .iter()
            .filter(|&&ix| g.node(ix).kind != NodeKind::Thesis)
            .map(|&ix| (ix, Vec::new()))
            .collect();
        let mut closing = Vec::new();
        let mut dangling = Vec::new();
        for f in found {
            self.repo.diags.extend(f.diags);
            dangling.extend(f.dangling);
            for (from, to, edge) in f.edges {
                if matches!(edge.kind, EdgeKind::PartOf | EdgeKind::BuildsOn) {
                    closing.push((from, to));
                }
                g.add_edge(from, to, edge);
                self.memo.relinked(g, to);
            }
            for (ix, name) in f.sources {
                sources.entry(ix).or_default().push(name);
            }
        }
        if closing.iter().any(|&(from, to)| reaches(g, to, from)) {
            return Spliced::Spoilt;
        }
        for (ix, mut names) in sources {
            names.sort();
            names.dedup();
            match &mut g.node_mut(ix).state {
                MaterialState::Claim(c) => c.sources = names.into_iter().map(Arc::from).collect(),
                MaterialState::Benchmark { sources, .. } => {
                    *sources = names.into_iter().map(Arc::from).collect();
                }
                _ => {}
            }
            self.memo.changed(g, ix);
        }
        seeds.extend(redone);

        // The redone theses' links that land nowhere replace the ones they had; the removed
        // theses' go.
        let mut redone_theses: HashSet<String> = redo
            .iter()
            .filter(|&&i| pages[i].kind == PageKind::Thesis)
            .map(|&i| resolve::page_key(&pages[i]))
            .collect();
        redone_theses.extend(gone_theses.iter().cloned());
        let stale: Vec<_> = self
            .dangling_all
            .iter()
            .filter(|d| redone_theses.contains(&d.thesis))
            .map(|d| d.diag.clone())
            .collect();
        self.repo.diags.retain(|d| !stale.contains(d));
        self.dangling_all
            .retain(|d| !redone_theses.contains(&d.thesis));
        self.dangling_all.extend(dangling);
        for t in &gone_theses {
            self.verdicts.remove(t);
        }
        let ok = self.resettle();
        announce(&mut self.shown, &self.repo.diags, &mut r.diags);
        if !ok {
            tracing::debug!("watch: spliced graph has link errors");
        }
        let g = &self.repo.graph;
        seeds.extend(old_theses.iter().filter_map(|k| g.get(k)));
        touched.extend(redone_theses);
        seeds.extend(self.baseline_theses(touched.iter().map(String::as_str)));
        tracing::debug!(
            pages = changed_at.len(),
            redone = redo.len(),
            "watch: pages spliced in place"
        );
        Spliced::Done(seeds)
    }
}
