//! Builds the graph from parsed pages: resolves every link by path, id or title, turns it into
//! the right edge kind, and reports links that land nowhere and cycles.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rescore_graph::quantity::normalise_text;
use rescore_graph::{
    Edge, EdgeAdder, EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind, NodeView,
};

use crate::diag::{did_you_mean, Code, Diagnostic, NearNames, Pos};
use crate::page::{Link, Links, Page, PageKind, Role, Target};

mod material;
mod names;
mod numbers;
mod quick;

use material::Material;
pub use material::{restore_material, shed_material};
use names::{lowers_to, Hashes, Names};
pub use numbers::PageNumbers;
pub use quick::Quick;

/// Page lookups by id, title and path, all case-insensitive on names. The tables hold page
/// numbers, found by the hash of a name and checked against the pages themselves (`names.rs`):
/// each page's place in the list until the list changes in place (`push_page`,
/// `swap_remove_page`), then the numbers of `places`. Every lookup takes the page list the
/// index is in step with.
pub struct Index {
    by_id: Names,
    by_title: Names,
    by_path: Names,
    /// Notes are outside the id space (every folder may have its `README.md`): a name finds a
    /// note only when no concept, thesis or source has it, and then the first in path order.
    note_ids: Names,
    /// Names and paths of pages that failed to parse: links to them are not errors of their own.
    lost: FxHashSet<String>,
    lost_paths: FxHashSet<PathBuf>,
    /// "Did you mean" over `names()`, built on the first broken link and kept in step with
    /// them from then on.
    near: OnceLock<NearNames>,
    /// The places of the pages by the numbers the tables hold, once the list changed in place;
    /// `None` while each number is a place.
    places: Option<PageNumbers>,
    hashes: Hashes,
}

/// The hash an index files `path` under, which finds the page again with
/// `Index::pages_by_path_hash`: a page in 4 bytes, where the page may move in the list.
pub fn path_hash(path: &Path) -> u32 {
    (Hashes::default().path)(path)
}

/// A page that exists but could not be parsed, with the names it is probably linked by.
#[derive(Debug, Clone)]
pub struct Lost {
    pub path: PathBuf,
    pub names: Vec<String>,
}

/// The page numbered `n` in `pages`, as `places` numbers them.
fn numbered<'a>(places: &Option<PageNumbers>, pages: &'a [Page], n: u32) -> Option<&'a Page> {
    let at = match places {
        None => Some(n as usize),
        Some(places) => places.place(n),
    };
    at.and_then(|at| pages.get(at))
}

/// Checks of a table's candidates: whether page number `n` bears `key` (lowercase) as its id,
/// its title or its path.
fn has_id(places: &Option<PageNumbers>, pages: &[Page], key: &str, n: u32) -> bool {
    numbered(places, pages, n).is_some_and(|p| lowers_to(&p.id, key))
}

fn has_title(places: &Option<PageNumbers>, pages: &[Page], key: &str, n: u32) -> bool {
    numbered(places, pages, n)
        .and_then(|p| p.title.as_deref())
        .is_some_and(|t| lowers_to(t, key))
}

fn has_path(places: &Option<PageNumbers>, pages: &[Page], path: &Path, n: u32) -> bool {
    numbered(places, pages, n).is_some_and(|p| *p.path == *path)
}

impl Index {
    /// Indexes pages; a second page with a taken id is reported and left out.
    pub fn new(pages: &[Page], diags: &mut Vec<Diagnostic>) -> (Index, Vec<bool>) {
        Index::hashed_by(pages, diags, Hashes::default())
    }

    /// `new`, with names and paths hashed by `hashes`.
    fn hashed_by(
        pages: &[Page],
        diags: &mut Vec<Diagnostic>,
        hashes: Hashes,
    ) -> (Index, Vec<bool>) {
        // Sized up front: growing a table moves every entry it holds so far.
        let mut idx = Index {
            by_id: Names::with_capacity(pages.len()),
            by_title: Names::with_capacity(pages.len()),
            by_path: Names::with_capacity(pages.len()),
            note_ids: Names::default(),
            lost: FxHashSet::default(),
            lost_paths: FxHashSet::default(),
            near: OnceLock::new(),
            places: None,
            hashes,
        };
        let mut live = vec![true; pages.len()];
        let none = &None;
        for (i, p) in pages.iter().enumerate() {
            let n = i as u32;
            let path = (hashes.path)(&p.path);
            idx.by_path
                .set(path, n, |m| has_path(none, pages, &p.path, m));
            let key = lower(&p.id);
            let hash = (hashes.name)(&key);
            let is = |m| has_id(none, pages, &key, m);
            if p.kind == PageKind::Note {
                idx.note_ids.insert_new(hash, n, is);
                continue;
            }
            if let Some(first) = idx.by_id.find(hash, is) {
                let other = &pages[first as usize];
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateId,
                        &p.path,
                        p.head.clone(),
                        format!(
                            "page id `{}` is already taken by {}",
                            p.id,
                            other.path.display()
                        ),
                    )
                    .expected("one page per id")
                    .hint("rename one file, or set a distinct `id` in its front matter")
                    .note(
                        &other.path,
                        other.head.line,
                        other.head.col,
                        "the first page with this id",
                    ),
                );
                live[i] = false;
                continue;
            }
            idx.by_id.insert_new(hash, n, |_| false);
        }
        // Titles of concepts, theses and sources before those of notes.
        for note in [false, true] {
            for (i, p) in pages.iter().enumerate() {
                if let (true, true, Some(t)) =
                    (live[i], (p.kind == PageKind::Note) == note, &p.title)
                {
                    let key = lower(t);
                    let hash = (hashes.name)(&key);
                    idx.by_title
                        .insert_new(hash, i as u32, |m| has_title(none, pages, &key, m));
                }
            }
        }
        (idx, live)
    }

    pub fn page(&self, pages: &[Page], target: &Target, from: usize) -> Option<usize> {
        match target {
            Target::Here => Some(from),
            Target::Path { path } => {
                let path = Path::new(path);
                let places = &self.places;
                self.by_path
                    .find((self.hashes.path)(path), |m| {
                        has_path(places, pages, path, m)
                    })
                    .and_then(|n| self.place(n))
            }
            Target::Wiki { name } => self.by_name(pages, name),
        }
    }

    /// The places of the pages whose paths hash to `hash` (`path_hash`): the one page at a
    /// path, and any other whose path shares its hash.
    pub fn pages_by_path_hash(&self, hash: u32) -> impl Iterator<Item = usize> + '_ {
        self.by_path.under(hash).filter_map(|n| self.place(n))
    }

    /// The place in the page list of the page the tables number `n`.
    fn place(&self, n: u32) -> Option<usize> {
        match &self.places {
            None => Some(n as usize),
            Some(places) => places.place(n),
        }
    }

    pub fn by_name(&self, pages: &[Page], name: &str) -> Option<usize> {
        let key = lower(name.trim());
        let key: &str = &key;
        let hash = (self.hashes.name)(key);
        let places = &self.places;
        let id = |m| has_id(places, pages, key, m);
        self.by_id
            .find(hash, id)
            .or_else(|| {
                self.by_title
                    .find(hash, |m| has_title(places, pages, key, m))
            })
            .or_else(|| self.note_ids.find(hash, id))
            .and_then(|n| self.place(n))
    }

    /// Every name the index finds a page by, lowercased, read from the pages.
    fn names<'a>(&'a self, pages: &'a [Page]) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        let page = |e: names::Entry| numbered(&self.places, pages, e.page);
        let ids = self.by_id.entries().chain(self.note_ids.entries());
        let titles = self.by_title.entries().filter_map(page);
        ids.filter_map(page)
            .map(|p| lower(&p.id))
            .chain(titles.filter_map(|p| p.title.as_deref().map(lower)))
    }

    /// The page name nearest to `name`, for "did you mean": `did_you_mean` over `names()`.
    pub fn nearest_name(&self, pages: &[Page], name: &str) -> Option<&str> {
        self.near_names(pages).nearest(name)
    }

    /// Builds the names `nearest_name` looks among, unless they are built; whether it built
    /// them. A one-time cost (about 0.1 s at 100k pages) that the watcher pays once its start is
    /// reported, not at the first link to a missing page; it keeps them in step with the pages
    /// from then on.
    pub fn warm_hints(&self, pages: &[Page]) -> bool {
        let cold = self.near.get().is_none();
        self.near_names(pages);
        cold
    }

    fn near_names(&self, pages: &[Page]) -> &NearNames {
        self.near.get_or_init(|| NearNames::new(self.names(pages)))
    }
}

