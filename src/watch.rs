//! `rescore watch`: a background watcher on the research repo. On every debounced batch of
//! file events it re-parses only the pages that changed, finds the nodes whose material state
//! changed, re-evaluates only the theses downstream of them, prints one line per flag raised,
//! cleared or turned pending, and brings the managed warning blocks of those theses in line.
//!
//! Incrementality, in two tiers:
//! - **patch**: when every changed page keeps its structure (same id, title, kind, node keys and
//!   links — the usual edit of a claim's value or evidence), the graph is patched in place: the
//!   page's nodes get their new states. Cost: one page parse plus the theses reached.
//! - **rebuild**: otherwise (pages added, removed, renamed, links changed) the graph is rebuilt
//!   from the kept pages with `resolve::build` — no file is re-read or re-parsed — and the
//!   changed nodes are found by comparing each node's state with the previous graph's.
//!
//! Either way only the theses downstream of the changed nodes (in the old graph and in the new
//! one) are evaluated. `rescore.toml`, rule files, `.gitignore` changes and event-queue
//! overflows reload everything; a changed `rescore.lock` re-evaluates every thesis.
//!
//! No feedback loop: the content hash of every tracked file is kept, and an event whose file
//! still hashes the same (such as the watcher's own block writes, or a `touch`) is dropped.
//! Bad input never stops the watcher: the diagnostics are printed and the last good graph and
//! verdicts are kept until the input is fixed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, ModifyKind};
use notify_debouncer_full::notify::{
    self, Event, EventHandler, EventKind, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, RecommendedCache};
use rayon::prelude::*;
use rescore_graph::propagate::downstream_theses;
use rescore_graph::{Edge, EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind};
use serde_json::json;

use crate::config::FILE_NAME as CONFIG_FILE;
use crate::diag::{Code, Diagnostic, Pos};
use crate::eval::{self, Evaluation, Status, Verdict};
use crate::failure::Failure;
use crate::format::TextOrJson;
use crate::load::{self, Repo};
use crate::lock::{self, Lock};
use crate::page::{self, Link, Page, PageKind, ParseContext, Role, Target};
use crate::report;
use crate::resolve;
use crate::wording;
use crate::writeback;

/// What the command line asks of the watcher.
pub struct Options {
    pub format: Option<TextOrJson>,
    pub quiet: bool,
    /// Report, and write nothing.
    pub dry_run: bool,
    /// Quiet period before a burst of file events is evaluated as one.
    pub debounce_ms: u64,
}

