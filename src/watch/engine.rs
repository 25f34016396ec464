//! The watcher's engine: given the files of a batch with their new bytes (or their absence),
//! it updates pages, graph and verdicts incrementally and says what changed — verdicts whose
//! flag moved, theses whose warning block may need a write, diagnostics — without printing or
//! writing anything. `mod.rs` feeds it and acts on what it returns.
//!
//! Incrementality, in four tiers:
//! - **patch**: when every changed page keeps its structure (same id, title, kind, node keys and
//!   links — the usual edit of a claim's value or evidence), the page's nodes get their new
//!   states in place. Cost: one page parse plus the theses reached.
//! - **relink**: a thesis page whose links (or score) changed, and nothing else, has its edges
//!   replaced in place: every edge into a thesis node is one of its own links.
//! - **add**: new thesis and note pages that take no other page's name get their node and edges
//!   in place, resolved by `resolve::thesis_dependencies`.
//! - **splice**: pages of any kind added or removed, or changed in structure (claims added or
//!   renamed, a concept's links changed), while the resolver's name index can be kept in step
//!   exactly (no page takes a name another has, or drops one another bears): their nodes are
//!   removed, added or updated in place, and the edges of the changed pages and of the pages
//!   that name them (`mentions.rs`) are built again with `resolve::page_edges` (`splice.rs`).
//!   A link that lands nowhere now (a page cited by others deleted) is kept as the error a
//!   rebuild would find: evaluation is held back with the graph up to date, and the batch that
//!   fixes it is spliced too, evaluating what the held batches reached.
//! - **rebuild**: otherwise (a name taken over, a graph with errors being fixed) the graph is
//!   rebuilt from the kept pages with `resolve::build_parts` — no file is re-read or re-parsed
//!   — and the changed nodes are found by comparing each node's state with the previous
//!   graph's.
//!
//! Either way only the theses downstream of the changed nodes (in the old graph and in the new
//! one), or whose baseline names something on a changed page, are evaluated (`update.rs`). Bad
//! input never loses the last good graph: while a page or the links have errors, the engine
//! holds evaluation back and says so.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rescore_graph::propagate::downstream_theses;
use rescore_graph::{NodeIx, NodeKind};
use rustc_hash::FxHashMap;

use crate::cache::{Miss, Shelf};
use crate::diag::Diagnostic;
use crate::digest::Digest;
use crate::eval::{self, Evaluation, Status, Verdict};
use crate::load::{self, Parsed, Repo};
use crate::lock::Lock;
use crate::managed;
use crate::open;
use crate::page::{self, Page, PageKind, ParseContext};
use crate::pagefile::Reader;
use crate::resolve;
use crate::trees::Trees;

mod memo;
mod mentions;
mod splice;
mod update;

#[cfg(test)]
mod cache_tests;

use memo::TreeMemo;
use mentions::Mentions;

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
    /// How the graph was updated: unchanged, patched, relinked, added, spliced, rebuilt,
    /// reloaded, or kept.
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
    /// Every verdict evaluated.
    pub evaluated: Vec<Verdict>,
    /// The evaluated verdicts whose warning block may be out of date on disk: every one after
    /// a full evaluation, else those whose block changes (stale or not, or other causes), those
    /// of pages changed since the last evaluation, and those whose last write failed.
    pub blocks: Vec<Verdict>,
    pub held: Option<Held>,
    pub batch: Option<BatchSummary>,
}

/// What is known about one tracked page file.
struct FileState {
    digest: Digest,
    /// The bytes hold the begin marker of a warning block (`managed::WARNING_BEGIN`): without it a
    /// page holds no block to correct unless its thesis is stale, so a full evaluation need
    /// not read it again (a change since it was read comes as an event, whose batch reads it).
    marked: bool,
    /// Diagnostics from reading and parsing it alone.
    diags: Vec<Diagnostic>,
    /// The last load parsed the file afresh (the parse cache missed it): the page parsed from
    /// these bytes is left to the parse cache (`Engine::store_parsed`), in this shard of it
    /// (as `Shelf::take_digested` named it, kept so that a store need not hash every path).
    missed: Option<u8>,
}

impl FileState {
    fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }
}

pub struct Engine {
    /// Pages that parsed (sorted by path until pages are added or removed in place, which keep
    /// every other page's place and number, see `Repo::insert_page`), config, rules, and the
    /// last good graph.
    repo: Repo,
    lock: Lock,
    /// Every thesis link to a missing anchor or page, before the lock sorted them (see
    /// `Repo::settle_dangling`): a new lock sorts them again.
    dangling_all: Vec<resolve::Dangling>,
    /// The resolver's page index over `repo.pages`, kept in step page by page while that is
    /// exact (no page takes a name another has, or drops one another also bears); `None` once
    /// it is not, until it is built again.
    index: Option<resolve::Index>,
    /// Which pages name which, kept in step with `repo.pages`.
    mentions: Mentions,
    /// `index` and `mentions` are not built yet (see `index_names`).
    names_pending: bool,
    /// What the splice tier hands `resolve::page_edges`, kept for the next splice.
    edge_tables: splice::EdgeTables,
    /// Tree ids of the graph's nodes, kept across batches (cleared where the graph changes).
    memo: TreeMemo,
    /// Page paths (as verdicts write them) changed since the last evaluation, or whose block
    /// write failed: their blocks are read again when next evaluated.
    recheck: HashSet<String>,
    /// `BaselineIndex::new` of `lock`.
    by_page: BaselineIndex,
    /// Every tracked page file, parsed or not.
    files: BTreeMap<PathBuf, FileState>,
    /// Files whose own diagnostics hold an error.
    broken: BTreeSet<PathBuf>,
    /// The last good verdict of every thesis, by key.
    verdicts: FxHashMap<String, Verdict>,
    /// Theses reached by batches spliced in while the graph had link errors: evaluated with
    /// the batch that fixes them.
    carried: Vec<String>,
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
    /// Pages are read through the parse cache (at start and on a reload).
    cache: bool,
    /// The parse cache of the last load, until its misses are stored (`store_parsed`).
    shelf: Option<Shelf>,
    /// The misses of the last load (`FileState::missed`) are not yet told to `shelf`.
    misses_held: bool,
}