/// Keeping an index in step with a page list that gains or loses one page at a time (the
/// watcher): a page joins at the end of the list, and one that leaves gives its place to the
/// last page (`Repo::insert_page`, `Repo::remove_page`). The other pages keep their numbers, so
/// no entry of theirs changes. Each method is called once the list has changed, with the list
/// as it is now.
impl Index {
    /// The numbering of the pages, made at the first change of the list.
    fn places(&mut self) -> &mut PageNumbers {
        // Every page has its path in the index.
        let pages = self.by_path.len();
        self.places
            .get_or_insert_with(|| PageNumbers::identity(pages))
    }

    /// The last page of `pages` has joined the list. Returns `false` when one of its names is
    /// already taken, so links by that name could change target: the index is then no longer
    /// exact and the caller builds it anew.
    pub fn push_page(&mut self, pages: &[Page]) -> bool {
        let Some(page) = pages.last() else {
            return true;
        };
        let n = self.places().push();
        self.add_names(n, pages, page)
    }

    /// Page `page`, at place `i`, has left the list, and the last page has taken its place. Its
    /// names are dropped where they point at it; whether another page bears them is the
    /// caller's to know.
    pub fn swap_remove_page(&mut self, i: usize, page: &Page) {
        let n = self.places().swap_remove(i);
        self.drop_names(n, page);
    }

    /// The page at place `i` of `pages` is known by other names than `old`'s: `old`'s are
    /// dropped where they point at it and the page's added. Returns `false` when one of the new
    /// names is taken, as `push_page`.
    pub fn rename_page(&mut self, pages: &[Page], i: usize, old: &Page) -> bool {
        let n = self.places.as_ref().map_or(i as u32, |p| p.number(i));
        self.drop_names(n, old);
        self.add_names(n, pages, &pages[i])
    }

    /// Adds page number `n`'s names (`page`, in `pages`); `false` when one is taken.
    fn add_names(&mut self, n: u32, pages: &[Page], page: &Page) -> bool {
        let places = &self.places;
        let path = (self.hashes.path)(&page.path);
        self.by_path
            .set(path, n, |m| has_path(places, pages, &page.path, m));
        let id = lower(&page.id);
        let title = page.title.as_deref().map(lower);
        let free = self.by_name(pages, &id).is_none()
            && title
                .as_deref()
                .is_none_or(|t| self.by_name(pages, t).is_none());
        let ids = match page.kind {
            PageKind::Note => &mut self.note_ids,
            _ => &mut self.by_id,
        };
        let near = self.near.get_mut();
        let hash = (self.hashes.name)(&id);
        add_name(ids, near, (hash, &id), n, |m| has_id(places, pages, &id, m));
        if let Some(t) = &title {
            let hash = (self.hashes.name)(t);
            let is = |m| has_title(places, pages, t, m);
            add_name(&mut self.by_title, self.near.get_mut(), (hash, t), n, is);
        }
        free
    }

    /// Drops page number `n`'s names (`page`'s) where they point at it.
    fn drop_names(&mut self, n: u32, page: &Page) {
        let id = lower(&page.id);
        let hash = (self.hashes.name)(&id);
        for table in [&mut self.by_id, &mut self.note_ids] {
            drop_name(table, self.near.get_mut(), (hash, &id), n);
        }
        if let Some(t) = page.title.as_deref().map(lower) {
            let hash = (self.hashes.name)(&t);
            drop_name(&mut self.by_title, self.near.get_mut(), (hash, &t), n);
        }
        self.by_path.remove((self.hashes.path)(&page.path), n);
    }
}

/// Puts `name` (with its hash) in `table` for page number `n` unless a page `is` accepts has
/// it, and in `near` when it is new there.
fn add_name(
    table: &mut Names,
    near: Option<&mut NearNames>,
    (hash, name): (u32, &str),
    n: u32,
    is: impl FnMut(u32) -> bool,
) {
    if table.insert_new(hash, n, is) {
        if let Some(near) = near {
            near.insert(name);
        }
    }
}

/// Takes `name` (with its hash) out of `table` (and one use of it out of `near`) when it names
/// page number `n`.
fn drop_name(table: &mut Names, near: Option<&mut NearNames>, (hash, name): (u32, &str), n: u32) {
    if table.remove(hash, n) {
        if let Some(near) = near {
            near.remove(name);
        }
    }
}

/// `s` in lowercase, borrowed when it already is (ids and anchors nearly always are).
fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    let upper = match ascii_capitals(s.as_bytes()) {
        Some(capitals) => capitals,
        None => s.chars().any(char::is_uppercase),
    };
    if upper {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Whether ASCII `bytes` hold a capital; `None` when they are not all ASCII. Every link and
/// key passes here, most a few bytes long: they are read eight at a time, a byte `x` of a word
/// being a capital when `x + 0x3f` has its top bit set (`x` is `A` or above) and `x + 0x25`
/// has not (`x` is `Z` or below), which holds while every byte is below 0x80 (no carry).
fn ascii_capitals(bytes: &[u8]) -> Option<bool> {
    const TOP: u64 = 0x8080_8080_8080_8080;
    let word = |w: u64| {
        let (from_a, past_z) = (0x3f3f_3f3f_3f3f_3f3f, 0x2525_2525_2525_2525);
        (w, w.wrapping_add(from_a) & !w.wrapping_add(past_z))
    };
    let (mut high, mut capitals) = (0, 0);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0; 8];
        w.copy_from_slice(c);
        let (h, k) = word(u64::from_le_bytes(w));
        (high, capitals) = (high | h, capitals | k);
    }
    let mut last = [0; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    let (h, k) = word(u64::from_le_bytes(last));
    (high, capitals) = (high | h, capitals | k);
    (high & TOP == 0).then_some(capitals & TOP != 0)
}

/// The node key of a page, or of one claim or row in it.
pub fn page_key(page: &Page) -> String {
    lower(&page.id).into_owned()
}

pub fn anchor_key(page: &Page, anchor: &str) -> String {
    joined_key(&lower(&page.id), &lower(anchor))
}

/// `page#anchor`, of a page id and an anchor already lowercase.
fn joined_key(page: &str, anchor: &str) -> String {
    // Sized exactly: `format!` grows the key as it writes, leaving up to half of it spare in
    // every claim's and row's node.
    let mut key = String::with_capacity(page.len() + 1 + anchor.len());
    key.push_str(page);
    key.push('#');
    key.push_str(anchor);
    key
}

fn loc(file: usize, pos: &Pos) -> Loc {
    Loc {
        file: file as u32,
        line: pos.line,
        col: pos.col,
    }
}

/// A thesis's link to an anchor its target page does not have, or to a page that is not there
/// (now). Whether that names something the thesis rested on that is gone (the thesis is stale)
/// or a typo (an error) depends on the lock, so it is decided after loading; see
/// `Repo::settle_dangling`.
#[derive(Debug, Clone)]
pub struct Dangling {
    /// The thesis's node key.
    pub thesis: String,
    /// The node key the link names, `page#anchor` or `page`.
    pub key: String,
    /// The `anchor-to-no-claim` error it is when no baseline knows the key.
    pub diag: Diagnostic,
}

/// Builds the graph; a thesis's link to a missing anchor or page is an error.
pub fn build(pages: &[Page], diags: &mut Vec<Diagnostic>) -> Graph {
    build_parts(pages, &[], diags).0
}

/// Builds the graph. Pages marked dead (duplicate ids) and notes add no nodes. A link to a page
/// that could not be parsed (`lost`) resolves to nothing without a diagnostic, since the page's
/// own error says why. The theses' links to missing anchors or pages are errors in `diags`, and
/// are also returned, so that `load::settle` can withdraw the errors of those the lock knows.
///
/// Each page's nodes, and then each page's edges, are found on their own in parallel and enter
/// the graph in page order, so the graph and the diagnostics do not depend on the threads.
pub fn build_parts(
    pages: &[Page],
    lost: &[Lost],
    diags: &mut Vec<Diagnostic>,
) -> (Graph, Vec<Dangling>) {
    build_from(Pages::Read(pages), lost, Lookups::Quick, diags)
}