/// `rescore watch`: runs until Ctrl-C / SIGTERM (exit 0) or until the root disappears (exit 2).
pub fn run(opts: &Options, root: &Path) -> Result<i32, Failure> {
    let debounce_ms = opts.debounce_ms;
    let out = Out {
        json: opts.format == Some(TextOrJson::Json),
        format: opts.format,
        quiet: opts.quiet,
        root: root.to_path_buf(),
    };
    let started = Instant::now();
    let abs_root = root.canonicalize().map_err(|e| {
        Failure::Diagnostics(vec![no_root(
            root,
            &format!("cannot open the research repo: {e}"),
        )])
    })?;
    if !abs_root.is_dir() {
        return Err(Failure::Diagnostics(vec![no_root(
            root,
            "research repo root is not a folder",
        )]));
    }

    let (tx, rx) = mpsc::channel::<Msg>();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (stop, tx) = (stop.clone(), tx.clone());
        if let Err(e) = ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            let _ = tx.send(Msg::Stop);
        }) {
            tracing::warn!("cannot install the Ctrl-C / SIGTERM handler: {e}");
        }
    }

    // Watch first, then load: an edit made while a large repo loads is not lost.
    let debounce = Duration::from_millis(debounce_ms.max(1));
    let tick = (debounce / 4).max(Duration::from_micros(500)).min(debounce);
    let events_tx = tx.clone();
    let mut debouncer = new_debouncer_opt::<_, Tap, RecommendedCache>(
        debounce,
        Some(tick),
        move |r: DebounceEventResult| {
            let _ = events_tx.send(Msg::Events(r));
        },
        RecommendedCache::new(),
        notify::Config::default(),
    )
    .map_err(|e| Failure::Usage(format!("cannot start the file watcher: {e}")))?;
    debouncer
        .watch(&abs_root, RecursiveMode::Recursive)
        .map_err(|e| {
            Failure::Usage(format!(
                "cannot watch {}: {e} (on Linux, raise fs.inotify.max_user_watches)",
                root.display()
            ))
        })?;

    let mut state = match State::load(root, &abs_root, opts.dry_run, &out) {
        Ok(s) => s,
        Err(diags) => return Err(Failure::Diagnostics(diags)),
    };
    if !opts.dry_run {
        state.sweep_temps();
    }
    let ms = started.elapsed().as_millis() as u64;
    if out.json {
        out.emit(json!({
            "event": "ready",
            "root": root.display().to_string(),
            "pages": state.repo.pages.len(),
            "elapsed_ms": ms,
        }));
    } else if !out.quiet {
        out.line(&format!(
            "watching {}: {} pages loaded in {ms} ms",
            root.display(),
            state.repo.pages.len()
        ));
    }
    state.initial(&out);

    let code = loop {
        if stop.load(Ordering::SeqCst) {
            break 0;
        }
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(Msg::Stop) => break 0,
            Ok(Msg::Events(r)) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !abs_root.is_dir() {
                    break state.root_gone(&out);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break 0,
        };
        let mut batch = Batch::default();
        batch.add(first);
        let mut arrived = Instant::now();
        // The debouncer releases each path once it has been quiet for `debounce`; a bulk change
        // (git checkout) can straddle two of its ticks. Keep collecting while any raw event is
        // younger than the debounce, so one bulk change is one evaluation.
        let cap = Instant::now() + (debounce * 20).max(Duration::from_secs(2));
        loop {
            while let Ok(m) = rx.try_recv() {
                match m {
                    Msg::Stop => stop.store(true, Ordering::SeqCst),
                    Msg::Events(r) => {
                        batch.add(r);
                        arrived = Instant::now();
                    }
                }
            }
            let quiet = since_last_raw();
            if quiet >= debounce || Instant::now() >= cap {
                break;
            }
            let wait = (debounce - quiet + tick + Duration::from_millis(2))
                .min(cap.saturating_duration_since(Instant::now()));
            match rx.recv_timeout(wait) {
                Ok(Msg::Stop) => stop.store(true, Ordering::SeqCst),
                Ok(Msg::Events(r)) => {
                    batch.add(r);
                    arrived = Instant::now();
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::debug!(
            paths = batch.paths.len(),
            rescan = batch.rescan,
            errors = batch.errors.len(),
            "debounced batch"
        );
        if let Some(code) = state.process(batch, arrived, &out) {
            break code;
        }
    };
    debouncer.stop_nonblocking();
    Ok(code)
}

enum Msg {
    Events(DebounceEventResult),
    Stop,
}

/// The paths of one or more debounced batches, merged.
#[derive(Default)]
struct Batch {
    paths: BTreeSet<PathBuf>,
    /// Paths created, removed or renamed (a folder's pages come and go with it).
    moved: BTreeSet<PathBuf>,
    rescan: bool,
    errors: Vec<String>,
}

impl Batch {
    fn add(&mut self, r: DebounceEventResult) {
        match r {
            Ok(events) => {
                for e in events {
                    if e.need_rescan() {
                        self.rescan = true;
                    }
                    if !relevant(&e.event) {
                        continue;
                    }
                    if matches!(
                        e.event.kind,
                        EventKind::Create(_)
                            | EventKind::Remove(_)
                            | EventKind::Modify(ModifyKind::Name(_))
                            | EventKind::Any
                            | EventKind::Other
                    ) {
                        self.moved.extend(e.event.paths.iter().cloned());
                    }
                    self.paths.extend(e.event.paths.iter().cloned());
                }
            }
            Err(errors) => {
                // An error (such as an overflowed queue) may mean lost events: rescan.
                self.rescan = true;
                self.errors.extend(errors.iter().map(|e| e.to_string()));
            }
        }
    }
}

/// Whether an event can change a file's content: reads and opens cannot.
fn relevant(e: &Event) -> bool {
    if e.need_rescan() {
        return true;
    }
    match e.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => e.paths.is_empty() || !e.paths.iter().all(|p| under_git(p)),
    }
}

fn under_git(p: &Path) -> bool {
    p.components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".git"))
}

// --- raw-event clock -------------------------------------------------------------------------

/// When the last raw (undebounced) relevant event arrived, in µs since `epoch()`.
static LAST_RAW_US: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn since_last_raw() -> Duration {
    let now = epoch().elapsed().as_micros() as u64;
    Duration::from_micros(now.saturating_sub(LAST_RAW_US.load(Ordering::SeqCst)))
}

/// The platform watcher with a tap in front of the debouncer: it drops events that cannot
/// change a page, and stamps the raw-event clock so the main loop can tell whether events are
/// still pending in the debouncer.
struct Tap(RecommendedWatcher);