/// An engine and the diagnostics found on the way, or those that leave nothing to watch.
pub type Opened = Result<(Engine, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Parse-cache shards `Engine::store_parsed` writes at a time: about 5 ms each at 100k pages.
const STORE_SHARDS: usize = 8;

/// A repo loaded from disk with what the engine keeps per file.
struct Loaded {
    repo: Repo,
    files: BTreeMap<PathBuf, FileState>,
    /// The parse cache the pages were read through, holding the misses to store.
    shelf: Option<Shelf>,
}

/// The settings and the walk's pages.
struct Walked {
    config: crate::config::Config,
    rules: crate::rules::RuleSet,
    paths: Vec<PathBuf>,
    diags: Vec<Diagnostic>,
}

/// What the watcher's load guard asks of a load (see `watch::guard`): each folder is listed
/// only once it is watched, a settings file read only once writes to it are, and no page is
/// read before `walked` returns.
pub struct Guarding<'a> {
    pub before_listing: load::BeforeListing,
    pub before_reading: load::BeforeListing,
    pub walked: Box<dyn FnOnce() + 'a>,
}

/// Reads the settings and walks the pages. Unlike `load::load`, settings and walk errors stop
/// it: the watcher needs a repo to watch.
fn walk_tracked(root: &Path, guarding: Option<&Guarding>) -> Result<Walked, Vec<Diagnostic>> {
    if !root.is_dir() {
        return Err(vec![Diagnostic::no_root(
            root,
            "research repo root is not a folder",
        )]);
    }
    let before_reading = |folder: &Path| {
        if let Some(g) = guarding {
            (g.before_reading)(folder);
        }
    };
    before_reading(root);
    let config_text = load::read_config(root).map_err(|d| vec![d])?;
    let read = crate::settings::read_from(root);
    let read_rules = |p: &Path| {
        if let Some(folder) = root.join(p).parent() {
            before_reading(folder);
        }
        read(p)
    };
    let (config, rules) = load::settings(config_text.as_deref(), &read_rules)?;
    let (paths, diags) = match guarding {
        Some(g) => load::walk_guarded(root, &config, g.before_listing.clone()),
        None => load::walk(root, &config),
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Walked {
        config,
        rules,
        paths,
        diags,
    })
}

/// Loads the repo with the loader's steps, keeping each file's hash and own diagnostics, and
/// taking unchanged pages from the parse cache when `cache`.
/// `reads_done` is called once every page file has been read, before the graph is built.
fn load_tracked(
    root: &Path,
    cache: bool,
    guarding: Option<Guarding>,
    reads_done: impl FnOnce(),
) -> Result<Loaded, Vec<Diagnostic>> {
    let started = std::time::Instant::now();
    let walked = match guarding {
        Some(g) => {
            let walked = walk_tracked(root, Some(&g));
            (g.walked)();
            walked?
        }
        None => walk_tracked(root, None)?,
    };
    tracing::debug!(
        pages = walked.paths.len(),
        ms = started.elapsed().as_millis() as u64,
        "watch: walked"
    );
    Ok(read_tracked_pages(root, cache, walked, started, reads_done))
}

/// Reads and parses the walked pages and builds the graph.
fn read_tracked_pages(
    root: &Path,
    cache: bool,
    walked: Walked,
    started: std::time::Instant,
    reads_done: impl FnOnce(),
) -> Loaded {
    let Walked {
        config,
        rules,
        paths,
        diags: walk_diags,
    } = walked;
    let shelf = cache.then(|| load::shelf(root, &config, &rules).lean());
    let cx = ParseContext {
        folders: &config.folders,
        scale: &rules.scale,
    };
    // The walk's paths are sorted, so the file map is built in one bulk pass.
    let (states, parsed): (Vec<PageRead>, Vec<Parsed>) = paths
        .into_par_iter()
        .map_init(Reader::default, |reader, p| {
            let (parsed, seen, missed) = read_tracked(reader, root, &p, &cx, shelf.as_ref());
            let state = FileState {
                missed,
                ..file_state(seen, &parsed)
            };
            ((p, state), parsed)
        })
        .unzip();
    tracing::debug!(
        pages = states.len(),
        reused = shelf.as_ref().map_or(0, Shelf::taken),
        ms = started.elapsed().as_millis() as u64,
        "watch: read and parsed"
    );
    reads_done();
    // The file map is built beside the graph, whose build leaves a core idle at times. The
    // parse cache's misses stay in it until the watcher is idle (`Engine::store_parsed`, whose
    // first tick tells the shelf of them, 6–13 ms for 100k; the start used to, with a ticket
    // made for each).
    let (files, repo) = rayon::join(
        || states.into_iter().collect::<BTreeMap<PathBuf, FileState>>(),
        || load::assemble(root.to_path_buf(), config, rules, parsed, walk_diags),
    );
    Loaded { repo, files, shelf }
}

/// A page file as read: its path and what the engine keeps of it.
type PageRead = (PathBuf, FileState);