/// Nodes and edges a graph kept across edits (the watcher's) has room for beyond those it was
/// built with, and pages its page list has room for, so that adding a few does not move all
/// it holds (a few hundred ms at 100k pages, on the edit that happens to need it).
pub const ROOM: Room = Room {
    pages: 1024,
    nodes: 8192,
    edges: 32768,
};

/// How much room: pages, nodes and edges.
pub struct Room {
    pub pages: usize,
    pub nodes: usize,
    pub edges: usize,
}

/// `build_parts` for a caller that keeps the pages and their links (the watcher; and a one-shot
/// command, for which freeing the links and claims on the way cost more than it saved): the claim
/// and row material of every concept and source page with nodes moves into the graph's states
/// instead of being copied, so it is held once; `restore_material` puts it back. Thesis pages
/// keep theirs (writing a warning block compares them with the page on disk), and so does a
/// claim or row left without a node (a repeated anchor, a page with a duplicate id). The graph
/// is built with `ROOM`: made afterwards, the room rehashed the key index whenever the nodes
/// came near a power of two (10 ms of a watcher's start at 10k pages).
pub fn build_parts_moving(
    pages: &mut [Page],
    lost: &[Lost],
    diags: &mut Vec<Diagnostic>,
) -> (Graph, Vec<Dangling>) {
    build_from(Pages::Move(pages), lost, Lookups::Quick, diags)
}

/// Pages whose nodes, then whose edges, are found together: a slice of the pages at a time, so
/// what is found waits to enter the graph for one slice only, not for all of them.
const CHUNK: usize = 4096;

/// The pages a build reads, or whose material it moves into the graph's states (what
/// `material::moves` says).
enum Pages<'a> {
    Read(&'a [Page]),
    Move(&'a mut [Page]),
}

/// How a build finds the page a link names: by its exact text first (`Quick`), or by the
/// index alone, which the tests hold the first to.
#[derive(Clone, Copy, PartialEq)]
enum Lookups {
    Quick,
    #[cfg(test)]
    IndexOnly,
}

/// The graph from the pages.
fn build_from(
    mut source: Pages,
    lost: &[Lost],
    lookups: Lookups,
    diags: &mut Vec<Diagnostic>,
) -> (Graph, Vec<Dangling>) {
    let pages: &[Page] = match &source {
        Pages::Read(pages) => pages,
        Pages::Move(pages) => pages,
    };
    let (mut index, live) = Index::new(pages, diags);
    let quick = (lookups == Lookups::Quick).then(|| Quick::new(pages, &live));
    for l in lost {
        index.lost_paths.insert(l.path.clone());
        index
            .lost
            .extend(l.names.iter().map(|n| n.trim().to_lowercase()));
    }
    let nodes: usize = pages
        .iter()
        .map(|p| 1 + p.claims.len() + p.rows.len())
        .sum();
    let written: usize = pages.iter().map(|p| p.links.len()).sum();
    let (room_nodes, room_edges) = match source {
        Pages::Move(_) => (ROOM.nodes, ROOM.edges),
        Pages::Read(_) => (0, 0),
    };
    let mut graph = Graph::with_capacity(nodes + room_nodes, 2 * nodes + written + room_edges);

    // Pass 1: a node for every page, claim and row, so links can land in any order.
    let mut page_node: Vec<Option<NodeIx>> = Vec::with_capacity(pages.len());
    let mut claim_nodes: Vec<Vec<Option<NodeIx>>> = Vec::with_capacity(pages.len());
    let mut row_nodes: Vec<Vec<Option<NodeIx>>> = Vec::with_capacity(pages.len());
    let count = pages.len();
    let nodes_of = |i: usize, p: &Page, material: Material| {
        if live[i] {
            page_nodes(i, p, material)
        } else {
            PageNodes::default()
        }
    };
    let mut build_chunk = |start: usize| -> Vec<PageNodes> {
        let end = (start + CHUNK).min(count);
        match &mut source {
            Pages::Read(pages) => pages[start..end]
                .par_iter()
                .enumerate()
                .map(|(k, p)| nodes_of(start + k, p, Material::default()))
                .collect(),
            Pages::Move(pages) => pages[start..end]
                .par_iter_mut()
                .enumerate()
                .map(|(k, p)| {
                    let i = start + k;
                    if !live[i] || !material::moves(p) {
                        return nodes_of(i, p, Material::default());
                    }
                    let material = Material::take(p);
                    let mut nodes = page_nodes(i, p, material);
                    material::put_back(p, std::mem::take(&mut nodes.unused));
                    nodes
                })
                .collect(),
        }
    };
    let mut insert = |built: Vec<PageNodes>| {
        for b in built {
            diags.extend(b.diags);
            let mut add = |n: Option<Node>| n.and_then(|n| graph.add_node(n).ok());
            page_node.push(add(b.page));
            claim_nodes.push(b.claims.into_iter().map(&mut add).collect());
            row_nodes.push(b.rows.into_iter().map(&mut add).collect());
        }
    };
    // Each slice's nodes enter the graph, in page order, while the next slice's are built.
    let mut built = Vec::new();
    for start in (0..count).step_by(CHUNK) {
        let done = std::mem::take(&mut built);
        built = rayon::join(|| insert(done), || build_chunk(start)).1;
    }
    insert(built);
    tracing::debug!(nodes = graph.len(), "graph nodes added");

    // Pass 2: edges. Finding a page's edges reads nodes only, so each slice's edges are found
    // while those of the slice before enter the graph, in page order, and the sources of its
    // claims and rows (node states) are set once every edge is in.
    let mut dangling = Vec::new();
    let mut seen = FxHashSet::default();
    let mut names = FxHashSet::default();
    let mut cited = Vec::new();
    let mut found: Vec<PageEdges> = Vec::new();
    let mut insert = |edges: &mut EdgeAdder, found: Vec<PageEdges>| {
        for f in found {
            diags.extend(f.diags);
            dangling.extend(f.dangling);
            // Every edge has a node of the page that found it at the end its kind says (a claim's
            // sources and a thesis's evidence arrive at the page's node, its part_of and related
            // links leave from it), so a repeated edge can only repeat one of the same page.
            seen.clear();
            for (from, to, edge) in f.edges {
                if seen.insert((from, to, edge.kind)) {
                    edges.add_new_edge(from, to, edge);
                }
            }
            shared_sources(f.sources, &mut names, &mut cited);
        }
    };
    for start in (0..count).step_by(CHUNK) {
        let end = (start + CHUNK).min(count);
        let pages: &[Page] = match &source {
            Pages::Read(pages) => pages,
            Pages::Move(pages) => pages,
        };
        let (nodes, mut edges) = graph.split();
        let cx = EdgeContext {
            index: &index,
            pages,
            live: &live,
            graph: nodes,
            page_node: &page_node,
            claim_nodes: &claim_nodes,
            row_nodes: &row_nodes,
            numbers: None,
            quick: quick.as_ref(),
        };
        let find = || {
            (start..end)
                .into_par_iter()
                .map(|i| page_edges(&cx, i))
                .collect()
        };
        let done = std::mem::take(&mut found);
        found = rayon::join(|| insert(&mut edges, done), find).1;
    }
    insert(&mut graph.split().1, found);
    for (ix, sources) in cited {
        match &mut graph.node_mut(ix).state {
            MaterialState::Claim(c) => c.sources = sources,
            MaterialState::Benchmark { sources: s, .. } => *s = sources,
            _ => {}
        }
    }
    let pages: &[Page] = match &source {
        Pages::Read(pages) => pages,
        Pages::Move(pages) => pages,
    };
    tracing::debug!(edges = graph.edge_count(), "graph edges added");
    if let Some(cycle) = graph.find_cycle() {
        diags.push(cycle_diagnostic(&graph, pages, &cycle));
    }
    tracing::debug!("graph cycle check done");
    diags.extend(dangling.iter().map(|d| d.diag.clone()));
    (graph, dangling)
}

/// The sources of the claims and rows of one page, sorted and without repeats, added to
/// `cited`. A claim's or row's sources all come from its own page, so each page's list is the
/// whole of them. Each name is stored once in `names`, which every claim and row citing it
/// shares.
fn shared_sources(
    mut found: Vec<(NodeIx, String)>,
    names: &mut FxHashSet<Arc<str>>,
    cited: &mut Vec<(NodeIx, Box<[Arc<str>]>)>,
) {
    found.sort_unstable();
    found.dedup();
    let mut shared = |name: String| match names.get(name.as_str()) {
        Some(known) => known.clone(),
        None => {
            let new: Arc<str> = name.into();
            names.insert(new.clone());
            new
        }
    };
    let mut found = found.into_iter().peekable();
    while let Some((ix, first)) = found.next() {
        let mut list = vec![shared(first)];
        while let Some((_, name)) = found.next_if(|(next, _)| *next == ix) {
            list.push(shared(name));
        }
        cited.push((ix, list.into()));
    }
}

/// A page's nodes, built on their own before they enter the graph in page order; a claim or
/// row whose anchor another one on the page already has gets none.
#[derive(Default)]
struct PageNodes {
    page: Option<Node>,
    claims: Vec<Option<Node>>,
    rows: Vec<Option<Node>>,
    diags: Vec<Diagnostic>,
    /// The material taken from claims and rows that got no node.
    unused: material::Unused,
}

fn node_kind(k: PageKind) -> Option<NodeKind> {
    match k {
        PageKind::Concept => Some(NodeKind::Concept),
        PageKind::Thesis => Some(NodeKind::Thesis),
        PageKind::Source => Some(NodeKind::Source),
        PageKind::Note => None,
    }
}

/// The node keys of a page's claims and rows, in page order; `None` for one whose anchor
/// another one on the page already has (an error in `diags`).
fn node_keys(p: &Page, diags: &mut Vec<Diagnostic>) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let page = lower(&p.id);
    let ids = p.claims.iter().map(|c| (&c.id, c.explicit_id, &c.pos));
    let ids = ids.chain(p.rows.iter().map(|r| (&r.id, true, &r.pos)));
    let anchors: Vec<_> = ids
        .map(|(id, explicit, pos)| (lower(id), explicit, pos))
        .collect();
    // The keys of one page differ only in their anchors, so the anchors are counted.
    let mut seen: FxHashMap<&str, u32> =
        FxHashMap::with_capacity_and_hasher(anchors.len(), Default::default());
    let mut keys = anchors.iter().map(|(anchor, explicit, pos)| {
        let key = joined_key(&page, anchor);
        unique(&mut seen, (anchor, key), *explicit, p, pos, diags)
    });
    let claims = keys.by_ref().take(p.claims.len()).collect();
    (claims, keys.collect())
}