impl Watcher for Tap {
    fn new<F: EventHandler>(mut handler: F, config: notify::Config) -> notify::Result<Self> {
        let _ = epoch();
        RecommendedWatcher::new(
            move |e: notify::Result<Event>| {
                // Reads (our own included: loading 100k pages opens each one) and `.git/`
                // internals never reach the debouncer.
                if !e.as_ref().map_or(true, relevant) {
                    return;
                }
                let now = epoch().elapsed().as_micros() as u64;
                LAST_RAW_US.fetch_max(now, Ordering::SeqCst);
                handler.handle_event(e);
            },
            config,
        )
        .map(Tap)
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn configure(&mut self, option: notify::Config) -> notify::Result<bool> {
        self.0.configure(option)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

// --- output ----------------------------------------------------------------------------------

struct Out {
    json: bool,
    format: Option<TextOrJson>,
    quiet: bool,
    root: PathBuf,
}

impl Out {
    fn line(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    }

    fn emit(&self, v: serde_json::Value) {
        self.line(&v.to_string());
    }

    /// The JSON `batch` event: one per batch of file events, evaluated or not.
    fn batch(
        &self,
        files: usize,
        graph: &str,
        theses: Option<usize>,
        full: bool,
        arrived: Instant,
    ) {
        if !self.json {
            return;
        }
        let elapsed = arrived.elapsed();
        self.emit(json!({
            "event": "batch",
            "files": files,
            "evaluated": theses.is_some(),
            "graph": graph,
            "theses": theses.unwrap_or(0),
            "full": full,
            "elapsed_ms": elapsed.as_millis() as u64,
            "elapsed_us": elapsed.as_micros() as u64,
        }));
    }

    fn diags(&self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        if self.json {
            for d in diags {
                self.emit(json!({
                    "event": "diagnostic",
                    "path": d.path.to_string_lossy().replace('\\', "/"),
                    "diagnostic": d,
                }));
            }
        } else {
            report::print_diags(&self.root, diags, self.format.map(Into::into));
        }
    }

    /// One line for a verdict that changed.
    fn verdict(&self, v: &Verdict, elapsed: Duration) {
        let word = match v.status {
            Status::Clean => "cleared",
            s => wording::status(s),
        };
        let t = &v.thesis;
        let next = wording::next(v);
        if self.json {
            self.emit(json!({
                "event": word,
                "thesis": v.thesis,
                "path": v.path,
                "line": v.line,
                "causes": v.causes,
                "waiting_on": v.waiting_on,
                "next": next,
                "elapsed_ms": elapsed.as_millis() as u64,
                "elapsed_us": elapsed.as_micros() as u64,
            }));
            return;
        }
        if self.quiet {
            return;
        }
        // The place right after the id, so a terminal or editor can jump to it; then the
        // cause and the next step.
        let next = next.map(|n| format!("; next: {n}")).unwrap_or_default();
        let tail = match v.status {
            Status::Stale => {
                let cause = match v.causes.first() {
                    Some(c) => {
                        let more = match v.causes.len() {
                            1 => String::new(),
                            n => format!(" (+{} more: `rescore why {t}`)", n - 1),
                        };
                        format!("  ← {}{more}", wording::cause(c))
                    }
                    None => String::new(),
                };
                format!("{cause}{next}")
            }
            Status::Pending | Status::Unscored => {
                format!(" ({}){next}", wording::reason(v).unwrap_or_default())
            }
            Status::Clean => String::new(),
        };
        self.line(&format!("{word:<8} {t} {}:{}{tail}", v.path, v.line));
    }
}

fn no_root(root: &Path, message: &str) -> Diagnostic {
    Diagnostic::no_root(root, message)
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

// --- state -----------------------------------------------------------------------------------

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

struct State {
    abs_root: PathBuf,
    dry_run: bool,
    /// Pages that parsed (sorted by path: a page's index is its `Loc::file`), config, rules,
    /// and the last good graph.
    repo: Repo,
    /// Page paths in the order the graph was built with, so an old node's `Loc::file` maps
    /// back to its page after the page list has moved on.
    graph_files: Vec<PathBuf>,
    lock: Lock,
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
    filter: PageFilter,
    /// Evaluation was held back by errors; the next evaluation says they are fixed.
    held_back: bool,
}

struct Loaded {
    repo: Repo,
    files: BTreeMap<PathBuf, FileState>,
}

/// A file read and parsed on its own: its state, and its page when it parses.
type Parsed = (FileState, Option<Page>);

/// Reads and parses one page. `None` when it is not (or no longer) a regular file.
fn read_parse(abs_root: &Path, rel: &Path, cx: &ParseContext) -> Option<Parsed> {
    let abs = abs_root.join(rel);
    let meta = std::fs::symlink_metadata(&abs).ok()?;
    if !meta.is_file() {
        return None;
    }
    let bytes = match std::fs::read(&abs) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            let d = Diagnostic::error(
                Code::Unreadable,
                rel,
                Pos::at(1, 1),
                format!("cannot read page: {e}"),
            )
            .expected("a readable file")
            .hint("check the file's permissions");
            return Some((
                FileState {
                    hash: blake3::hash(&[]),
                    diags: vec![d],
                },
                None,
            ));
        }
    };
    let hash = blake3::hash(&bytes);
    let (page, diags) = match load::decode(rel, bytes) {
        Ok(text) => page::parse(rel, &text, cx),
        Err(d) => (None, vec![d]),
    };
    Some((FileState { hash, diags }, page))
}

/// Loads the repo like `load::load`, keeping each file's hash and own diagnostics.
fn load_full(root: &Path, abs_root: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let started = Instant::now();
    if !abs_root.is_dir() {
        return Err(vec![no_root(root, "research repo root is not a folder")]);
    }
    let config_text = load::read_config(root).map_err(|d| vec![d])?;
    let (config, rules) =
        load::settings(config_text.as_deref(), &crate::settings::read_from(root))?;
    let (paths, walk_diags) = load::walk(root, &config);
    if walk_diags.iter().any(Diagnostic::is_error) {
        return Err(walk_diags);
    }
    let cx = ParseContext {
        folders: &config.folders,
        scale: &rules.scale,
    };
    let parsed: Vec<(PathBuf, FileState, Option<Page>)> = paths
        .into_par_iter()
        .filter_map(|p| {
            let (fs, page) = read_parse(abs_root, &p, &cx)?;
            Some((p, fs, page))
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut pages = Vec::with_capacity(parsed.len());
    for (p, fs, page) in parsed {
        files.insert(p, fs);
        pages.extend(page);
    }
    // The walk's warnings (a dangling link to an image, a bad ignore line) ride along.
    let mut diags = walk_diags;
    diags.extend(crate::layout::folder_warnings(&pages, &config.folders));
    let (graph, dangling) = resolve::build_parts(&pages, &[], &mut diags);
    tracing::debug!(
        pages = pages.len(),
        nodes = graph.len(),
        ms = started.elapsed().as_millis() as u64,
        "watch: loaded"
    );
    Ok(Loaded {
        repo: Repo {
            root: root.to_path_buf(),
            config,
            rules,
            pages,
            graph,
            diags,
            dangling,
        },
        files,
    })
}

fn graph_files(pages: &[Page]) -> Vec<PathBuf> {
    pages.iter().map(|p| p.path.clone()).collect()
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

impl State {
    fn load(
        root: &Path,
        abs_root: &Path,
        dry_run: bool,
        out: &Out,
    ) -> Result<State, Vec<Diagnostic>> {
        let mut loaded = load_full(root, abs_root)?;
        let lock = Lock::read(root)
            .map_err(|d| vec![d])?
            .unwrap_or_else(Lock::new);
        loaded.repo.settle_dangling(&lock);
        let filter = PageFilter::new(abs_root, &loaded.repo.config.exclude);
        let mut s = State {
            abs_root: abs_root.to_path_buf(),
            dry_run,
            graph_files: graph_files(&loaded.repo.pages),
            repo: loaded.repo,
            lock,
            files: BTreeMap::new(),
            broken: BTreeSet::new(),
            verdicts: HashMap::new(),
            dirty: BTreeSet::new(),
            full_pending: true,
            reload_pending: false,
            shown: HashSet::new(),
            filter,
            held_back: false,
        };
        s.set_files(loaded.files);
        let mut diags: Vec<Diagnostic> = s.files.values().flat_map(|f| f.diags.clone()).collect();
        diags.extend(s.repo.diags.iter().cloned());
        diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        s.shown = s.repo.diags.iter().map(diag_id).collect();
        out.diags(&diags);
        Ok(s)
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

    /// The first evaluation: every thesis; report the ones that are not clean.
    fn initial(&mut self, out: &Out) {
        if !self.broken.is_empty() || !self.graph_ok() {
            self.held_back = true;
            if !out.json && !out.quiet {
                eprintln!("watch: the repo has errors; waiting for a fix before evaluating");
            }
            return;
        }
        let started = Instant::now();
        self.full_pending = false;
        let eval = eval::evaluate(&self.repo, &self.lock);
        self.settle(eval.verdicts, true, started, out);
    }

    fn root_gone(&self, out: &Out) -> i32 {
        let d = no_root(
            &self.repo.root,
            &format!(
                "the research repo root {} disappeared; stopping",
                self.repo.root.display()
            ),
        );
        out.diags(&[d]);
        2
    }

    /// Handles one coalesced batch. `Some(code)` stops the watcher.
    fn process(&mut self, batch: Batch, arrived: Instant, out: &Out) -> Option<i32> {
        if !self.abs_root.is_dir() {
            return Some(self.root_gone(out));
        }
        for e in &batch.errors {
            tracing::warn!("watch: notify error: {e}");
        }
        let mut reload = batch.rescan || self.reload_pending;
        let mut lock_changed = false;
        let mut candidates: BTreeSet<PathBuf> = BTreeSet::new();
        let rule_files: HashSet<PathBuf> = self
            .repo
            .config
            .rules
            .files
            .iter()
            .map(|f| page::normalise_path(f))
            .collect();
        for abs in &batch.paths {
            let Ok(rel) = abs.strip_prefix(&self.abs_root) else {
                continue;
            };
            if rel.as_os_str().is_empty() || under_git(rel) {
                continue;
            }
            let name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
            if rel == Path::new(CONFIG_FILE)
                || rule_files.contains(&page::normalise_path(rel))
                || matches!(name.as_deref(), Some(".gitignore" | ".ignore"))
            {
                tracing::debug!(path = %rel.display(), "watch: settings changed: reload");
                reload = true;
                continue;
            }
            if rel == Path::new(lock::FILE_NAME) {
                lock_changed = true;
                continue;
            }
            if hidden(rel) {
                continue;
            }
            if rel.extension().is_some_and(|x| x == "md") {
                candidates.insert(rel.to_path_buf());
                continue;
            }
            // A folder created, moved or removed: its pages come and go without events of
            // their own. (Anything else, such as a folder's metadata, is no page.)
            if !batch.moved.contains(abs) {
                continue;
            }
            if abs.is_dir() {
                for p in self.filter.walk(abs) {
                    candidates.insert(p);
                }
            }
            for p in self
                .files
                .range(rel.to_path_buf()..)
                .take_while(|(p, _)| p.starts_with(rel))
                .map(|(p, _)| p.clone())
            {
                candidates.insert(p);
            }
        }

        if reload {
            return self.reload(arrived, batch.paths.len(), out);
        }
        let mut eval_all = false;
        if lock_changed {
            match Lock::read(&self.repo.root) {
                Ok(l) => {
                    let l = l.unwrap_or_else(Lock::new);
                    if l != self.lock {
                        tracing::debug!("watch: rescore.lock changed: every thesis");
                        self.lock = l;
                        eval_all = true;
                    }
                }
                Err(d) => out.diags(&[d]),
            }
        }

        // Re-read and re-parse only the changed pages.
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut old_pages: HashMap<PathBuf, Option<Page>> = HashMap::new();
        let mut new_diags: Vec<Diagnostic> = Vec::new();
        let cx = ParseContext {
            folders: &self.repo.config.folders,
            scale: &self.repo.rules.scale,
        };
        let reads: Vec<(PathBuf, Option<Parsed>)> = candidates
            .into_iter()
            .filter(|rel| self.files.contains_key(rel) || self.filter.accepts(rel))
            .map(|rel| {
                let r = read_parse(&self.abs_root, &rel, &cx);
                (rel, r)
            })
            .collect();
        for (rel, r) in reads {
            let slot = self
                .repo
                .pages
                .binary_search_by(|p| p.path.as_path().cmp(&rel));
            match r {
                None => {
                    if self.files.remove(&rel).is_none() {
                        continue;
                    }
                    self.broken.remove(&rel);
                    let old = slot.ok().map(|i| self.repo.pages.remove(i));
                    old_pages.entry(rel.clone()).or_insert(old);
                    tracing::debug!(path = %rel.display(), "watch: page removed");
                }
                Some((fs, page)) => {
                    if self.files.get(&rel).is_some_and(|f| f.hash == fs.hash) {
                        continue; // unchanged: a touch, or our own write
                    }
                    new_diags.extend(fs.diags.iter().cloned());
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
                }
            }
            changed.push(rel);
        }
        if changed.is_empty() && !eval_all {
            return None;
        }
        let files = changed.len();
        out.diags(&new_diags);
        let fast_ok = self.dirty.is_empty() && !self.full_pending;
        self.dirty.extend(changed.iter().cloned());
        if !self.broken.is_empty() {
            self.skipped(files, arrived, out);
            return None;
        }

        // The graph: patch in place when structure is unchanged, else rebuild.
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
            None => match self.rebuild(out) {
                Some(t) => {
                    graph = "rebuilt";
                    t
                }
                None => {
                    self.skipped(files, arrived, out);
                    return None;
                }
            },
        };
        let full = full || eval_all;
        tracing::debug!(
            theses = chosen.len(),
            us = arrived.elapsed().as_micros() as u64,
            "watch: graph updated"
        );
        let evaluated = if full {
            self.full_pending = false;
            let eval = eval::evaluate(&self.repo, &self.lock);
            let n = eval.verdicts.len();
            self.settle(eval.verdicts, true, arrived, out);
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
            tracing::debug!(
                us = arrived.elapsed().as_micros() as u64,
                "watch: theses evaluated"
            );
            let n = eval.verdicts.len();
            self.settle(eval.verdicts, false, arrived, out);
            n
        };
        self.dirty.clear();
        let elapsed = arrived.elapsed();
        tracing::debug!(
            files,
            theses = evaluated,
            us = elapsed.as_micros() as u64,
            "watch: batch evaluated"
        );
        out.batch(files, graph, Some(evaluated), full, arrived);
        None
    }

    fn skipped(&mut self, files: usize, arrived: Instant, out: &Out) {
        self.held_back = true;
        let errors = self.broken.len();
        if out.json {
            out.batch(files, "kept", None, false, arrived);
        } else if !out.quiet {
            let what = match errors {
                0 => "the links between pages have errors".to_string(),
                1 => "1 page has errors".to_string(),
                n => format!("{n} pages have errors"),
            };
            eprintln!("watch: {what} (above); keeping the last good graph until they are fixed");
        }
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
                node.loc = rescore_graph::Loc {
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
        for (j, p) in pages.iter().enumerate() {
            let clash = |n: &str| names.get(n).is_some_and(|&i| i != j);
            if clash(&p.id.to_lowercase())
                || p.title.as_deref().is_some_and(|t| clash(&t.to_lowercase()))
            {
                return None;
            }
        }
        // Resolve the new theses' links the way `resolve::build` does.
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
            let at = |pos: &Pos| Loc {
                file: i as u32,
                line: pos.line,
                col: pos.col,
            };
            let mut links: Vec<(Link, Loc)> =
                p.links.iter().map(|l| (l.clone(), at(&l.pos))).collect();
            for name in &p.depends_on {
                links.push((
                    Link {
                        target: Target::Wiki {
                            name: name.split('#').next().unwrap_or(name).to_string(),
                        },
                        anchor: name.split_once('#').map(|(_, a)| a.to_string()),
                        role: Role::Body,
                        pos: p.key_pos.depends_on.clone(),
                        raw: name.clone(),
                    },
                    at(&p.key_pos.depends_on),
                ));
            }
            let mut edges = Vec::new();
            for (link, loc) in links {
                let j = index.page(&link.target, i)?;
                if j != i && added.contains(&j) {
                    return None;
                }
                let target = &pages[j];
                let ix = match &link.anchor {
                    Some(a) => g.get(&resolve::anchor_key(target, a))?,
                    None if j == i => continue,
                    None => match g.get(&resolve::page_key(target)) {
                        Some(ix) => ix,
                        None => continue, // a note: no node, no edge
                    },
                };
                if target.kind != PageKind::Note {
                    edges.push((ix, loc));
                }
            }
            plan.push((i, edges));
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
        tracing::debug!(pages = added.len(), "watch: pages added in place");
        Some(seeds)
    }

    /// Rebuilds the graph from the kept pages. Returns the theses to evaluate and whether all
    /// of them must be, or `None` when the new graph has errors (the old one is kept).
    fn rebuild(&mut self, out: &Out) -> Option<(Vec<NodeIx>, bool)> {
        let started = Instant::now();
        let mut diags = Vec::new();
        let (graph, dangling) = resolve::build_parts(&self.repo.pages, &[], &mut diags);
        let dangling = load::settle(dangling, &self.lock, &mut diags);
        tracing::debug!(
            nodes = graph.len(),
            ms = started.elapsed().as_millis() as u64,
            "watch: graph rebuilt"
        );
        let fresh: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| !self.shown.contains(&diag_id(d)))
            .cloned()
            .collect();
        self.shown = diags.iter().map(diag_id).collect();
        out.diags(&fresh);
        let errors = diags.iter().any(Diagnostic::is_error);
        if errors {
            // Keep the last good graph; the next good batch must look at everything.
            self.full_pending = true;
            return None;
        }
        let old = std::mem::replace(&mut self.repo.graph, graph);
        let old_files = std::mem::replace(&mut self.graph_files, graph_files(&self.repo.pages));
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        if self.full_pending {
            self.verdicts.retain(|k, _| {
                self.repo
                    .graph
                    .get(k)
                    .is_some_and(|ix| self.repo.graph.node(ix).kind == NodeKind::Thesis)
            });
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
        // New side: nodes of changed pages, new nodes, nodes whose state moved.
        let mut seeds_new = Vec::new();
        for (ix, n) in g.nodes() {
            let moved = match old.get(&n.key) {
                None => true,
                Some(o) => {
                    let on = old.node(o);
                    on.kind != n.kind || !same_state(&on.state, &n.state)
                }
            };
            if moved || dirty_ix.contains(&n.loc.file) {
                seeds_new.push(ix);
            }
        }
        // Old side: nodes of changed pages and removed nodes, for theses that depended on them.
        let mut seeds_old = Vec::new();
        for (ix, n) in old.nodes() {
            if old_dirty.contains(&n.loc.file) || g.get(&n.key).is_none() {
                seeds_old.push(ix);
            }
        }
        let mut chosen = downstream_theses(g, &seeds_new);
        for t in downstream_theses(&old, &seeds_old) {
            if let Some(ix) = g.get(&old.node(t).key) {
                chosen.push(ix);
            }
        }
        self.verdicts.retain(|k, _| {
            g.get(k)
                .is_some_and(|ix| g.node(ix).kind == NodeKind::Thesis)
        });
        Some((chosen, false))
    }

    /// Reloads everything (settings, rules, every page) after a settings change or an
    /// overflowed event queue.
    fn reload(&mut self, arrived: Instant, paths: usize, out: &Out) -> Option<i32> {
        tracing::debug!("watch: full reload");
        let loaded = match load_full(&self.repo.root, &self.abs_root) {
            Ok(l) => l,
            Err(diags) => {
                if !self.abs_root.is_dir() {
                    return Some(self.root_gone(out));
                }
                out.diags(&diags);
                self.reload_pending = true;
                self.skipped(paths, arrived, out);
                return None;
            }
        };
        self.reload_pending = false;
        match Lock::read(&self.repo.root) {
            Ok(l) => self.lock = l.unwrap_or_else(Lock::new),
            Err(d) => out.diags(&[d]),
        }
        let Loaded { mut repo, files } = loaded;
        repo.settle_dangling(&self.lock);
        self.filter = PageFilter::new(&self.abs_root, &repo.config.exclude);
        // Diagnostics of files that changed (or appeared) since they were last read.
        let file_diags: Vec<Diagnostic> = files
            .iter()
            .filter(|(p, f)| self.files.get(*p).is_none_or(|old| old.hash != f.hash))
            .flat_map(|(_, f)| f.diags.clone())
            .collect();
        out.diags(&file_diags);
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
        let fresh: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| !self.shown.contains(&diag_id(d)))
            .cloned()
            .collect();
        self.shown = diags.iter().map(diag_id).collect();
        out.diags(&fresh);
        if !self.broken.is_empty() || diags.iter().any(Diagnostic::is_error) {
            // Keep the last good graph until the new pages prove good.
            self.skipped(paths, arrived, out);
            return None;
        }
        self.repo.graph = graph;
        self.repo.diags = diags;
        self.repo.dangling = dangling;
        self.graph_files = graph_files(&self.repo.pages);
        self.full_pending = false;
        let eval = eval::evaluate(&self.repo, &self.lock);
        let n = eval.verdicts.len();
        self.settle(eval.verdicts, true, arrived, out);
        out.batch(paths, "reloaded", Some(n), true, arrived);
        None
    }

    /// Prints the verdicts that changed, writes their managed blocks, and remembers them.
    /// With `all`, `verdicts` is every thesis and theses missing from it are forgotten.
    fn settle(&mut self, verdicts: Vec<Verdict>, all: bool, arrived: Instant, out: &Out) {
        if std::mem::take(&mut self.held_back) && !out.json && !out.quiet {
            eprintln!("watch: the errors are fixed; evaluating again");
        }
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
                out.verdict(v, arrived.elapsed());
            }
        }
        let eval = Evaluation {
            verdicts,
            ..Evaluation::default()
        };
        self.write_blocks(&eval, out);
        for v in eval.verdicts {
            self.verdicts.insert(v.thesis.clone(), v);
        }
    }

    /// Removes the temp files of interrupted writes next to the lock and the pages.
    fn sweep_temps(&self) {
        match lock::RepoLock::acquire(&self.abs_root) {
            Ok(held) => {
                let pages = self.repo.pages.iter().map(|p| p.path.as_path());
                let dirs = writeback::temp_dirs(&self.abs_root, pages);
                lock::sweep_temps(&held, dirs.iter().map(PathBuf::as_path));
            }
            Err(e) => tracing::warn!("cannot lock the research repo to sweep temp files: {e}"),
        }
    }

    /// Brings the warning blocks of the evaluated theses in line, under the repo lock and
    /// without losing a save made meanwhile (see `writeback::write_pages`).
    fn write_blocks(&mut self, eval: &Evaluation, out: &Out) {
        let todo = writeback::out_of_date(&self.abs_root, &eval.verdicts);
        if todo.is_empty() {
            return;
        }
        if self.dry_run {
            if !out.json && !out.quiet {
                for v in todo {
                    out.line(&format!("would write {}", v.path));
                }
            }
            return;
        }
        let held = match writeback::repo_lock(&self.abs_root) {
            Ok(h) => h,
            Err(d) => {
                out.diags(&[d]);
                return;
            }
        };
        let dirs = writeback::temp_dirs(&self.abs_root, todo.iter().map(|v| Path::new(&v.path)));
        lock::sweep_temps(&held, dirs.iter().map(PathBuf::as_path));
        let outcomes = writeback::write_theses(&held, &self.abs_root, &self.repo, &todo, true);
        drop(held);
        for (path, outcome) in outcomes {
            match outcome {
                writeback::Outcome::Written(text) => {
                    tracing::debug!(path = %path.display(), "watch: wrote the warning block");
                    self.wrote(&path, &text);
                }
                writeback::Outcome::Unchanged => {}
                // Its own save is on its way as an event; that batch writes the block.
                writeback::Outcome::Skipped(why) => {
                    tracing::debug!(path = %path.display(), "watch: left the page: {why}")
                }
                writeback::Outcome::Failed(e) => {
                    out.diags(&[Diagnostic::write_failed(&path, "warning block", &e)])
                }
            }
        }
    }

    /// Remembers a page the watcher wrote: its event will hash the same and be dropped.
    fn wrote(&mut self, rel: &Path, text: &str) {
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

fn hidden(rel: &Path) -> bool {
    rel.components().any(|c| match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        _ => false,
    })
}

// --- which paths are pages -------------------------------------------------------------------

/// Decides whether a new path is a page the way `load::walk` would: not hidden, not excluded
/// by `exclude` globs, not ignored by `.ignore` / `.gitignore` files on its way from the root
/// (deeper files first) or `.git/info/exclude`.
struct PageFilter {
    root: PathBuf,
    overrides: Option<ignore::overrides::Override>,
    cache: HashMap<PathBuf, Option<ignore::gitignore::Gitignore>>,
}

impl PageFilter {
    fn new(root: &Path, exclude: &[String]) -> PageFilter {
        let mut b = ignore::overrides::OverrideBuilder::new(root);
        let mut ok = true;
        for g in exclude {
            ok &= b.add(&format!("!{g}")).is_ok();
        }
        PageFilter {
            root: root.to_path_buf(),
            overrides: if ok { b.build().ok() } else { None },
            cache: HashMap::new(),
        }
    }

    fn matcher(&mut self, file: PathBuf) -> Option<&ignore::gitignore::Gitignore> {
        self.cache
            .entry(file.clone())
            .or_insert_with(|| {
                if !file.is_file() {
                    return None;
                }
                let dir = file.parent().unwrap_or(Path::new("/"));
                // `.git/info/exclude` patterns are relative to the repo root.
                let base = if file.ends_with(".git/info/exclude") {
                    dir.parent().and_then(Path::parent).unwrap_or(dir)
                } else {
                    dir
                };
                let mut b = ignore::gitignore::GitignoreBuilder::new(base);
                b.add(&file);
                b.build().ok()
            })
            .as_ref()
    }

    fn accepts(&mut self, rel: &Path) -> bool {
        if hidden(rel) || rel.extension().is_none_or(|x| x != "md") {
            return false;
        }
        let abs = self.root.join(rel);
        if let Some(o) = &self.overrides {
            let mut p = abs.as_path();
            let mut is_dir = false;
            loop {
                if o.matched(p, is_dir).is_ignore() {
                    return false;
                }
                match p.parent() {
                    Some(up) if up.starts_with(&self.root) && up != self.root => {
                        p = up;
                        is_dir = true;
                    }
                    _ => break,
                }
            }
        }
        let mut dirs: Vec<PathBuf> = abs
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&self.root))
            .map(Path::to_path_buf)
            .collect();
        dirs.push(self.root.join(".git/info"));
        for dir in dirs {
            let names: &[&str] = if dir.ends_with(".git/info") {
                &["exclude"]
            } else {
                &[".ignore", ".gitignore"]
            };
            for name in names {
                let Some(m) = self.matcher(dir.join(name)) else {
                    continue;
                };
                let r = m.matched_path_or_any_parents(&abs, false);
                if r.is_ignore() {
                    return false;
                }
                if r.is_whitelist() {
                    return true;
                }
            }
        }
        true
    }

    /// The pages below a folder that just appeared, relative to the root.
    fn walk(&mut self, abs_dir: &Path) -> Vec<PathBuf> {
        let mut b = ignore::WalkBuilder::new(abs_dir);
        b.hidden(true).require_git(false);
        let found: Vec<PathBuf> = b
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .filter_map(|e| {
                e.path()
                    .strip_prefix(&self.root)
                    .ok()
                    .map(Path::to_path_buf)
            })
            .collect();
        found.into_iter().filter(|p| self.accepts(p)).collect()
    }
}