/// Reads one page file, through the parse cache when there is one: a page stored for these
/// very bytes is taken as it is, and a page parsed afresh is left to be stored when the watcher
/// is idle (`Engine::store_parsed`: encoding every page would slow a start on a cold cache).
/// With what the engine keeps of the bytes read, and the shard of a page the parse cache
/// missed (`FileState::missed`).
fn read_tracked(
    reader: &mut Reader,
    root: &Path,
    rel: &Path,
    cx: &ParseContext,
    shelf: Option<&Shelf>,
) -> (Parsed, Option<Seen>, Option<u8>) {
    let shelf = match shelf.map(|s| (s, s.empty_shard(rel))) {
        Some((shelf, None)) => shelf,
        // No parse cache, or nothing stored in the page's shard: read without the stamp, as a
        // miss is stored with the stamp its file has then (`Shelf::save_some`); 100k fewer
        // system calls on a cold cache.
        stampless => {
            let missed = stampless.and_then(|(_, shard)| shard);
            return match reader.read(root, rel) {
                Ok(bytes) => {
                    let seen = Seen::of(bytes);
                    (load::parse_file(rel, bytes, cx), Some(seen), missed)
                }
                Err(e) => (load::unreadable_file(rel, &e), None, None),
            };
        }
    };
    let (bytes, stamp) = match shelf.read(reader, rel) {
        Ok(read) => read,
        Err(e) => return (load::unreadable_file(rel, &e), None, None),
    };
    let seen = Seen::of(bytes);
    match shelf.take_digested(rel, stamp, seen.digest) {
        Ok(page) => {
            let parsed = Parsed {
                page: Some(page),
                diags: Vec::new(),
                lost: None,
            };
            (parsed, Some(seen), None)
        }
        Err(shard) => (load::parse_file(rel, bytes, cx), Some(seen), Some(shard)),
    }
}

/// The warning block's begin marker, searched for in every file read: built once, not per
/// file (building the searcher cost as much as the search).
static BEGIN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(managed::WARNING_BEGIN.as_bytes()));

/// What the engine keeps of a file's bytes (see `FileState`).
struct Seen {
    digest: Digest,
    marked: bool,
}

impl Seen {
    fn of(bytes: &[u8]) -> Seen {
        Seen {
            digest: Digest::of(bytes),
            marked: BEGIN.find(bytes).is_some(),
        }
    }
}

/// An unreadable file is kept as the hash of no bytes, and as possibly holding a block.
fn file_state(seen: Option<Seen>, parsed: &Parsed) -> FileState {
    let seen = seen.unwrap_or_else(|| Seen {
        digest: Digest::of(&[]),
        marked: true,
    });
    FileState {
        digest: seen.digest,
        marked: seen.marked,
        diags: parsed.diags.clone(),
        missed: None,
    }
}

/// A stable identity for a diagnostic, to show each graph diagnostic once.
/// Adds to `out` the diagnostics of `now` not shown before, and remembers `now` as shown: a
/// problem is printed when it appears, not again each batch it stays.
fn announce(shown: &mut HashSet<String>, now: &[Diagnostic], out: &mut Vec<Diagnostic>) {
    out.extend(now.iter().filter(|d| !shown.contains(&diag_id(d))).cloned());
    *shown = now.iter().map(diag_id).collect();
}

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

/// Makes `resolve::ROOM` in the page list and the graph, when they were built without it or
/// have grown into it.
fn make_room(pages: &mut Vec<Page>, graph: &mut rescore_graph::Graph) {
    let room = resolve::ROOM;
    pages.reserve_exact(room.pages);
    if graph.reserve(room.nodes, room.edges) {
        tracing::debug!("watch: the graph moved to make room");
    }
}

/// The page at place `at` with all of its material, which the graph may hold (the parse cache
/// stores whole pages).
fn whole_page(repo: &Repo, at: usize) -> Cow<'_, Page> {
    let p = &repo.pages[at];
    if !p.material_in_graph {
        return Cow::Borrowed(p);
    }
    let mut whole = p.clone();
    let number = [repo.number_of(at)];
    resolve::restore_material(std::slice::from_mut(&mut whole), &number, &repo.graph);
    Cow::Owned(whole)
}

/// A page path as verdicts write it.
fn verdict_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// What a verdict's warning block shows: its causes when stale, else no block.
fn block_of(v: &Verdict) -> Option<&[eval::Cause]> {
    (v.status == Status::Stale).then_some(v.causes.as_slice())
}

/// Whether two versions of a page are known by the same names (what the resolver's index holds).
fn same_names(a: &Page, b: &Page) -> bool {
    a.path == b.path
        && (a.kind == PageKind::Note) == (b.kind == PageKind::Note)
        && a.id.to_lowercase() == b.id.to_lowercase()
        && a.title.as_deref().map(str::to_lowercase) == b.title.as_deref().map(str::to_lowercase)
}

/// The page part of a node key: `page` of `page#anchor`.
fn page_part(key: &str) -> &str {
    key.split_once('#').map_or(key, |(p, _)| p)
}

/// Whether some baseline knows `key`: asked of the baselines that name its page, not of all.
fn known_key(by_page: &BaselineIndex, lock: &Lock, key: &str) -> bool {
    by_page.of(page_part(key)).iter().any(|t| {
        lock.thesis
            .get(t)
            .is_some_and(|b| b.against.contains_key(key))
    })
}

/// `Repo::settle_dangling`, with `by_page` (the lock's `BaselineIndex`) to look keys up.
fn settle(repo: &mut Repo, by_page: &BaselineIndex, lock: &Lock) {
    let known = |key: &str| known_key(by_page, lock, key);
    repo.dangling = load::settle_by(std::mem::take(&mut repo.dangling), &known, &mut repo.diags);
}

/// Which theses' baselines name something on a page, by the page's key: what a change on that
/// page can reach besides the edges (a dependency a thesis unlinked and that is now gone, a
/// claim renamed and paired with its old self). Pages are keyed by a 64-bit hash of their key
/// (`mentions::hashed`), not a copy of it: two keys sharing a hash only add theses to look at.
#[derive(Default)]
struct BaselineIndex(FxHashMap<u64, Vec<String>>);