/// The nodes of page `i` (none for a note), with the material taken from it where there is.
fn page_nodes(i: usize, p: &Page, material: Material) -> PageNodes {
    let Some(kind) = node_kind(p.kind) else {
        return PageNodes::default();
    };
    let state = match kind {
        NodeKind::Concept => MaterialState::Concept {
            status: p.status.map(|s| s.to_string()),
        },
        NodeKind::Thesis => MaterialState::Thesis {
            score: p.score().unwrap_or(f64::NAN),
        },
        _ => MaterialState::Source {
            retracted: p.retracted(),
            superseded_by: p.superseded_by().map(|s| s.trim().to_lowercase()),
        },
    };
    let mut diags = Vec::new();
    let (claim_keys, row_keys) = node_keys(p, &mut diags);
    let mut unused = material::Unused::default();
    // Taken in step with the claims, so each stays with its own claim.
    let mut taken_claims = material.claims.into_iter();
    let mut taken_rows = material.rows.into_iter();
    let claims = p
        .claims
        .iter()
        .zip(claim_keys)
        .enumerate()
        .map(|(k, (c, key))| {
            let taken = taken_claims.next();
            let Some(key) = key else {
                unused.claims.extend(taken.map(|m| (k, m)));
                return None;
            };
            Some(Node {
                key,
                kind: NodeKind::Claim,
                loc: loc(i, &c.pos),
                state: MaterialState::Claim(material::claim_state(c, taken.flatten())),
            })
        })
        .collect();
    let rows = p
        .rows
        .iter()
        .zip(row_keys)
        .enumerate()
        .map(|(k, (r, key))| {
            let taken = taken_rows.next();
            let Some(key) = key else {
                unused.rows.extend(taken.map(|v| (k, v)));
                return None;
            };
            Some(Node {
                key,
                kind: NodeKind::Benchmark,
                loc: loc(i, &r.pos),
                state: MaterialState::Benchmark {
                    value: material::row_value(r, taken.flatten()),
                    sources: Box::default(),
                },
            })
        })
        .collect();
    PageNodes {
        page: Some(Node {
            key: page_key(p),
            kind,
            loc: loc(i, &p.head),
            state,
        }),
        claims,
        rows,
        diags,
        unused,
    }
}

/// What edge building reads: the pages, their index, and the graph with every node in it.
#[derive(Clone, Copy)]
pub struct EdgeContext<'a> {
    pub index: &'a Index,
    pub pages: &'a [Page],
    /// Pages with a node (not a duplicate id).
    pub live: &'a [bool],
    pub graph: NodeView<'a>,
    pub page_node: &'a [Option<NodeIx>],
    pub claim_nodes: &'a [Vec<Option<NodeIx>>],
    pub row_nodes: &'a [Vec<Option<NodeIx>>],
    /// Each page's number (`Loc::file`), by its place in `pages`; `None`: its place.
    pub numbers: Option<&'a [u32]>,
    /// For a graph built from scratch, where each page's node is its own (`page_node`), and
    /// the index numbers each page by its place.
    pub quick: Option<&'a Quick>,
}

/// What one page's links and front matter add to the graph, in the order they are written.
#[derive(Default)]
pub struct PageEdges {
    pub edges: Vec<(NodeIx, NodeIx, Edge)>,
    /// (claim or row node, source key or name): the sources of its material state.
    pub sources: Vec<(NodeIx, String)>,
    pub diags: Vec<Diagnostic>,
    pub dangling: Vec<Dangling>,
}

/// The edges of page `i`: its claims and rows to it, sources to claims and rows, its links and
/// `part_of` / `depends_on` keys. Reads the graph only, so pages can be done in any order.
pub fn page_edges(cx: &EdgeContext, i: usize) -> PageEdges {
    let EdgeContext {
        index,
        pages,
        live,
        graph,
        page_node,
        claim_nodes,
        row_nodes,
        numbers,
        quick,
    } = *cx;
    let p = &pages[i];
    // Where the page's links are written, as the graph numbers it.
    let file = numbers.map_or(i, |n| n[i] as usize);
    let mut out = PageEdges::default();
    if !live[i] || p.kind == PageKind::Note {
        return out;
    }
    let Some(me) = page_node[i] else {
        return out;
    };
    let (claim_ix, row_ix) = (&claim_nodes[i], &row_nodes[i]);
    let made = |j: usize| Made {
        page: page_node.get(j).copied().flatten(),
        claims: claim_nodes.get(j).map_or(&[], Vec::as_slice),
        rows: row_nodes.get(j).map_or(&[], Vec::as_slice),
    };
    for (ix, pos) in claim_ix
        .iter()
        .zip(p.claims.iter().map(|c| &c.pos))
        .chain(row_ix.iter().zip(p.rows.iter().map(|r| &r.pos)))
    {
        if let Some(ix) = ix {
            out.edges.push((
                *ix,
                me,
                Edge {
                    kind: EdgeKind::Contains,
                    loc: loc(file, pos),
                },
            ));
        }
    }
    // Bare source names resolve when a source page has that id or title.
    for (c, ix) in p.claims.iter().zip(claim_ix) {
        let Some(ix) = ix else { continue };
        for name in &c.bare_sources {
            match index
                .by_name(pages, name)
                .filter(|&j| pages[j].kind == PageKind::Source && live[j])
            {
                Some(j) => {
                    if let Some(s) = page_node[j] {
                        out.edges.push((
                            s,
                            *ix,
                            Edge {
                                kind: EdgeKind::Cites,
                                loc: loc(file, &c.pos),
                            },
                        ));
                        out.sources.push((*ix, page_key(&pages[j])));
                    }
                }
                None => out.sources.push((*ix, normalise_text(name))),
            }
        }
    }
    for link in p.links.iter() {
        let quickly = quick.and_then(|q| q.page(link.target()));
        let Some(j) = quickly.or_else(|| {
            resolve_for(
                index,
                pages,
                i,
                (link, None),
                &mut out.diags,
                &mut out.dangling,
            )
        }) else {
            continue;
        };
        let target = &pages[j];
        let found = match (quickly, link.anchor(), page_node[j]) {
            // In a graph built from scratch a page's node is its own: no key to check.
            (Some(_), None, Some(own)) => Some(own),
            _ => {
                let mut missing = Vec::new();
                let found = target_node(
                    graph,
                    (target, made(j)),
                    link.anchor(),
                    link,
                    &pages[i].path,
                    if p.kind == PageKind::Thesis {
                        &mut missing
                    } else {
                        &mut out.diags
                    },
                );
                keep_dangling(p, target, link, missing, &mut out.dangling);
                found
            }
        };
        let Some(target_ix) = found else {
            continue;
        };
        let edge = |kind| Edge {
            kind,
            loc: loc(file, link.pos()),
        };
        match (p.kind, link.role()) {
            (PageKind::Concept, Role::ClaimSource(c)) | (PageKind::Concept, Role::RowSource(c)) => {
                let from = match link.role() {
                    Role::ClaimSource(_) => claim_ix.get(c as usize).copied().flatten(),
                    _ => row_ix.get(c as usize).copied().flatten(),
                };
                if let (Some(from), PageKind::Source) = (from, target.kind) {
                    out.edges.push((target_ix, from, edge(EdgeKind::Cites)));
                    out.sources.push((from, page_key(target)));
                }
            }
            (PageKind::Concept, Role::Related)
                if target.kind == PageKind::Concept && target_ix != me =>
            {
                out.edges.push((me, target_ix, edge(EdgeKind::Related)));
            }
            (PageKind::Thesis, _) if target.kind != PageKind::Note => {
                out.edges
                    .extend(dependency(graph, target_ix, me, loc(file, link.pos())))
            }
            _ => {}
        }
    }
    let names = p.part_of.iter().map(|n| (n, &p.part_of_at, true));
    let deps = p.depends_on().iter().map(|n| (n, p.depends_on_at(), false));
    for (name, pos, is_part_of) in names.chain(deps) {
        let links = key_link(name, pos);
        let Some(link) = links.iter().next() else {
            continue;
        };
        let written = (link, Some(&**name));
        let resolved = if is_part_of {
            resolve_link(index, pages, i, written, &mut out.diags)
        } else {
            resolve_for(index, pages, i, written, &mut out.diags, &mut out.dangling)
        };
        let Some(j) = resolved else {
            continue;
        };
        let mut missing = Vec::new();
        let found = target_node(
            graph,
            (&pages[j], made(j)),
            link.anchor(),
            link,
            &p.path,
            if p.kind == PageKind::Thesis && !is_part_of {
                &mut missing
            } else {
                &mut out.diags
            },
        );
        keep_dangling(p, &pages[j], link, missing, &mut out.dangling);
        let Some(t) = found else {
            continue;
        };
        let e = Edge {
            kind: EdgeKind::PartOf,
            loc: loc(file, pos),
        };
        if is_part_of {
            if p.kind == PageKind::Concept && pages[j].kind == PageKind::Concept {
                out.edges.push((me, t, e));
            } else {
                out.diags.push(
                    Diagnostic::error(
                        Code::BadPartOf,
                        &p.path,
                        pos.clone(),
                        format!(
                            "`part_of = {name}` joins a {} to a {}",
                            p.kind.as_str(),
                            pages[j].kind.as_str()
                        ),
                    )
                    .expected("part_of on a concept page, naming parent concepts")
                    .hint("cite other pages from a thesis's Evidence list instead"),
                );
            }
        } else if p.kind == PageKind::Thesis && pages[j].kind != PageKind::Note {
            out.edges.extend(dependency(graph, t, me, e.loc));
        }
    }
    out
}

/// The link a front matter key's value (`part_of`, `depends_on`) makes: a name, and an anchor
/// after a `#`.
fn key_link(value: &str, pos: &Pos) -> Links {
    Links::one(
        Target::Wiki {
            name: value.split('#').next().unwrap_or(value),
        },
        value.split_once('#').map(|(_, a)| a),
        Role::Body,
        pos.clone(),
    )
}

/// A link to resolve, with the front matter value it was made from, which its messages show as
/// written (`None`: a link in the body, shown as `Link::as_written` rebuilds it).
type Written<'a> = (Link<'a>, Option<&'a str>);

/// `resolve_link`, except that on a thesis a link to no page is kept apart as dangling: the page
/// may have held what the thesis was scored against. Its key is the name as an id (a wikilink's
/// name, a path's file stem); a link by title to a gone page stays an error.
fn resolve_for(
    index: &Index,
    pages: &[Page],
    from: usize,
    written: Written,
    diags: &mut Vec<Diagnostic>,
    dangling: &mut Vec<Dangling>,
) -> Option<usize> {
    let page = &pages[from];
    if page.kind != PageKind::Thesis {
        return resolve_link(index, pages, from, written, diags);
    }
    let link = written.0;
    let mut missing = Vec::new();
    let found = resolve_link(index, pages, from, written, &mut missing);
    let name = match &link.target() {
        Target::Wiki { name } => name.trim().to_lowercase(),
        Target::Path { path } => Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default(),
        Target::Here => String::new(),
    };
    for diag in missing {
        let key = match link.anchor() {
            Some(a) => format!("{name}#{}", a.to_lowercase()),
            None => name.clone(),
        };
        dangling.push(Dangling {
            thesis: page_key(page),
            key,
            diag,
        });
    }
    found
}

/// Keeps a thesis's `anchor-to-no-claim` apart, with the key it names.
fn keep_dangling(
    thesis: &Page,
    target: &Page,
    link: Link,
    missing: Vec<Diagnostic>,
    dangling: &mut Vec<Dangling>,
) {
    let Some(anchor) = link.anchor() else {
        return;
    };
    for diag in missing {
        dangling.push(Dangling {
            thesis: page_key(thesis),
            key: anchor_key(target, anchor),
            diag,
        });
    }
}

/// A thesis's dependency: an upstream thesis by its score (`builds_on`), anything else as evidence.
fn dependency(
    graph: NodeView,
    from: NodeIx,
    thesis: NodeIx,
    loc: Loc,
) -> Option<(NodeIx, NodeIx, Edge)> {
    if from == thesis {
        return None;
    }
    let kind = if graph.node(from).kind == NodeKind::Thesis {
        EdgeKind::BuildsOn
    } else {
        EdgeKind::Evidence
    };
    Some((from, thesis, Edge { kind, loc }))
}

/// The node key `key` of the claim or row with anchor `anchor`, counted in `seen` by anchor.
fn unique<'a>(
    seen: &mut FxHashMap<&'a str, u32>,
    (anchor, key): (&'a str, String),
    explicit: bool,
    page: &Page,
    pos: &Pos,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let n = seen.entry(anchor).or_insert(0);
    *n += 1;
    if *n == 1 {
        return Some(key);
    }
    if explicit {
        diags.push(
            Diagnostic::error(
                Code::DuplicateAnchor,
                &page.path,
                pos.clone(),
                format!("`{key}` names two claims or rows on this page"),
            )
            .expected("one claim or row per {#id} or metric@system")
            .hint("give one of them a distinct {#id}"),
        );
        return None;
    }
    // Claims without ids whose first words agree are told apart by their order.
    Some(format!("{key}-{n}"))
}

fn resolve_link(
    index: &Index,
    pages: &[Page],
    from: usize,
    (link, key): Written,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    if let Some(j) = index.page(pages, &link.target(), from) {
        return Some(j);
    }
    let lost = match &link.target() {
        Target::Wiki { name } => index.lost.contains(&name.trim().to_lowercase()),
        Target::Path { path } => index.lost_paths.contains(Path::new(path)),
        Target::Here => false,
    };
    if lost {
        return None;
    }
    let page = &pages[from];
    let (what, near) = match &link.target() {
        Target::Wiki { name } => (
            format!("`{name}`"),
            index.nearest_name(pages, name).map(str::to_string),
        ),
        Target::Path { path } => {
            let path = Path::new(path);
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let near = index
                .by_name(pages, &stem)
                .map(|j| relative(&page.path, &pages[j].path))
                .or_else(|| index.nearest_name(pages, &stem).map(str::to_string));
            (format!("{}", path.display()), near)
        }
        Target::Here => return Some(from),
    };
    let mut d = Diagnostic::error(
        Code::LinkToNoPage,
        &page.path,
        link.pos().clone(),
        format!(
            "link {} resolves to no page",
            key.map_or_else(|| link.as_written(&page.path), str::to_string)
        ),
    )
    .expected(format!(
        "{what} to be the id, file stem, title or path of a page in this repo"
    ));
    d = match near {
        Some(n) => d.hint(format!("did you mean `{n}`?")),
        None => d.hint("create the page, or fix the link"),
    };
    diags.push(d);
    None
}