impl BaselineIndex {
    fn new(lock: &Lock) -> BaselineIndex {
        let mut by_page: FxHashMap<u64, Vec<String>> = FxHashMap::default();
        for (t, base) in &lock.thesis {
            let mut pages: Vec<u64> = base
                .against
                .keys()
                .map(|k| mentions::hashed(page_part(k)))
                .collect();
            pages.sort_unstable();
            pages.dedup();
            for p in pages {
                by_page.entry(p).or_default().push(t.clone());
            }
        }
        by_page.values_mut().for_each(|v| v.shrink_to_fit());
        BaselineIndex(by_page)
    }

    /// The theses whose baselines name something on `page` (a page key).
    fn of(&self, page: &str) -> &[String] {
        self.0
            .get(&mentions::hashed(page))
            .map_or(&[], Vec::as_slice)
    }
}

impl Engine {
    /// Loads the repo at `root` and the lock, taking unchanged pages from the parse cache when
    /// `cache`. Returns the engine and the diagnostics found on the way (sorted by place), or
    /// the diagnostics that leave nothing to watch.
    pub fn open(root: &Path, cache: bool) -> Opened {
        Engine::open_guarded(root, cache, None, || ())
    }

    /// `open` under the watcher's load guard (`guarding`), calling `reads_done` once every
    /// page file has been read (the watcher starts notify's watch then, beside the graph
    /// build). The lock is read from that moment on, on a thread of its own, as `check` reads
    /// it.
    pub fn open_guarded(
        root: &Path,
        cache: bool,
        guarding: Option<Guarding>,
        reads_done: impl FnOnce(),
    ) -> Opened {
        let read_lock = || {
            let lock = Lock::read(root)?.unwrap_or_else(Lock::new);
            let by_page = BaselineIndex::new(&lock);
            Ok((lock, by_page))
        };
        std::thread::scope(|s| {
            let (go, reader) = open::when_told(s, read_lock);
            let loaded = load_tracked(root, cache, guarding, move || {
                let _ = go.send(());
                reads_done();
            });
            let read = move || open::joined(reader).unwrap_or_else(read_lock);
            Engine::start(loaded?, read, cache)
        })
    }

    /// An engine on pages already read, for callers that hold files in memory (tests): every
    /// file goes through the same per-file step as a batch.
    pub fn from_files(
        root: &Path,
        config_text: Option<&str>,
        read_rules: &dyn Fn(&Path) -> Option<String>,
        files: Vec<(PathBuf, Vec<u8>)>,
        lock: Lock,
    ) -> Opened {
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
            let seen = Seen::of(&bytes);
            let one = load::parse_file(&p, &bytes, &cx);
            states.insert(p, file_state(Some(seen), &one));
            parsed.push(one);
        }
        let repo = load::assemble(root.to_path_buf(), config, rules, parsed, Vec::new());
        let loaded = Loaded {
            repo,
            files: states,
            shelf: None,
        };
        Engine::start(
            loaded,
            || {
                let by_page = BaselineIndex::new(&lock);
                Ok((lock, by_page))
            },
            false,
        )
    }

    /// The engine on a loaded repo, with the lock and its baselines by page that `read_lock`
    /// gives (read beside the graph build, it has mostly been read by then). Every node's tree
    /// id is computed first, so the first evaluation finds every id computed. The name index and
    /// the mentions, which only batches use, are left to `index_names`.
    fn start(
        loaded: Loaded,
        read_lock: impl FnOnce() -> Result<(Lock, BaselineIndex), Diagnostic>,
        cache: bool,
    ) -> Opened {
        let started = std::time::Instant::now();
        let Loaded {
            mut repo,
            files,
            shelf,
        } = loaded;
        make_room(&mut repo.pages, &mut repo.graph);
        let trees = Trees::eager_for_theses(&repo.graph);
        let (lock, by_page) = read_lock().map_err(|d| vec![d])?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "watch: tree ids computed and the lock read"
        );
        let dangling_all = repo.dangling.clone();
        settle(&mut repo, &by_page, &lock);
        let mut e = Engine {
            index: None,
            mentions: Mentions::default(),
            names_pending: true,
            edge_tables: splice::EdgeTables::default(),
            memo: TreeMemo::seeded(trees),
            recheck: HashSet::new(),
            carried: Vec::new(),
            by_page,
            dangling_all,
            repo,
            lock,
            files: BTreeMap::new(),
            broken: BTreeSet::new(),
            verdicts: FxHashMap::default(),
            dirty: BTreeSet::new(),
            full_pending: true,
            reload_pending: false,
            shown: HashSet::new(),
            held_back: false,
            cache,
            misses_held: shelf.is_some(),
            shelf,
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
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "watch: engine built"
        );
        Ok((e, diags))
    }

    /// Stores in the parse cache some of the pages the last load parsed afresh, those whose file
    /// the engine still holds as read then (not rewritten since) and that parsed without a
    /// problem: `STORE_SHARDS` shards a call, so an edit coming meanwhile waits tens of ms, not
    /// the second or two all of them take at 100k pages. A no-op once all are stored, or
    /// without the cache. Called when the watcher is idle, so a cold cache slows neither the
    /// start nor the first edits; the next start takes them. The first call after a load only
    /// hands the load's misses to the parse cache.
    pub fn store_parsed(&mut self) {
        let Some(shelf) = &mut self.shelf else {
            return;
        };
        let started = std::time::Instant::now();
        if std::mem::take(&mut self.misses_held) {
            for shard in self.files.values().filter_map(|f| f.missed) {
                shelf.missed(shard);
            }
            // After the misses: a shard with nothing to write is let go here, and one read
            // again later would drop the entries of the pages this load took from it.
            shelf.loaded();
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "watch: parse cache misses told"
            );
            return;
        }
        let (files, repo) = (&self.files, &self.repo);
        // The misses are handed over as their shards are written: 100k of them held from the
        // start (path, stamp and digest each) were 10–15 MB of the watcher's peak.
        let misses = |due: &dyn Fn(u8) -> bool| {
            files
                .iter()
                .filter_map(|(path, f)| {
                    let shard = f.missed.filter(|&s| due(s))?;
                    Some(Miss {
                        path: path.clone(),
                        digest: f.digest,
                        shard,
                    })
                })
                .collect()
        };
        let done = shelf.save_some(STORE_SHARDS, misses, |path, digest| {
            let same = files
                .get(path)
                .is_some_and(|f| f.digest == *digest && f.diags.is_empty());
            let at = repo.page_slot(path).filter(|_| same)?;
            Some(whole_page(repo, at))
        });
        if done {
            self.shelf = None;
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            done,
            "watch: parse cache stored"
        );
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The last good verdict of every thesis evaluated so far, by thesis key.
    pub fn verdicts(&self) -> &FxHashMap<String, Verdict> {
        &self.verdicts
    }

    /// Whether evaluation is held back by errors (in a page, or in the links between pages).
    pub fn held_back(&self) -> bool {
        self.held_back
    }

    /// Where the structures the engine keeps in step batch by batch differ from ones built
    /// afresh from its pages, graph and lock; empty when none does. For tests: it costs a
    /// full pass over the repo.
    #[doc(hidden)]
    pub fn drift(&mut self) -> Vec<String> {
        self.index_names();
        let pages = &self.repo.pages;
        let mut out = self.mentions.drift(pages);
        if let Some(index) = &self.index {
            let mut scratch = Vec::new();
            let (fresh, _) = resolve::Index::new(pages, &mut scratch);
            for p in pages {
                for n in mentions::borne(p) {
                    if index.by_name(pages, &n) != fresh.by_name(pages, &n) {
                        out.push(format!("the name index sends `{n}` elsewhere"));
                    }
                }
                let path = p.path.to_string_lossy();
                let path = page::Target::Path { path: &path };
                if index.page(pages, &path, 0) != fresh.page(pages, &path, 0) {
                    out.push(format!("the name index lost {}", p.path.display()));
                }
            }
        }
        out.extend(self.memo.drift(&self.repo.graph));
        out
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

    /// Builds the resolver's name index and the mentions, unless they are built. `start` leaves
    /// them out: the first evaluation does not use them, so the watcher builds them once it has
    /// reported the start (about 0.2 s at 100k pages), and a batch that comes first builds them
    /// before it is applied.
    pub fn index_names(&mut self) {
        if !std::mem::replace(&mut self.names_pending, false) {
            return;
        }
        let started = std::time::Instant::now();
        let pages = &self.repo.pages;
        let (index, mentions) = rayon::join(
            || {
                let mut scratch = Vec::new();
                let index = resolve::Index::new(pages, &mut scratch).0;
                scratch.is_empty().then_some(index)
            },
            || Mentions::new(pages),
        );
        self.index = index;
        self.mentions = mentions;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "watch: name index and mentions built"
        );
    }

    /// Builds what "did you mean" hints for links to missing pages look among in the name
    /// index, unless it is built (see `resolve::Index::warm_hints`). Called once the start is
    /// reported, so the first broken link does not wait for it.
    pub fn warm_hints(&mut self) {
        let Some(index) = &self.index else {
            return;
        };
        let started = std::time::Instant::now();
        if index.warm_hints(&self.repo.pages) {
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "watch: name hints built"
            );
        }
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
        let eval = self.evaluate_all();
        self.settle(eval.verdicts, true, &mut r);
        r
    }

    /// Every thesis evaluated, with the kept tree ids.
    fn evaluate_all(&mut self) -> Evaluation {
        let started = std::time::Instant::now();
        let trees = self.memo.trees_for_all(&self.repo.graph);
        let eval = eval::evaluate_with(&self.repo, &self.lock, None, &|_| None, trees);
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "watch: every thesis evaluated"
        );
        eval
    }

    /// Applies one batch: the page files that changed, with their bytes now, and the lock when
    /// `rescore.lock` changed.
    pub fn apply(&mut self, files: Vec<(PathBuf, FileNow)>, lock: Option<Lock>) -> Report {
        self.index_names();
        let started = std::time::Instant::now();
        let mut r = Report::default();
        let mut eval_all = false;
        if let Some(l) = lock {
            if l != self.lock {
                tracing::debug!("watch: rescore.lock changed: every thesis");
                self.lock = l;
                self.by_page = BaselineIndex::new(&self.lock);
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
            let slot = self.repo.page_slot(&rel);
            let (fs, page) = match now {
                FileNow::Gone => {
                    if self.files.remove(&rel).is_none() {
                        continue;
                    }
                    self.broken.remove(&rel);
                    let old = slot.map(|i| {
                        let old = self.repo.remove_page(i);
                        self.unindex(i, &old);
                        self.mentions.remove(&old);
                        old
                    });
                    old_pages.entry(rel.clone()).or_insert(old);
                    tracing::debug!(path = %rel.display(), "watch: page removed");
                    changed.push(rel);
                    continue;
                }
                FileNow::Bytes(bytes) => {
                    let seen = Seen::of(&bytes);
                    if self
                        .files
                        .get(&rel)
                        .is_some_and(|f| f.digest == seen.digest)
                    {
                        continue; // unchanged: a touch, or our own write
                    }
                    let cx = ParseContext {
                        folders: &self.repo.config.folders,
                        scale: &self.repo.rules.scale,
                    };
                    let p = load::parse_file(&rel, &bytes, &cx);
                    (file_state(Some(seen), &p), p.page)
                }
                FileNow::Unreadable(e) => {
                    let p = load::unreadable_file(&rel, &e);
                    let fs = file_state(None, &p);
                    if self.files.get(&rel).is_some_and(|f| f.digest == fs.digest) {
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
                (Some(i), Some(p)) => {
                    let renamed = !same_names(&self.repo.pages[i], &p);
                    let old = std::mem::replace(&mut self.repo.pages[i], p);
                    if renamed {
                        self.rename_in_index(i, &old);
                    }
                    self.mentions.remove(&old);
                    self.mentions.add(&self.repo.pages[i]);
                    Some(old)
                }
                (Some(i), None) => {
                    let old = self.repo.remove_page(i);
                    self.unindex(i, &old);
                    self.mentions.remove(&old);
                    Some(old)
                }
                (None, Some(p)) => {
                    let i = self.repo.insert_page(p);
                    self.reindex(i);
                    self.mentions.add(&self.repo.pages[i]);
                    None
                }
                (None, None) => None,
            };
            old_pages.entry(rel.clone()).or_insert(old);
            tracing::debug!(path = %rel.display(), "watch: page changed");
            changed.push(rel);
        }
        self.recheck.extend(changed.iter().map(|p| verdict_path(p)));
        if changed.is_empty() && !eval_all {
            return r;
        }
        if self.index.is_none() {
            // The index is built anew from the pages, which must be in path order for it.
            self.repo.sort_pages();
        }
        let files = changed.len();
        let parsed = started.elapsed();
        // The index was kept in step exactly through this batch (a tier that builds it anew
        // does not make it so for the batch).
        let names_exact = self.index.is_some();
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
            self.patch(&changed, &old_pages)
                .or_else(|| {
                    graph = "relinked";
                    self.relink(&changed, &old_pages, &mut r)
                })
                .or_else(|| {
                    graph = "added";
                    self.add_pages(&changed, &old_pages)
                })
                .or_else(|| {
                    graph = "spliced";
                    match self.splice(&changed, &old_pages, names_exact, &mut r) {
                        splice::Spliced::Done(seeds) => Some(seeds),
                        splice::Spliced::Declined => None,
                        splice::Spliced::Spoilt => {
                            // Built anew from the pages, every thesis evaluated (or held).
                            self.full_pending = true;
                            None
                        }
                    }
                })
        } else {
            None
        };
        let (mut chosen, full) = match patched {
            Some(seeds) => {
                self.shed_material(&changed);
                tracing::debug!(seeds = seeds.len(), graph, "watch: graph updated in place");
                let g = &self.repo.graph;
                let chosen = downstream_theses(g, &seeds);
                if !self.graph_ok() {
                    // The graph is up to date but has link errors: held back, and what this
                    // batch reached is evaluated once they are fixed.
                    self.carried
                        .extend(chosen.iter().map(|&t| g.node(t).key.clone()));
                    self.dirty.clear();
                    self.hold(files, &mut r);
                    return r;
                }
                (chosen, false)
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
        let graphed = started.elapsed();
        let g = &self.repo.graph;
        let carried = self.carried.drain(..).filter_map(|k| g.get(&k));
        chosen.extend(carried.filter(|&t| g.node(t).kind == NodeKind::Thesis));
        let full = full || eval_all;
        let evaluated = if full {
            self.full_pending = false;
            let eval = self.evaluate_all();
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
                let trees = self.memo.trees(g);
                eval::evaluate_with(&self.repo, &self.lock, Some(&set), &known, trees)
            };
            let n = eval.verdicts.len();
            self.settle(eval.verdicts, false, &mut r);
            n
        };
        self.dirty.clear();
        tracing::debug!(
            parse_us = parsed.as_micros() as u64,
            graph_us = (graphed - parsed).as_micros() as u64,
            eval_us = (started.elapsed() - graphed).as_micros() as u64,
            graph,
            theses = evaluated,
            "watch: batch applied"
        );
        r.batch = Some(BatchSummary {
            files,
            graph,
            theses: Some(evaluated),
            full,
        });
        r
    }

    /// Drops page `old`, which was at place `i` and has left the list (the last page took its
    /// place), from the index; it is still counted among the pages that bear its names. The
    /// index is dropped when another page bears one of its names (that page takes the name
    /// over).
    fn unindex(&mut self, i: usize, old: &Page) {
        let Some(index) = &mut self.index else { return };
        index.swap_remove_page(i, old);
        self.drop_if_borne(old);
    }

    /// Adds page `i`, the last in the list, to the index; the index is dropped when a name it
    /// takes is taken.
    fn reindex(&mut self, i: usize) {
        debug_assert_eq!(i + 1, self.repo.pages.len(), "a page joins at the end");
        if let Some(index) = &mut self.index {
            if !index.push_page(&self.repo.pages) {
                self.index = None;
            }
        }
    }

    /// The page at place `i` is known by other names than `old`'s (still counted among the
    /// pages that bear them): the index follows, or is dropped as by `unindex` and `reindex`.
    fn rename_in_index(&mut self, i: usize, old: &Page) {
        let Some(index) = &mut self.index else { return };
        if !index.rename_page(&self.repo.pages, i, old) {
            self.index = None;
            return;
        }
        self.drop_if_borne(old);
    }

    /// Drops the index when another page bears one of `old`'s names.
    fn drop_if_borne(&mut self, old: &Page) {
        if mentions::borne(old)
            .iter()
            .any(|n| self.mentions.bearers(n) > 1)
        {
            self.index = None;
        }
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

    /// Reloads everything (settings, rules, every page) from disk after a settings change or
    /// an overflowed event queue, with the lock as it is now.
    pub fn reload(&mut self, lock: Option<Lock>, paths: usize) -> Report {
        tracing::debug!("watch: full reload");
        let mut r = Report::default();
        let loaded = match load_tracked(&self.repo.root, self.cache, None, || ()) {
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
            self.by_page = BaselineIndex::new(&self.lock);
        }
        let Loaded {
            mut repo,
            files,
            shelf,
        } = loaded;
        self.misses_held = shelf.is_some();
        self.shelf = shelf;
        let dangling_all = repo.dangling.clone();
        settle(&mut repo, &self.by_page, &self.lock);
        // Diagnostics of files that changed (or appeared) since they were last read.
        r.diags.extend(
            files
                .iter()
                .filter(|(p, f)| self.files.get(*p).is_none_or(|old| old.digest != f.digest))
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
        self.repo.renumber();
        self.index = None;
        self.mentions = Mentions::new(&self.repo.pages);
        self.names_pending = false;
        self.full_pending = true;
        self.dirty.clear();
        announce(&mut self.shown, &diags, &mut r.diags);
        if !self.broken.is_empty() || diags.iter().any(Diagnostic::is_error) {
            // Keep the last good graph until the new pages prove good, and the pages whole:
            // the new graph, numbering them by place, goes.
            let by_place: Vec<u32> = (0..self.repo.pages.len() as u32).collect();
            resolve::restore_material(&mut self.repo.pages, &by_place, &graph);
            self.hold(paths, &mut r);
            return r;
        }
        self.repo.graph = graph;
        make_room(&mut self.repo.pages, &mut self.repo.graph);
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        self.dangling_all = dangling_all;
        self.fresh_index();
        self.full_pending = false;
        self.carried.clear();
        self.memo = TreeMemo::blank(&self.repo.graph);
        let eval = self.evaluate_all();
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
        if all && !self.verdicts.is_empty() {
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
        // After a full evaluation a page whose thesis is not stale needs its block looked at
        // only if it may hold one. A lookup in `files`, ordered by path, compares paths
        // component by component dozens of times, once per thesis (25k at 100k pages), so the
        // marks are looked up by the path's bytes; a path the verdict writes otherwise (`\` on
        // Windows) is not found, and its page is looked at.
        let marks: FxHashMap<&[u8], bool> = if all {
            self.files
                .iter()
                .map(|(p, f)| (p.as_os_str().as_encoded_bytes(), f.marked))
                .collect()
        } else {
            FxHashMap::default()
        };
        let may_hold = |v: &Verdict| {
            block_of(v).is_some() || marks.get(v.path.as_bytes()).is_none_or(|&marked| marked)
        };
        // In parallel: after a full evaluation, one file lookup per thesis (25k at 100k pages).
        r.blocks = verdicts
            .par_iter()
            .filter(|v| {
                self.recheck.contains(&v.path)
                    || if all {
                        may_hold(v)
                    } else {
                        self.verdicts
                            .get(&v.thesis)
                            .is_none_or(|p| block_of(p) != block_of(v))
                    }
            })
            .cloned()
            .collect();
        self.recheck.clear();
        let kept: Vec<(String, Verdict)> = verdicts
            .par_iter()
            .map(|v| (v.thesis.clone(), v.clone()))
            .collect();
        self.verdicts.extend(kept);
        r.evaluated = verdicts;
    }

    /// The pages whose warning block could not be written: read again when next evaluated.
    pub fn write_failed(&mut self, paths: Vec<PathBuf>) {
        self.recheck.extend(paths.iter().map(|p| verdict_path(p)));
    }

    /// Remembers the pages the watcher wrote, with the text written: their events will hash
    /// the same and be dropped.
    pub fn wrote(&mut self, written: &[(PathBuf, String)]) {
        let cx = ParseContext {
            folders: &self.repo.config.folders,
            scale: &self.repo.rules.scale,
        };
        // Re-parsed so positions below the block stay right; the block is not material.
        let parsed: Vec<Option<Page>> = written
            .par_iter()
            .map(|(rel, text)| page::parse(rel, text, &cx).0)
            .collect();
        for ((rel, text), p) in written.iter().zip(parsed) {
            if let Some(f) = self.files.get_mut(rel) {
                let seen = Seen::of(text.as_bytes());
                (f.digest, f.marked) = (seen.digest, seen.marked);
            }
            if let (Some(mut p), Some(i)) = (p, self.repo.page_slot(rel)) {
                resolve::shed_material(&mut p, self.repo.number_of(i), &self.repo.graph);
                self.repo.pages[i] = p;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rescore_graph::NodeIx;

    use super::*;

    #[test]
    fn theses_are_found_by_the_pages_their_baselines_name() {
        let mut lock = Lock::new();
        let baseline = |keys: &[&str]| crate::lock::Baseline {
            score: 0.5,
            was: Vec::new(),
            against: keys.iter().map(|k| (k.to_string(), 0)).collect(),
        };
        lock.thesis
            .insert("t1".into(), baseline(&["gwm#a", "gwm#b", "genie"]));
        lock.thesis.insert("t2".into(), baseline(&["gwm#c"]));
        let by_page = BaselineIndex::new(&lock);
        assert_eq!(
            by_page.of("gwm"),
            ["t1", "t2"],
            "t1 once for its two claims"
        );
        assert_eq!(by_page.of("genie"), ["t1"]);
        assert!(by_page.of("gwm#a").is_empty() && by_page.of("other").is_empty());
        assert!(known_key(&by_page, &lock, "gwm#b"));
        assert!(!known_key(&by_page, &lock, "gwm#d"));
    }

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models")
    }

    /// The node states of `g` by key.
    fn states(g: &rescore_graph::Graph) -> HashMap<String, rescore_graph::MaterialState> {
        g.nodes()
            .map(|(_, n)| (n.key.clone(), n.state.clone()))
            .collect()
    }

    #[test]
    fn the_graph_holds_the_material_of_concepts_and_sources_and_a_rebuild_restores_it_first() {
        let (mut e, _) =
            Engine::open(&example(), false).unwrap_or_else(|_| panic!("the example opens"));
        let fresh = crate::load::load(&example()).unwrap_or_else(|_| panic!("it loads"));
        let lean = |p: &Page| p.material_in_graph && p.claims.iter().any(|c| c.material.is_none());
        for p in &e.repo.pages {
            match p.kind {
                PageKind::Concept => assert!(lean(p), "{}", p.path.display()),
                _ => assert!(!p.material_in_graph, "{}", p.path.display()),
            }
        }
        // What the parse cache is given is the page as parsed.
        for p in &fresh.pages {
            let whole = whole_page(&e.repo, e.repo.page_slot(&p.path).expect("kept"));
            let material = |p: &Page| {
                let claims: Vec<_> = p
                    .claims
                    .iter()
                    .map(|c| (c.id.clone(), c.material.clone()))
                    .collect();
                let rows: Vec<_> = p
                    .rows
                    .iter()
                    .map(|r| (r.id.clone(), r.value.clone()))
                    .collect();
                (claims, rows)
            };
            assert!(
                material(p) == material(&whole) && !whole.material_in_graph,
                "{}",
                p.path.display()
            );
        }
        let before = states(&e.repo.graph);
        assert_eq!(before, states(&fresh.graph));
        e.full_pending = true;
        let r = &mut Report::default();
        assert!(e.rebuild(r).is_some());
        assert_eq!(states(&e.repo.graph), before);
        assert!(e
            .repo
            .pages
            .iter()
            .all(|p| p.kind != PageKind::Concept || lean(p)));
        // A second rebuild finds the material the first one moved.
        assert!(e.rebuild(r).is_some());
        assert_eq!(states(&e.repo.graph), before);
    }

    const CONCEPT: &str = "+++\nkind = \"concept\"\n+++\n# C\n\n## Key Claims\n\n\
                           - Alpha reaches 40% on the suite. {#a}\n  Evidence: strong\n";

    /// An unscored thesis page on the concept's claim, with a block a former verdict left.
    fn thesis(i: usize, block: bool) -> String {
        let block = if block {
            format!(
                "{}\n> [!WARNING]\n> **Re-score needed.**\n{}\n\n",
                managed::WARNING_BEGIN,
                managed::WARNING_END
            )
        } else {
            String::new()
        };
        format!("+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T{i}\n\n{block}- Rests on [[c#a]]\n")
    }

    fn listed(r: &Report) -> Vec<String> {
        r.blocks.iter().map(|v| v.path.clone()).collect()
    }

    #[test]
    fn a_full_evaluation_lists_only_the_blocks_that_may_be_out_of_line() {
        let files = vec![
            ("concepts/c.md".into(), CONCEPT.into()),
            ("theses/t0.md".into(), thesis(0, false).into_bytes()),
            ("theses/t1.md".into(), thesis(1, true).into_bytes()),
        ];
        let no_rules = |_: &Path| None;
        let (mut e, _) = Engine::from_files(Path::new("."), None, &no_rules, files, Lock::new())
            .unwrap_or_else(|_| panic!("the repo opens"));
        let r = e.initial();
        assert_eq!(r.evaluated.len(), 2);
        assert!(r.evaluated.iter().all(|v| block_of(v).is_none()));
        // t0 holds no block and needs none: a full evaluation leaves it unread.
        assert_eq!(listed(&r), ["theses/t1.md"]);

        // The watcher takes t1's block out, then a block is pasted into t0: a full evaluation
        // goes by what each page holds now.
        e.wrote(&[("theses/t1.md".into(), thesis(1, false))]);
        let pasted = FileNow::Bytes(thesis(0, true).into_bytes());
        let r = e.apply(vec![("theses/t0.md".into(), pasted)], None);
        assert_eq!(listed(&r), ["theses/t0.md"]);
        let r = e.initial();
        assert_eq!(listed(&r), ["theses/t0.md"]);
    }

    #[test]
    fn the_tree_ids_computed_while_the_lock_is_read_are_the_ids_check_computes() {
        let (mut e, _) =
            Engine::open(&example(), false).unwrap_or_else(|_| panic!("the example opens"));
        // Before the first evaluation, the id of everything a thesis rests on is there already.
        let kept = e.memo.kept();
        let drift = e.drift();
        assert!(drift.is_empty(), "{drift:?}");
        let g = &e.repo.graph;
        assert!(!g.is_empty());
        for (t, n) in g.nodes().filter(|(_, n)| n.kind == NodeKind::Thesis) {
            for (d, _) in g.incoming(t).filter(|(_, e)| e.kind.propagates()) {
                assert!(kept[d.index()].is_some(), "{} rests on {d:?}", n.key);
            }
        }
        let seeded: HashMap<&str, Option<u64>> = g
            .nodes()
            .map(|(ix, n)| (n.key.as_str(), kept[ix.index()]))
            .collect();
        let checked =
            crate::open::repo_with_trees(&example(), &crate::load::Unobserved, false, None);
        let (repo, _, trees) = checked.unwrap_or_else(|_| panic!("the example opens"));
        assert_eq!(repo.graph.len(), g.len());
        for i in 0..repo.graph.len() {
            let ix = NodeIx::new(i);
            let key = repo.graph.node(ix).key.as_str();
            if let Some(id) = seeded[key] {
                assert_eq!(id, trees.id(&repo.graph, ix), "{key}");
            }
        }
    }
}