/// A path from one page to another, as a relative markdown link would write it.
fn relative(from: &Path, to: &Path) -> String {
    let depth = from.parent().map_or(0, |p| p.components().count());
    let mut s = "../".repeat(depth);
    s.push_str(&to.to_string_lossy());
    s
}

/// The nodes a page made, where the caller knows them: a shortcut to a link's target node that
/// is taken only when the node's key is the one looked for, so it never changes the answer.
#[derive(Clone, Copy, Default)]
struct Made<'a> {
    page: Option<NodeIx>,
    claims: &'a [Option<NodeIx>],
    rows: &'a [Option<NodeIx>],
}

/// Whether `key` is `page#anchor`.
fn is_anchor_key(key: &str, page: &str, anchor: &str) -> bool {
    key.len() == page.len() + 1 + anchor.len()
        && key.starts_with(page)
        && key.as_bytes()[page.len()] == b'#'
        && key.ends_with(anchor)
}

fn target_node(
    graph: NodeView,
    (target, made): (&Page, Made),
    anchor: Option<&str>,
    link: Link,
    from: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<NodeIx> {
    let id = lower(&target.id);
    let Some(anchor) = anchor else {
        let own = made
            .page
            .filter(|&ix| graph.try_node(ix).is_some_and(|n| n.key == *id));
        return own.or_else(|| graph.get(&id));
    };
    let lowered = lower(anchor);
    let own = made
        .claims
        .iter()
        .chain(made.rows)
        .flatten()
        .copied()
        .find(|&ix| {
            graph
                .try_node(ix)
                .is_some_and(|n| is_anchor_key(&n.key, &id, &lowered))
        });
    if let Some(ix) = own.or_else(|| graph.get(&anchor_key(target, anchor))) {
        return Some(ix);
    }
    let anchors: Vec<String> = target
        .claims
        .iter()
        .map(|c| c.id.to_lowercase())
        .chain(target.rows.iter().map(|r| r.id.to_lowercase()))
        .collect();
    let mut d = Diagnostic::error(
        Code::AnchorToNoClaim,
        from,
        link.pos().clone(),
        format!(
            "`#{anchor}` names no claim or benchmark row of {}",
            target.path.display()
        ),
    )
    .expected("the {#id} of a claim, or metric@system of a benchmark row, on that page");
    d = match did_you_mean(anchor, anchors.iter().map(String::as_str)) {
        Some(n) => d.hint(format!("did you mean `#{n}`?")),
        None if anchors.is_empty() => {
            d.hint("that page has no claims or rows; link the whole page instead")
        }
        None => d.hint(format!("anchors there: {}", anchors.join(", "))),
    };
    diags.push(d);
    None
}

fn cycle_diagnostic(
    graph: &Graph,
    pages: &[Page],
    cycle: &[rescore_graph::model::CycleHop],
) -> Diagnostic {
    let first = &cycle[0];
    // Only a graph built here reports a cycle, and it numbers each page by its place.
    let page = |l: &Loc| {
        pages
            .get(l.file as usize)
            .map(|p| p.path.to_path_buf())
            .unwrap_or_default()
    };
    let names: Vec<&str> = cycle
        .iter()
        .map(|h| graph.node(h.node).key.as_str())
        .collect();
    let mut d = Diagnostic::error(
        Code::Cycle,
        &page(&first.edge.loc),
        Pos::at(first.edge.loc.line, first.edge.loc.col),
        format!("propagating edges form a cycle: {} → {}", names.join(" → "), names[0]),
    )
    .expected("evidence to flow one way: sources → claims → concepts → theses")
    .hint("remove one of the links below (a `related` link under Related Concepts does not propagate)");
    for (k, hop) in cycle.iter().enumerate() {
        let next = &cycle[(k + 1) % cycle.len()];
        d = d.note(
            &page(&hop.edge.loc),
            hop.edge.loc.line,
            hop.edge.loc.col,
            format!(
                "{} --{}--> {}",
                graph.node(hop.node).key,
                hop.edge.kind,
                graph.node(next.node).key
            ),
        );
    }
    d
}

/// What a thesis page's links and `depends_on` names rest on in an existing graph, resolved as
/// `build_parts` resolves a thesis's links: (target page, target node, where the link is
/// written, in file `file`: the page's number in the graph). Links that land nowhere are
/// reported in `diags` and `dangling`, as there.
pub fn thesis_dependencies(
    index: &Index,
    pages: &[Page],
    graph: &Graph,
    (i, file): (usize, u32),
    diags: &mut Vec<Diagnostic>,
    dangling: &mut Vec<Dangling>,
) -> Vec<(usize, NodeIx, Loc)> {
    let p = &pages[i];
    let deps: Vec<(Links, &str)> = p
        .depends_on()
        .iter()
        .map(|name| (key_link(name, p.depends_on_at()), &**name))
        .collect();
    let written = p.links.iter().map(|l| (l, None));
    let keyed = deps
        .iter()
        .flat_map(|(l, n)| l.iter().map(move |l| (l, Some(*n))));
    let mut found = Vec::new();
    for (link, key) in written.chain(keyed) {
        let Some(j) = resolve_for(index, pages, i, (link, key), diags, dangling) else {
            continue;
        };
        let mut missing = Vec::new();
        let ix = target_node(
            graph.node_view(),
            (&pages[j], Made::default()),
            link.anchor(),
            link,
            &p.path,
            &mut missing,
        );
        keep_dangling(p, &pages[j], link, missing, dangling);
        if let (Some(ix), false) = (ix, pages[j].kind == PageKind::Note) {
            found.push((j, ix, loc(file as usize, link.pos())));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Folders;
    use crate::page::{self, ParseContext};

    /// Concepts with duplicate and implicit anchors, sources by link and by bare name, links to
    /// no page and to no anchor; theses citing claims, pages and each other.
    pub(super) fn pages() -> Vec<Page> {
        pages_of(30)
    }

    /// `pages` with `n` of each kind.
    fn pages_of(n: usize) -> Vec<Page> {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = Folders::default();
        let cx = ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let mut texts = Vec::new();
        for i in 0..n {
            texts.push((
                format!("sources/s{i}.md"),
                format!("+++\nkind = \"source\"\n+++\n# S{i}\n"),
            ));
            texts.push((
                format!("concepts/c{i}.md"),
                format!(
                    "# C{i}\n\n## Key Claims\n\n- Claim one. {{#a}}\n  Evidence: strong ([[S{}]])\n\
                     - Claim two. {{#a}}\n  Evidence: weak (S{})\n\
                     - Same words\n  Evidence: weak ([[S0]], [[nowhere{i}]])\n\
                     - Same words\n  Evidence: moderate (S{i})\n\n\
                     | Metric | Value | Source |\n|---|---|---|\n| Score | 5% | [[S{i}]] |\n\n\
                     ## Related Concepts\n\n- [[C{}]]\n",
                    i % 7,
                    (i + 3) % n,
                    (i + 1) % n
                ),
            ));
            texts.push((
                format!("theses/t{i}.md"),
                format!(
                    "+++\nkind = \"thesis\"\nscore = 0.5\ndepends_on = [\"t{}\"]\n+++\n# T{i}\n\n\
                     - [[C{i}#a]], [[C{}#same-words-2]], [[C{i}#gone]], [[missing{i}]], \
                     [[C{}]], [[C{}#gone]]\n\
                     - [[c{}]], [[c{}#a]], [[s{i}]], [C](../concepts/c{}.md), \
                     [C](../concepts/c{}.md#gone)\n",
                    (i + 1) % n,
                    (i + 2) % n,
                    (i + 5) % n,
                    (i + n / 2) % n,
                    (i + 3) % n,
                    (i + 4) % n,
                    (i + 6) % n,
                    (i + 7) % n
                ),
            ));
        }
        texts
            .iter()
            .map(|(path, text)| {
                page::parse(Path::new(path), text, &cx)
                    .0
                    .expect("the page parses")
            })
            .collect()
    }

    /// The graph the watcher keeps is built with the room its edits grow into, so making that
    /// room afterwards moves nothing; a one-shot build has none to spare.
    #[test]
    fn a_graph_built_to_be_kept_has_room_for_edits() {
        let mut pages = pages_of(40);
        let (mut one_shot, _) = build_parts(&pages, &[], &mut Vec::new());
        let (mut kept, _) = build_parts_moving(&mut pages, &[], &mut Vec::new());
        assert!(!kept.reserve(ROOM.nodes, ROOM.edges));
        assert!(one_shot.reserve(ROOM.nodes, ROOM.edges));
    }

    type Built = (
        Vec<String>,
        Vec<(usize, usize, EdgeKind)>,
        Vec<String>,
        Vec<String>,
    );

    fn built_with(threads: usize, pages: &[Page]) -> Built {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        pool.install(|| {
            let mut diags = Vec::new();
            let (graph, dangling) = build_parts(pages, &[], &mut diags);
            summary(&graph, &diags, &dangling)
        })
    }

    fn summary(graph: &Graph, diags: &[Diagnostic], dangling: &[Dangling]) -> Built {
        (
            graph
                .nodes()
                .map(|(_, n)| format!("{} {:?}", n.key, n.state))
                .collect(),
            graph
                .edges()
                .map(|(a, b, e)| (a.index(), b.index(), e.kind))
                .collect(),
            diags.iter().map(|d| format!("{d:?}")).collect(),
            dangling.iter().map(|d| d.key.clone()).collect(),
        )
    }

    /// Every name and path the index, in step with `list`, resolves, with the page it resolves
    /// to: the names and paths of `all`.
    fn lookups(index: &Index, list: &[Page], all: &[Page]) -> Vec<(String, Option<usize>)> {
        let mut v: Vec<(String, Option<usize>)> = all
            .iter()
            .flat_map(|p| {
                [Some(p.id.clone()), p.title.clone()]
                    .into_iter()
                    .flatten()
                    .map(|n| (n.to_string(), index.by_name(list, &n)))
                    .chain(std::iter::once((
                        p.path.display().to_string(),
                        index.page(
                            list,
                            &Target::Path {
                                path: &p.path.to_string_lossy(),
                            },
                            0,
                        ),
                    )))
            })
            .collect();
        v.sort();
        v
    }

    /// Every name under one hash: only the check against the pages tells them apart.
    const COLLIDING: Hashes = Hashes {
        name: |_| 0,
        path: |_| 0,
    };

    fn kept_in_step_resolves_as_built_anew(hashes: Hashes) {
        let all = pages();
        let mut scratch = Vec::new();
        let (mut index, _) = Index::hashed_by(&all[..60], &mut scratch, hashes);
        let mut list = all[..60].to_vec();
        // Pages come at the end, and go, the last one taking the place of each.
        for p in &all[60..] {
            list.push(p.clone());
            assert!(index.push_page(&list), "{} takes no name", p.path.display());
        }
        for k in (0..list.len()).rev().step_by(7) {
            let gone = list.swap_remove(k);
            index.swap_remove_page(k, &gone);
        }
        // One keeps its place under other names, one of them taken.
        let old = list[3].clone();
        list[3].id = format!("{}-renamed", old.id).into();
        list[3].title = Some(format!("{} Renamed", old.id).into());
        assert!(index.rename_page(&list, 3, &old));
        let (fresh, _) = Index::new(&list, &mut scratch);
        assert_eq!(lookups(&index, &list, &all), lookups(&fresh, &list, &all));
        assert_eq!(index.by_name(&list, &list[3].id), Some(3));
        assert_eq!(index.by_name(&list, &old.id), None);
        let old = list[3].clone();
        list[3].id = list[4].id.clone();
        assert!(!index.rename_page(&list, 3, &old));
        // A page whose name is taken says so.
        let mut twin = list[0].clone();
        twin.path = Path::new("zz/twin.md").into();
        list.push(twin);
        assert!(!index.push_page(&list));
    }

    #[test]
    fn an_index_kept_in_step_page_by_page_resolves_as_one_built_anew() {
        kept_in_step_resolves_as_built_anew(Hashes::default());
    }

    #[test]
    fn an_index_whose_names_all_share_a_hash_is_kept_in_step_as_exactly() {
        kept_in_step_resolves_as_built_anew(COLLIDING);
    }

    #[test]
    fn names_whose_hashes_collide_each_resolve_to_their_own_page() {
        let mut list = pages();
        // A duplicate id, and a note bearing a concept's id, among the colliding names.
        let mut dup = list[1].clone();
        dup.path = Path::new("concepts/zz-dup.md").into();
        let mut note = list[0].clone();
        note.kind = PageKind::Note;
        note.id = list[1].id.clone();
        note.path = Path::new("notes/c0.md").into();
        list.extend([dup, note]);
        let (mut plain_diags, mut colliding_diags) = (Vec::new(), Vec::new());
        let (plain, plain_live) = Index::new(&list, &mut plain_diags);
        let (colliding, live) = Index::hashed_by(&list, &mut colliding_diags, COLLIDING);
        assert_eq!(live, plain_live);
        assert_eq!(live.iter().filter(|l| !**l).count(), 1, "the duplicate");
        assert_eq!(
            format!("{colliding_diags:?}"),
            format!("{plain_diags:?}"),
            "the same duplicate reported"
        );
        assert_eq!(
            lookups(&colliding, &list, &list),
            lookups(&plain, &list, &list)
        );
        for (i, p) in list.iter().enumerate().filter(|(i, _)| live[*i]) {
            if p.kind != PageKind::Note {
                assert_eq!(colliding.by_name(&list, &p.id.to_uppercase()), Some(i));
            }
            let path = p.path.to_string_lossy();
            let path = Target::Path { path: &path };
            assert_eq!(colliding.page(&list, &path, 0), Some(i));
        }
        assert_eq!(colliding.by_name(&list, "nowhere"), None);
        for word in ["t2", "c1x", "Jepa", "thesis 29"] {
            assert_eq!(
                colliding.nearest_name(&list, word),
                plain.nearest_name(&list, word)
            );
        }
    }

    #[test]
    fn a_page_coming_or_going_leaves_the_other_pages_entries_untouched() {
        let all = pages();
        let mut scratch = Vec::new();
        let mut list = all[1..].to_vec();
        let (mut index, _) = Index::new(&list, &mut scratch);
        let entries = |index: &Index| {
            let tables = [
                &index.by_id,
                &index.by_title,
                &index.note_ids,
                &index.by_path,
            ];
            let mut v: Vec<(usize, names::Entry)> = tables
                .iter()
                .enumerate()
                .flat_map(|(k, t)| t.entries().map(move |e| (k, e)))
                .collect();
            v.sort();
            v
        };
        let before = entries(&index);
        // A page comes, and one in the middle goes: each other page keeps its entries.
        let (came, went) = (list.len() as u32, 5);
        list.push(all[0].clone());
        assert!(index.push_page(&list));
        let gone = list.swap_remove(5);
        index.swap_remove_page(5, &gone);
        let (fresh, _) = Index::new(&list, &mut scratch);
        assert_eq!(lookups(&index, &list, &all), lookups(&fresh, &list, &all));
        let after = entries(&index);
        let kept = |v: &[(usize, names::Entry)]| -> Vec<(usize, names::Entry)> {
            v.iter()
                .filter(|e| e.1.page != came && e.1.page != went)
                .cloned()
                .collect()
        };
        assert!(after.iter().any(|e| e.1.page == came));
        assert!(!after.iter().any(|e| e.1.page == went));
        assert_eq!(kept(&after), kept(&before));
    }

    #[test]
    fn warmed_hints_are_built_once_and_answer_as_hints_built_when_asked() {
        let list = pages();
        let mut scratch = Vec::new();
        let (warm, _) = Index::new(&list, &mut scratch);
        let (cold, _) = Index::new(&list, &mut scratch);
        assert!(warm.near.get().is_none(), "not built with the index");
        assert!(warm.warm_hints(&list));
        assert!(warm.near.get().is_some());
        assert!(!warm.warm_hints(&list), "built once");
        for word in ["xT29", "t2", "c-1", "nothing-like-it"] {
            assert_eq!(
                warm.nearest_name(&list, word),
                cold.nearest_name(&list, word),
                "{word}"
            );
        }
    }

    #[test]
    fn did_you_mean_follows_the_names_as_pages_come_and_go() {
        let mut list = pages();
        let k = list
            .iter()
            .position(|p| &*p.id == "t29")
            .expect("thesis t29");
        let t29 = list.remove(k);
        let mut scratch = Vec::new();
        let (mut index, _) = Index::new(&list, &mut scratch);
        assert_eq!(index.nearest_name(&list, "xT29"), None);
        list.push(t29);
        assert!(index.push_page(&list));
        assert!(
            index.near.get().is_some(),
            "kept in step, not built again on the next broken link"
        );
        assert_eq!(index.nearest_name(&list, "xT29"), Some("t29"));
        let t29 = list.pop().expect("t29");
        index.swap_remove_page(list.len(), &t29);
        assert!(index.near.get().is_some());
        assert_eq!(index.nearest_name(&list, "xT29"), None);
        let (fresh, _) = Index::new(&list, &mut scratch);
        for word in ["t2", "c1x", "Jepa", "thesis 29"] {
            assert_eq!(
                index.nearest_name(&list, word),
                fresh.nearest_name(&list, word)
            );
        }
    }

    #[test]
    fn a_link_to_a_missing_anchor_on_a_page_moved_slices_before_lists_its_anchors() {
        let pages = pages_of(CHUNK / 3 + 2);
        assert!(pages.len() > CHUNK, "two slices at least");
        let read = built_with(2, &pages);
        let mut moved_from = pages.clone();
        let mut diags = Vec::new();
        let (graph, dangling) = build_parts_moving(&mut moved_from, &[], &mut diags);
        assert_eq!(summary(&graph, &diags, &dangling), read);
        // The last thesis, in the second slice, names `#gone` on a concept in the first.
        let listed = "anchors there: a, a, same-words, same-words, score";
        let last = pages.len() / 3 - 1;
        let far = format!("c{}", (last + pages.len() / 6) % (pages.len() / 3));
        let about_far = read.2.iter().filter(|d| d.contains(&format!("{far}.md")));
        assert!(
            about_far.clone().any(|d| d.contains(listed)),
            "{:?}",
            about_far.collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_anchor_key_is_sized_to_its_text() {
        let mut page = pages().swap_remove(1);
        page.id = "A-Concept-Page".into();
        // Written piece by piece, the key would outgrow the room the page id took and double it.
        let key = anchor_key(&page, "Claim");
        assert_eq!(key, "a-concept-page#claim");
        assert_eq!(key.capacity(), key.len());
    }

    #[test]
    fn links_found_by_their_exact_text_make_the_graph_the_index_alone_makes() {
        for pages in [pages(), pages_of(3)] {
            let by = |lookups| {
                let mut diags = Vec::new();
                let (graph, dangling) = build_from(Pages::Read(&pages), &[], lookups, &mut diags);
                summary(&graph, &diags, &dangling)
            };
            assert_eq!(by(Lookups::Quick), by(Lookups::IndexOnly));
        }
    }

    #[test]
    fn the_graph_and_its_diagnostics_do_not_depend_on_the_threads() {
        let pages = pages();
        let one = built_with(1, &pages);
        assert!(one.2.len() > 30, "the pages carry problems: {:?}", one.2);
        assert!(!one.3.is_empty(), "some thesis links dangle");
        for threads in [2, 4, 8] {
            assert_eq!(built_with(threads, &pages), one, "{threads} threads");
        }
    }

    #[test]
    fn pages_over_many_slices_enter_the_graph_whole_and_in_page_order() {
        let pages = pages_of(CHUNK * 2 / 3 + 1);
        assert!(pages.len() > 2 * CHUNK, "three slices at least");
        let one = built_with(1, &pages);
        assert_eq!(built_with(4, &pages), one);
        let mut diags = Vec::new();
        let graph = build(&pages, &mut diags);
        let files: Vec<u32> = graph.nodes().map(|(_, n)| n.loc.file).collect();
        assert!(
            files.windows(2).all(|w| w[0] <= w[1]),
            "nodes in page order"
        );
        let mut with_nodes = files.clone();
        with_nodes.dedup();
        assert_eq!(with_nodes.len(), pages.len(), "every page has its nodes");
        let claims: usize = pages.iter().map(|p| p.claims.len() + p.rows.len()).sum();
        // Each concept has two claims with one anchor, of which one gets no node.
        let concepts = pages.len() / 3;
        assert_eq!(graph.len(), pages.len() + claims - concepts);
    }

    #[test]
    fn an_empty_anchor_in_the_front_matter_names_no_claim() {
        let pages = [
            page::parsed_with_defaults(
                "concepts/c.md",
                "+++\nkind = \"concept\"\n+++\n# C\n\n- It runs at 24 fps. {#k1}\n  Evidence: strong\n",
            ),
            page::parsed_with_defaults(
                "theses/t.md",
                "+++\nkind = \"thesis\"\nscore = 0.5\ndepends_on = [\"c#\"]\n+++\n# T\n",
            ),
        ];
        let mut diags = Vec::new();
        let (_, dangling) = build_parts(&pages, &[], &mut diags);
        let codes: Vec<_> = diags.iter().map(|d| (d.code, d.line)).collect();
        assert_eq!(codes, [(Code::AnchorToNoClaim, 4)], "{diags:?}");
        assert_eq!(dangling.len(), 1);
    }

    #[test]
    fn node_keys_count_anchors_across_case_claims_and_rows() {
        let text = "# Some Concept\n\n## Key Claims\n\n- One. {#A}\n  Evidence: strong\n\
                    - Two. {#a}\n  Evidence: weak\n- Same words\n  Evidence: weak\n\
                    - Same words\n  Evidence: weak\n- Same words\n  Evidence: weak\n\
                    - Score at most. {#SCORE}\n  Evidence: weak\n\n\
                    | Metric | Value | Source |\n|---|---|---|\n| Score | 5% | x |\n| Score | 6% | x |\n";
        let page = page::parsed_with_defaults("concepts/Some-Concept.md", text);
        let mut diags = Vec::new();
        let (claims, rows) = node_keys(&page, &mut diags);
        let key = |k: &str| Some(format!("some-concept#{k}"));
        assert_eq!(
            claims,
            [
                key("a"),
                None,
                key("same-words"),
                key("same-words-2"),
                key("same-words-3"),
                key("score"),
            ]
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows, [None, None], "the rows' anchor is a claim's");
        let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::DuplicateAnchor; 3]);
    }

    proptest::proptest! {
        /// `lower` reads eight bytes at a time; it decides as a scan char by char does. Every
        /// ASCII byte, those next to the capitals (`@`, `[`) among them, and any length around
        /// a word's; then non-ASCII text, capitals in it or not.
        #[test]
        fn lower_agrees_with_a_scan_char_by_char(
            s in "[\u{0}-\u{7f}]{0,40}|[a-z@\\[]{0,20}[A-Z]?[a-z@\\[]{0,20}|[a-zA-Zéɐ-ɯÉΣσςǅİ \u{80}-\u{10ffff}]{0,20}",
        ) {
            use std::borrow::Cow;
            let upper = s.chars().any(char::is_uppercase);
            let lowered = lower(&s);
            proptest::prop_assert_eq!(matches!(lowered, Cow::Owned(_)), upper);
            let expected = if upper { s.to_lowercase() } else { s.clone() };
            proptest::prop_assert_eq!(lowered.as_ref(), expected.as_str());
        }
    }

    #[test]
    fn lower_borrows_what_is_lowercase_already_and_lowers_the_rest() {
        use std::borrow::Cow;
        for s in [
            "jepa", "c12#k3", "été", "Jepa", "C12#K3", "Été", "ÉTÉ", "jEPA",
        ] {
            assert_eq!(lower(s), s.to_lowercase(), "{s}");
            let borrowed = matches!(lower(s), Cow::Borrowed(_));
            assert_eq!(borrowed, s == s.to_lowercase(), "{s}");
        }
    }
}
