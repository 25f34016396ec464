//! Loading a research repo: find its root, read `rescore.toml` and the rules, walk the pages
//! (honouring `.gitignore` and `exclude`), parse them in parallel and build the graph.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use rescore_graph::Graph;

use crate::config::{Config, FILE_NAME};
use crate::diag::{Code, Diagnostic, Pos};
use crate::page::{self, Page, PageKind, ParseContext};
use crate::pagefile::Reader;
use crate::resolve::{self, PageNumbers};
use crate::rules::RuleSet;

mod admit;

pub use admit::{admit, pages_among, Admit};

/// A loaded research repo: pages (sorted by path), the graph, the rules, and every diagnostic
/// found on the way. A node's or edge's `Loc::file` is its page's number: the page's place in
/// the list, until the list gains or loses a page through `insert_page` / `remove_page` (the
/// watcher); from then on a page keeps its number, new pages join at the end of the list
/// (`sort_pages` puts it in path order again), and `page_of` and `page_slot` find pages through
/// the numbers.
pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
    pub rules: RuleSet,
    pub pages: Vec<Page>,
    pub graph: Graph,
    pub diags: Vec<Diagnostic>,
    /// Theses' links to missing anchors or pages: all of them until `settle_dangling`, then
    /// those that name something gone.
    pub dangling: Vec<resolve::Dangling>,
    /// The pages' numbers once the list has changed in place; `None` while each page's number
    /// is its place (every one-shot command). Changed only with the list, by the methods below.
    pub(crate) numbers: Option<PageNumbers>,
    /// Once the list has changed in place: the pages' numbers in path order.
    path_order: Vec<u32>,
}

impl Repo {
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// Sorts the theses' links to missing anchors or pages by what the lock knows: a key some
    /// thesis was scored against existed and is gone, which evaluation reports as a stale cause
    /// (removed, or renamed), so its error is withdrawn; a key no baseline knows never existed, a
    /// typo, and stays an error. Until this is called every such link is an error.
    pub fn settle_dangling(&mut self, lock: &crate::lock::Lock) {
        self.dangling = settle(std::mem::take(&mut self.dangling), lock, &mut self.diags);
    }

    /// The page a node or edge is written in.
    pub fn page_of(&self, loc: rescore_graph::Loc) -> Option<&Page> {
        match &self.numbers {
            None => self.pages.get(loc.file as usize),
            Some(n) => n.place(loc.file).map(|at| &self.pages[at]),
        }
    }

    /// The number of the page at place `at` in `pages`: what its nodes' and edges' `Loc::file`
    /// holds.
    pub fn number_of(&self, at: usize) -> u32 {
        self.numbers.as_ref().map_or(at as u32, |n| n.number(at))
    }

    /// Where the page at `rel` is in `pages`, if it is there.
    pub fn page_slot(&self, rel: &Path) -> Option<usize> {
        match &self.numbers {
            None => self.pages.binary_search_by(|p| (*p.path).cmp(rel)).ok(),
            Some(n) => self.rank(n, rel).ok().map(|r| n.at(self.path_order[r])),
        }
    }

    /// Where the page at `rel` is, or would go, in `path_order`.
    fn rank(&self, n: &PageNumbers, rel: &Path) -> Result<usize, usize> {
        self.path_order
            .binary_search_by(|&k| (*self.pages[n.at(k)].path).cmp(rel))
    }

    /// The page at `rel`, if there is one.
    pub fn page_at(&self, rel: &Path) -> Option<&Page> {
        self.page_slot(rel).map(|i| &self.pages[i])
    }

    /// The numbers, made when the list first changes in place.
    fn numbered(&mut self) -> PageNumbers {
        let n = self.pages.len();
        self.numbers.take().unwrap_or_else(|| {
            self.path_order = (0..n as u32).collect();
            PageNumbers::identity(n)
        })
    }

    /// Adds `page`, whose path no page has, at the end of `pages`; it takes a number no page
    /// had, and every other page keeps its place and number. Returns its place.
    pub fn insert_page(&mut self, page: Page) -> usize {
        let mut n = self.numbered();
        let rank = self.rank(&n, &page.path).unwrap_or_else(|r| r);
        self.path_order.insert(rank, n.push());
        self.numbers = Some(n);
        self.pages.push(page);
        self.pages.len() - 1
    }

    /// Takes the page at place `at` out of `pages`; the last page takes its place, and every
    /// page keeps its number.
    pub fn remove_page(&mut self, at: usize) -> Page {
        let mut n = self.numbered();
        if let Ok(rank) = self.rank(&n, &self.pages[at].path) {
            self.path_order.remove(rank);
        }
        n.swap_remove(at);
        self.numbers = Some(n);
        self.pages.swap_remove(at)
    }

    /// Puts `pages` in path order again, each page keeping its number, for what reads them in
    /// order (building an index or a graph from them). Returns whether a page moved.
    pub fn sort_pages(&mut self) -> bool {
        let Some(n) = &mut self.numbers else {
            return false;
        };
        let places: Vec<usize> = self.path_order.iter().map(|&k| n.at(k)).collect();
        if places.iter().enumerate().all(|(k, &at)| k == at) {
            return false;
        }
        let spare = self.pages.capacity() - self.pages.len();
        let mut old: Vec<Option<Page>> = std::mem::take(&mut self.pages)
            .into_iter()
            .map(Some)
            .collect();
        self.pages = Vec::with_capacity(old.len() + spare);
        self.pages
            .extend(places.iter().filter_map(|&at| old[at].take()));
        n.reorder(&self.path_order);
        true
    }

    /// Numbers the pages by their place again, as a graph built anew from them does; the pages
    /// must be in path order (`sort_pages`). Returns the numbers they had, if not their places.
    pub fn renumber(&mut self) -> Option<PageNumbers> {
        self.path_order = Vec::new();
        self.numbers.take()
    }
}

/// `Repo::settle_dangling` on its parts: withdraws from `diags` the errors of the links the lock
/// knows, and returns those links (evaluation reports them); the others stay errors.
pub fn settle(
    dangling: Vec<resolve::Dangling>,
    lock: &crate::lock::Lock,
    diags: &mut Vec<Diagnostic>,
) -> Vec<resolve::Dangling> {
    let known = |key: &str| lock.thesis.values().any(|b| b.against.contains_key(key));
    settle_by(dangling, &known, diags)
}

/// `settle`, told by `known` whether some baseline knows a key (the watcher asks an index of
/// the lock instead of every baseline).
pub fn settle_by(
    dangling: Vec<resolve::Dangling>,
    known: &dyn Fn(&str) -> bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<resolve::Dangling> {
    let gone: Vec<resolve::Dangling> = dangling.into_iter().filter(|d| known(&d.key)).collect();
    diags.retain(|d| !gone.iter().any(|g| g.diag == *d));
    gone
}

/// The root: `--root`, else the nearest folder upward holding `rescore.toml`, else `cwd`.
pub fn find_root(explicit: Option<&Path>, cwd: &Path) -> PathBuf {
    if let Some(r) = explicit {
        return r.to_path_buf();
    }
    cwd.ancestors()
        .find(|d| d.join(FILE_NAME).is_file())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// Config and rules, or every diagnostic found in them.
pub fn settings(
    config_text: Option<&str>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Result<(Config, RuleSet), Vec<Diagnostic>> {
    let (config, rules, diags) = settings_with_problems(config_text, read);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok((config, rules))
}

/// Config and rules as far as they can be read (defaults for each part that cannot), with
/// every problem found, so pages can still be loaded and their problems reported too.
pub fn settings_with_problems(
    config_text: Option<&str>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> (Config, RuleSet, Vec<Diagnostic>) {
    let config_path = Path::new(FILE_NAME);
    let (config, mut diags) = match config_text {
        Some(text) => {
            let parsed = Config::parse(text, config_path);
            (parsed.config, parsed.diags)
        }
        None => (Config::default(), Vec::new()),
    };
    let (rules, rule_diags) = crate::settings::rule_set(&config, config_path, read);
    diags.extend(rule_diags);
    (config, rules, diags)
}

/// The text of `rescore.toml`: `None` when there is none; an error when it is there and cannot
/// be read (a folder of that name, no permission, not UTF-8), never "no settings" in silence.
pub fn read_config(root: &Path) -> Result<Option<String>, Diagnostic> {
    let path = Path::new(FILE_NAME);
    match std::fs::read(root.join(FILE_NAME)) {
        Ok(bytes) => decode(path, bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Diagnostic::error(
            Code::Unreadable,
            path,
            Pos::at(1, 1),
            format!("cannot read rescore.toml: {}", io_words(&e)),
        )
        .expected("rescore.toml to be a readable file (or absent, for the defaults)")
        .hint(if root.join(FILE_NAME).is_dir() {
            "rescore.toml is a folder: remove or rename it"
        } else {
            "check the file's permissions"
        })),
    }
}

/// An I/O error in words, without the OS error number.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => "permission denied".into(),
        K::NotFound => "it does not exist".into(),
        K::IsADirectory => "it is a folder, not a file".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_lowercase(),
                None => text,
            }
        }
    }
}

/// Every markdown page below the root (relative paths, sorted), with a diagnostic for every
/// place the walk could not read or would not follow. Symlinks are followed while they stay
/// inside the root; one pointing outside it is reported, and a page reached both through a
/// symlink and at its real place is read once, at its real place.
pub fn walk(root: &Path, config: &Config) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    walk_toward(root, config, &[])
}

/// Called with a folder before the walk lists it or reads its ignore files; it may wait (the
/// watcher's load guard returns once the folder is watched).
pub type BeforeListing = Arc<dyn Fn(&Path) + Send + Sync>;

/// `walk`, calling `before` with the root and then with each folder the walk enters, each
/// time before the walk lists it or reads its ignore files.
pub fn walk_guarded(
    root: &Path,
    config: &Config,
    before: BeforeListing,
) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    walk_with(root, config, &[], Some(before))
}

/// `walk`, entering only the folders on the way to `targets` (paths below the root) and
/// everything below a target folder: the same matcher and diagnostics, for the watcher to tell
/// whether a path that appeared is a page. With no targets, the whole tree.
pub fn walk_toward(
    root: &Path,
    config: &Config,
    targets: &[PathBuf],
) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    walk_with(root, config, targets, None)
}

/// The ignore files the walk reads in each folder it lists (the `ignore` crate's own, with
/// `.git/info/exclude` at a repository's top).
pub const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

fn walk_with(
    root: &Path,
    config: &Config,
    targets: &[PathBuf],
    before: Option<BeforeListing>,
) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    if let Some(before) = &before {
        before(root);
    }
    let mut diags = Vec::new();
    let overrides = exclude_overrides(root, config, &mut diags);
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let outside: Arc<Mutex<Vec<(PathBuf, PathBuf)>>> = Arc::default();
    let linked: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let wanted: Vec<PathBuf> = targets.iter().map(|t| root.join(t)).collect();
    let walker = {
        let (outside, linked, real_root) = (outside.clone(), linked.clone(), real_root.clone());
        ignore::WalkBuilder::new(root)
            .hidden(true)
            .require_git(false)
            .follow_links(true)
            .overrides(overrides)
            .filter_entry(move |e| {
                let on_the_way = |t: &PathBuf| t.starts_with(e.path()) || e.path().starts_with(t);
                if !wanted.is_empty() && !wanted.iter().any(on_the_way) {
                    return false;
                }
                // The walk lists a folder and reads its ignore files only once this has said
                // yes to it (`a_folder_is_listed_after_the_walk_is_told`); the root is not
                // asked, and is told before the walk starts.
                let enter = |e: &ignore::DirEntry| {
                    if let Some(before) = &before {
                        if e.file_type().is_some_and(|t| t.is_dir()) {
                            before(e.path());
                        }
                    }
                    true
                };
                if e.depth() == 0 || !e.path_is_symlink() {
                    return enter(e);
                }
                // A dangling link is left to the walk, which reports it.
                let Ok(target) = e.path().canonicalize() else {
                    return true;
                };
                if target.starts_with(&real_root) {
                    entries(&linked).push(e.path().to_path_buf());
                    return enter(e);
                }
                // Outside the root only a folder or a page is worth a word: a link to an image
                // elsewhere is not a page either way.
                if target.is_dir() || e.path().extension().is_some_and(|x| x == "md") {
                    entries(&outside).push((e.path().to_path_buf(), target));
                }
                false
            })
            .build()
    };
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    let mut paths = Vec::new();
    for item in walker {
        let entry = match item {
            Ok(entry) => entry,
            Err(e) => {
                diags.push(walk_error(root, &e));
                continue;
            }
        };
        if let Some(e) = entry.error() {
            diags.push(ignore_file_warning(root, e));
        }
        let is_md = entry.path().extension().is_some_and(|x| x == "md");
        match entry.file_type() {
            Some(t) if t.is_file() && is_md => paths.push(rel(entry.path())),
            Some(t) if !t.is_file() && !t.is_dir() && is_md => diags.push(
                Diagnostic::error(
                    Code::NotAFile,
                    &rel(entry.path()),
                    Pos::at(1, 1),
                    "this page is not a regular file (a pipe, socket or device)",
                )
                .expected("a markdown page as a regular file")
                .hint("replace it with a regular file, or add it to `exclude`"),
            ),
            _ => {}
        }
    }
    for (link, target) in entries(&outside).iter() {
        let link = rel(link);
        diags.push(
            Diagnostic::error(
                Code::SymlinkOutsideRoot,
                &link,
                Pos::at(1, 1),
                format!(
                    "{} is a symlink to {}, outside the research repo: its pages are not read",
                    link.display(),
                    target.display()
                ),
            )
            .expected("pages inside the research repo (symlinks may point anywhere within it)")
            .hint(format!(
                "move what it points to into the repo, or add `{}` to `exclude` to skip it",
                link.display()
            )),
        );
    }
    let linked: Vec<PathBuf> = entries(&linked).iter().map(|p| rel(p)).collect();
    if !linked.is_empty() {
        let walked: HashSet<PathBuf> = paths.iter().cloned().collect();
        paths.retain(|p| {
            if !linked.iter().any(|l| p.starts_with(l)) {
                return true;
            }
            let real = root
                .join(p)
                .canonicalize()
                .ok()
                .and_then(|r| r.strip_prefix(&real_root).ok().map(Path::to_path_buf));
            real.is_none_or(|r| r == *p || !walked.contains(&r))
        });
    }
    paths.par_sort_unstable_by(|a, b| path_order(a, b));
    // Copied in sorted order, the order they are read in: the walk made them in listing order,
    // and each was first touched again after a page's parse had gone through the caches, a
    // cache and TLB miss per page (37–70 perf samples at 999 Hz, about as many ms of CPU, at
    // 100k pages; the copy costs the walk about 3 ms).
    let paths = paths.iter().map(|p| p.as_path().to_path_buf()).collect();
    (paths, diags)
}

/// The config's `exclude` globs as the walk's overrides, with a diagnostic for each bad glob.
fn exclude_overrides(
    root: &Path,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> ignore::overrides::Override {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for (i, glob) in config.exclude.iter().enumerate() {
        if let Err(e) = overrides.add(&format!("!{glob}")) {
            diags.push(Diagnostic::bad_exclude(
                Path::new(FILE_NAME),
                config.spans.of(&format!("exclude[{i}]")),
                format!("exclude glob `{glob}`: {e}"),
            ));
        }
    }
    overrides.build().unwrap_or_else(|e| {
        diags.push(Diagnostic::bad_exclude(
            Path::new(FILE_NAME),
            config.spans.of("exclude"),
            format!("exclude globs: {e}"),
        ));
        ignore::overrides::Override::empty()
    })
}

/// `Path`'s order (component by component) for the relative paths a walk yields, none with a
/// `.`, `..` or empty component: their bytes compared with a separator below every other byte,
/// so a component that is a prefix of another still sorts first, without splitting each path
/// into components at every comparison.
pub(crate) fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    fn bytes(p: &[u8]) -> impl Iterator<Item = u8> + '_ {
        p.iter().map(|&c| {
            if std::path::is_separator(char::from(c)) {
                0
            } else {
                c
            }
        })
    }
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    // Walked paths share long prefixes (`concepts/c1…`): bytes equal up to the first difference
    // sort alike mapped or not, so they are skipped eight at a time.
    let same = a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .take_while(|(x, y)| x == y)
        .count()
        * 8;
    bytes(&a[same..]).cmp(bytes(&b[same..]))
}

/// The list behind a mutex, even if a thread panicked while holding it.
fn entries<T>(list: &Mutex<Vec<T>>) -> std::sync::MutexGuard<'_, Vec<T>> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A folder or link the walk could not enter, as a diagnostic at its path.
fn walk_error(root: &Path, e: &ignore::Error) -> Diagnostic {
    let mut err = e;
    let mut path = None;
    loop {
        match err {
            ignore::Error::WithPath {
                path: p,
                err: inner,
            } => {
                path = path.or(Some(p.clone()));
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            _ => break,
        }
    }
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    if let ignore::Error::Loop { ancestor, child } = err {
        let child = rel(child);
        return Diagnostic::error(
            Code::SymlinkLoop,
            &child,
            Pos::at(1, 1),
            format!(
                "{} is a symlink back to {}: following it would never end",
                child.display(),
                rel(ancestor).display()
            ),
        )
        .expected("symlinks that do not point at a folder containing them")
        .hint(format!(
            "remove the link, or add `{}` to `exclude`",
            child.display()
        ));
    }
    let path = path
        .map(|p| rel(&p))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let dangling = std::fs::symlink_metadata(root.join(&path)).is_ok_and(|m| m.is_symlink())
        && !root.join(&path).exists();
    if dangling {
        // A link that could stand for a page or a folder of pages fails the run; a dangling
        // link to an image or other file is only worth a warning.
        let may_hold_pages = path.extension().is_none_or(|x| x == "md");
        let make = if may_hold_pages {
            Diagnostic::error
        } else {
            Diagnostic::warning
        };
        let target = std::fs::read_link(root.join(&path)).unwrap_or_default();
        return make(
            Code::BrokenSymlink,
            &path,
            Pos::at(1, 1),
            format!(
                "{} is a symlink to {}, which does not exist",
                path.display(),
                target.display()
            ),
        )
        .expected("a symlink to an existing file or folder")
        .hint("fix or remove the link");
    }
    let why = err
        .io_error()
        .map(io_words)
        .unwrap_or_else(|| err.to_string());
    Diagnostic::error(
        Code::Unreadable,
        &path,
        Pos::at(1, 1),
        format!("cannot read {}: {why}", shown(&path)),
    )
    .expected("a readable folder")
    .hint("check its permissions: pages in it would be missed")
}

fn shown(path: &Path) -> String {
    if path == Path::new(".") {
        "the research repo root".into()
    } else {
        path.display().to_string()
    }
}

/// A `.gitignore` (or `.ignore`) line that does not parse: the walk goes on without it.
fn ignore_file_warning(root: &Path, e: &ignore::Error) -> Diagnostic {
    let mut err = e;
    let mut path = PathBuf::new();
    let mut line = 1;
    loop {
        match err {
            ignore::Error::Partial(errs) if !errs.is_empty() => err = &errs[0],
            ignore::Error::WithPath {
                path: p,
                err: inner,
            } => {
                path = p.strip_prefix(root).unwrap_or(p).to_path_buf();
                err = inner;
            }
            ignore::Error::WithLineNumber {
                line: l,
                err: inner,
            } => {
                line = u32::try_from(*l).unwrap_or(u32::MAX);
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. } => err = inner,
            _ => break,
        }
    }
    Diagnostic::warning(
        Code::BadIgnoreFile,
        &path,
        Pos::at(line, 1),
        format!("ignore file line not understood, so not applied: {err}"),
    )
    .expected("gitignore-style patterns")
    .hint("fix the pattern; until then the files it meant to skip are read as pages")
}

/// Parses page texts (in parallel) and builds the graph.
pub fn build(
    root: PathBuf,
    config: Config,
    rules: RuleSet,
    files: Vec<(PathBuf, Result<String, Diagnostic>)>,
) -> Repo {
    let parsed: Vec<Parsed> = {
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        files
            .par_iter()
            .map(|(path, text)| match text {
                Ok(t) => parse(path, t, &cx),
                Err(d) => unparsed(path, None, d.clone()),
            })
            .collect()
    };
    assemble(root, config, rules, parsed, Vec::new())
}

/// What the pages keep once the graph is built.
#[derive(Clone, Copy, PartialEq)]
pub enum Keep {
    All,
    /// Everything but the material of concept and source pages, which moves into the graph
    /// (`resolve::build_parts_moving`), so a large repo is not held twice; with the room a
    /// watcher's edits grow into (about 2 MB, which a one-shot command leaves unused).
    Lean,
}

/// A page parsed on its own, with the problems found in it; a page that could not be used
/// leaves the names other pages may know it by.
pub struct Parsed {
    pub page: Option<Page>,
    pub diags: Vec<Diagnostic>,
    pub lost: Option<resolve::Lost>,
}

/// One page file's bytes, decoded and parsed on their own: the loader's per-file step, which
/// the watcher also runs on each file that changed.
pub fn parse_file(path: &Path, bytes: &[u8], cx: &ParseContext) -> Parsed {
    parse_observed(path, bytes, cx, &Unobserved)
}

/// A page file that exists but could not be read, as the loader records it.
pub fn unreadable_file(rel: &Path, e: &std::io::Error) -> Parsed {
    unparsed(rel, None, unreadable(rel, e))
}

fn parse(path: &Path, text: &str, cx: &ParseContext) -> Parsed {
    let (page, diags) = page::parse(path, text, cx);
    let lost = page.is_none().then(|| lost_page(path, Some(text)));
    Parsed { page, diags, lost }
}

fn unparsed(path: &Path, text: Option<&str>, d: Diagnostic) -> Parsed {
    Parsed {
        page: None,
        diags: vec![d],
        lost: Some(lost_page(path, text)),
    }
}

/// The names a page that failed to parse is probably linked by: its path and stem, and the
/// `id`, `title` and first `# ` heading as far as they can be read from its lines. Links to
/// those are not reported again: the page's own error is the one to fix.
fn lost_page(path: &Path, text: Option<&str>) -> resolve::Lost {
    let mut names: Vec<String> = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .into_iter()
        .collect();
    for line in text.unwrap_or_default().lines() {
        let line = line.trim();
        if let Some(h1) = line.strip_prefix("# ") {
            names.push(h1.trim().to_string());
            break;
        }
        for key in ["id", "title"] {
            let value = line
                .strip_prefix(key)
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix(['=', ':']));
            if let Some(v) = value {
                names.push(v.trim().trim_matches(['"', '\'']).to_string());
            }
        }
    }
    resolve::Lost {
        path: path.to_path_buf(),
        names,
    }
}

/// Builds the graph from parsed pages; `diags` are those found before parsing (settings, walk).
/// The pages keep all but the material of concept and source pages, which moves into the graph
/// (`Keep::Lean`, for the watcher).
pub fn assemble(
    root: PathBuf,
    config: Config,
    rules: RuleSet,
    parsed: Vec<Parsed>,
    diags: Vec<Diagnostic>,
) -> Repo {
    assemble_keeping(root, config, rules, parsed, diags, Keep::Lean)
}

/// `assemble`, the pages keeping what `keep` says once the graph is built.
fn assemble_keeping(
    root: PathBuf,
    config: Config,
    rules: RuleSet,
    mut parsed: Vec<Parsed>,
    mut diags: Vec<Diagnostic>,
    keep: Keep,
) -> Repo {
    let started = Instant::now();
    let mut lost = Vec::new();
    for p in &mut parsed {
        diags.append(&mut p.diags);
        lost.extend(p.lost.take());
    }
    // A list of its own size (and the room a watcher's grows into): collected in place, the
    // pages would keep the parsed list's memory, a sixth larger, until the command ends.
    let room = if keep == Keep::Lean {
        resolve::ROOM.pages
    } else {
        0
    };
    let mut pages: Vec<Page> =
        Vec::with_capacity(parsed.iter().filter(|p| p.page.is_some()).count() + room);
    pages.extend(parsed.into_iter().filter_map(|p| p.page));
    tracing::debug!(
        pages = pages.len(),
        ms = started.elapsed().as_millis() as u64,
        "parsed"
    );
    diags.extend(crate::layout::folder_warnings(&pages, &config.folders));
    let (graph, dangling) = match keep {
        Keep::All => resolve::build_parts(&pages, &lost, &mut diags),
        Keep::Lean => resolve::build_parts_moving(&mut pages, &lost, &mut diags),
    };
    tracing::debug!(
        nodes = graph.len(),
        edges = graph.edge_count(),
        ms = started.elapsed().as_millis() as u64,
        "graph built"
    );
    Repo {
        root,
        config,
        rules,
        pages,
        graph,
        diags,
        dangling,
        numbers: None,
        path_order: Vec::new(),
    }
}

/// An unreadable page as a located diagnostic.
fn unreadable(rel: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::Unreadable,
        rel,
        Pos::at(1, 1),
        format!("cannot read page: {}", io_words(e)),
    )
    .expected("a readable file")
    .hint("check the file's permissions")
}

/// Reads and parses one page through the parse cache: a page stored for these very bytes is
/// taken as it is; a page parsed afresh is stored when it has no problem, from the place `at`
/// of the load's pages once they are all parsed (`Shelf::save`).
fn parse_shelved(
    reader: &mut Reader,
    (at, rel): (usize, &Path),
    cx: &ParseContext,
    shelf: &crate::cache::Shelf,
    observe: &dyn Observer,
) -> Parsed {
    let (bytes, stamp) = match shelf.read(reader, rel) {
        Ok(read) => read,
        Err(e) => return unreadable_file(rel, &e),
    };
    let ticket = match shelf.take(rel, stamp, bytes) {
        Ok(page) => {
            observe.page(rel, bytes);
            return Parsed {
                page: Some(page),
                diags: Vec::new(),
                lost: None,
            };
        }
        Err(ticket) => ticket,
    };
    let parsed = parse_observed(rel, bytes, cx, observe);
    if parsed.page.is_some() && parsed.diags.is_empty() {
        shelf.keep(ticket, at);
    }
    parsed
}

/// `parse_file`, showing `observe` the bytes of a page that is text.
fn parse_observed(rel: &Path, bytes: &[u8], cx: &ParseContext, observe: &dyn Observer) -> Parsed {
    match text_of(rel, bytes) {
        Ok(text) => {
            observe.page(rel, bytes);
            parse(rel, text, cx)
        }
        Err(d) => unparsed(rel, None, d),
    }
}

/// The parse cache of the repo at `root` for pages parsed under these settings.
pub fn shelf(root: &Path, config: &Config, rules: &RuleSet) -> crate::cache::Shelf {
    crate::cache::Shelf::open(root, &format!("{:?}{:?}", config.folders, rules.scale))
}

pub fn decode(rel: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| not_utf8(rel, e.as_bytes(), e.utf8_error()))
}

/// `decode` for bytes that stay where they were read.
fn text_of<'a>(rel: &Path, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    std::str::from_utf8(bytes).map_err(|e| not_utf8(rel, bytes, e))
}

fn not_utf8(rel: &Path, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let prefix = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
    let line = prefix.matches('\n').count() as u32 + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Diagnostic::error(
        Code::NotUtf8,
        rel,
        Pos::at(line, col),
        "page is not valid UTF-8",
    )
    .expected("UTF-8 text")
    .hint("re-save the file as UTF-8")
}

/// A walk already made of the repo, with the `rescore.toml` text whose settings it was made
/// under: a load whose settings come from the same text takes it instead of walking again (the
/// warm-check cache's lookup walks the repo just before a load).
pub struct Walk {
    pub config_text: Option<String>,
    pub paths: Vec<PathBuf>,
    pub diags: Vec<Diagnostic>,
}

/// What a load shows its caller as it goes (the warm-check cache keys an outcome on both, so
/// the key says exactly what the outcome was made of): the pages the walk found and its
/// warnings, once walked; then the bytes of each page that is text, as read.
pub trait Observer: Sync {
    fn walked(&self, paths: &[PathBuf], diags: &[Diagnostic]);
    fn page(&self, path: &Path, bytes: &[u8]);
}

/// An observer that looks at nothing.
pub struct Unobserved;

impl Observer for Unobserved {
    fn walked(&self, _: &[PathBuf], _: &[Diagnostic]) {}
    fn page(&self, _: &Path, _: &[u8]) {}
}

/// Loads the repo at `root` from disk. Only a root that is not a folder stops it: every other
/// problem (settings, folders, pages, links) is a diagnostic in the repo, all found in one run.
pub fn load(root: &Path) -> Result<Repo, Vec<Diagnostic>> {
    load_observed(root, &Unobserved)
}

/// `load`, showing `observe` the walk and every page's bytes as read.
pub fn load_observed(root: &Path, observe: &dyn Observer) -> Result<Repo, Vec<Diagnostic>> {
    load_with(root, observe, false, None, Keep::All, || ())
}

/// `load_observed` for a command that reads claims and rows from the graph only: the texts,
/// quantities and values of concept and source pages move from the pages into the graph
/// instead of being copied, so a large repo is not held twice (`Keep::Lean`, as the watcher
/// loads). With `parse_cache`, unchanged pages come from the parse cache in
/// `.rescore/cache/pages/`, and the pages it parses are stored there (before anything moves).
/// `walked` is taken when it was made under the settings this load reads; `reads_done` is
/// called once every page is read and parsed, before the graph is built (a caller reads the
/// lock then, beside the graph build, which leaves a core idle at times), and not when the
/// load stops before.
pub fn load_lean_telling(
    root: &Path,
    observe: &dyn Observer,
    parse_cache: bool,
    walked: Option<Walk>,
    reads_done: impl FnOnce(),
) -> Result<Repo, Vec<Diagnostic>> {
    load_with(root, observe, parse_cache, walked, Keep::Lean, reads_done)
}

fn load_with(
    root: &Path,
    observe: &dyn Observer,
    parse_cache: bool,
    walked: Option<Walk>,
    keep: Keep,
    reads_done: impl FnOnce(),
) -> Result<Repo, Vec<Diagnostic>> {
    let started = Instant::now();
    if !root.is_dir() {
        return Err(vec![Diagnostic::no_root(
            root,
            "research repo root is not a folder",
        )]);
    }
    let mut diags = Vec::new();
    let config_text = read_config(root).unwrap_or_else(|d| {
        diags.push(d);
        None
    });
    let (config, rules, settings_diags) =
        settings_with_problems(config_text.as_deref(), &crate::settings::read_from(root));
    diags.extend(settings_diags);
    // What the walk takes of the settings (`exclude`) comes from `rescore.toml` alone.
    let (paths, walk_diags, taken) = match walked.filter(|w| w.config_text == config_text) {
        Some(w) => (w.paths, w.diags, true),
        None => {
            let (paths, diags) = walk(root, &config);
            (paths, diags, false)
        }
    };
    observe.walked(&paths, &walk_diags);
    diags.extend(walk_diags);
    tracing::debug!(
        pages = paths.len(),
        taken,
        ms = started.elapsed().as_millis() as u64,
        "walked"
    );
    let bar = progress(paths.len());
    // Read and parse in one parallel pass, so a page's text is dropped as soon as it is parsed.
    let parsed: Vec<Parsed> = {
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        let shelf = parse_cache.then(|| shelf(root, &config, &rules));
        // Indexed all the way, so the results land in one vector sized up front.
        let parsed: Vec<Parsed> = paths
            .par_iter()
            .enumerate()
            .map_init(Reader::default, |reader, (at, p)| match &shelf {
                Some(shelf) => parse_shelved(reader, (at, p), &cx, shelf, observe),
                None => match reader.read(root, p) {
                    Ok(bytes) => parse_observed(p, bytes, &cx, observe),
                    Err(e) => unreadable_file(p, &e),
                },
            })
            .inspect(|_| {
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            })
            .collect();
        if let Some(shelf) = shelf {
            shelf.save(|at| parsed.get(at).and_then(|p| p.page.as_ref()));
        }
        parsed
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tracing::debug!(
        pages = parsed.len(),
        ms = started.elapsed().as_millis() as u64,
        "read and parsed"
    );
    reads_done();
    let repo = assemble_keeping(root.to_path_buf(), config, rules, parsed, diags, keep);
    if config_text.is_none()
        && !repo.has_errors()
        && repo.pages.iter().all(|p| p.kind == PageKind::Note)
    {
        return Err(vec![no_repo(root)]);
    }
    Ok(repo)
}

/// Neither `rescore.toml` nor a concept, thesis or source page: most likely a CI job or a shell
/// in the wrong folder, which must not pass as "nothing is stale".
fn no_repo(root: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::NoRepo,
        root,
        Pos::at(1, 1),
        "no research repo here: no rescore.toml and no concept, thesis or source page",
    )
    .expected("a folder holding rescore.toml, or pages under concepts/, theses/ or sources/ (or with a `kind`)")
    .hint("pass --root DIR to point at the research repo, or run `rescore init` to start one here")
}

/// A progress bar on a terminal for repos big enough to take a second; none otherwise (a
/// hidden bar still reads the clock and counts on every page).
fn progress(n: usize) -> Option<ProgressBar> {
    use std::io::IsTerminal;
    if n < 20_000 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} reading pages {pos}/{len} {wide_bar}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The watcher's load guard relies on this order of the `ignore` walk: a folder is told
    /// before it is listed and before its ignore files are read, the root before anything.
    #[test]
    fn a_folder_is_listed_after_the_walk_is_told() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("concepts/deep")).expect("mkdir");
        std::fs::write(root.join("concepts/skip.md"), "x").expect("write");
        let told = Arc::new(Mutex::new(Vec::new()));
        let before: BeforeListing = {
            let (told, root) = (told.clone(), root.to_path_buf());
            Arc::new(move |folder: &Path| {
                let rel = folder.strip_prefix(&root).unwrap_or(folder).to_path_buf();
                std::fs::write(folder.join("late.md"), "x").expect("write");
                if rel == Path::new("concepts") {
                    std::fs::write(folder.join(".gitignore"), "skip.md\n").expect("write");
                }
                entries(&told).push(rel);
            })
        };
        let (paths, diags) = walk_guarded(root, &Config::default(), before);
        assert!(diags.is_empty(), "{diags:?}");
        let want: Vec<PathBuf> = ["concepts/deep/late.md", "concepts/late.md", "late.md"]
            .into_iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            paths, want,
            "every page made when its folder was told is found, and the ignore file too"
        );
        let told = entries(&told).clone();
        assert_eq!(
            told,
            [PathBuf::new(), "concepts".into(), "concepts/deep".into()]
        );
    }

    /// A walk handed to the load is taken only when it was made under the same `rescore.toml`.
    #[test]
    fn a_walk_made_under_the_same_settings_is_taken_and_no_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("concepts")).expect("mkdir");
        for name in ["a", "b"] {
            std::fs::write(
                root.join(format!("concepts/{name}.md")),
                format!("+++\nkind = \"concept\"\n+++\n# {name}\n"),
            )
            .expect("write");
        }
        std::fs::write(root.join(FILE_NAME), "exclude = []\n").expect("write");
        // Made before `b.md` was saved, as far as the load can tell.
        let walked = |config_text: &str| Walk {
            config_text: Some(config_text.to_string()),
            paths: vec![PathBuf::from("concepts/a.md")],
            diags: Vec::new(),
        };
        let ids = |walk: Walk| -> Vec<String> {
            let repo =
                load_lean_telling(root, &Unobserved, false, Some(walk), || ()).expect("loads");
            repo.pages.iter().map(|p| p.id.to_string()).collect()
        };
        assert_eq!(ids(walked("exclude = []\n")), ["a"]);
        // Made under other settings: the load walks for itself.
        assert_eq!(ids(walked("exclude = [\"x\"]\n")), ["a", "b"]);
    }

    /// The watcher's page list (built by `assemble`) has the room its edits grow into; a
    /// command's has none to spare.
    #[test]
    fn the_pages_a_watcher_keeps_have_room_for_more() {
        let (config, rules) = settings(None, &|_| None).expect("default settings");
        let text = "+++\nkind = \"concept\"\n+++\n# C\n".to_string();
        let files = vec![(PathBuf::from("concepts/c.md"), Ok(text.clone()))];
        let repo = build(PathBuf::from("."), config.clone(), rules.clone(), files);
        assert!(repo.pages.capacity() > crate::resolve::ROOM.pages);
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        let parsed = vec![parse(Path::new("concepts/c.md"), &text, &cx)];
        let repo = assemble_keeping(
            PathBuf::from("."),
            config,
            rules,
            parsed,
            Vec::new(),
            Keep::All,
        );
        assert_eq!(repo.pages.capacity(), 1);
    }

    #[test]
    fn pages_added_and_removed_in_place_keep_their_numbers_and_are_found() {
        let (config, rules) = settings(None, &|_| None).expect("default settings");
        let files = (0..10)
            .map(|k| {
                let text = format!("+++\nkind = \"concept\"\n+++\n# C{k}\n");
                (PathBuf::from(format!("concepts/c{k:02}.md")), Ok(text))
            })
            .collect();
        let mut repo = build(PathBuf::from("."), config, rules, files);
        let mut model: std::collections::BTreeMap<Box<Path>, u32> = repo
            .pages
            .iter()
            .enumerate()
            .map(|(k, p)| (p.path.clone(), k as u32))
            .collect();
        let mut given: HashSet<u32> = model.values().copied().collect();
        for step in 0..90usize {
            if step % 3 == 1 {
                let at = (step * 31) % repo.pages.len();
                let gone = repo.remove_page(at);
                assert!(model.remove(&gone.path).is_some(), "step {step}");
            } else {
                let mut p = repo.pages[0].clone();
                // Before, between and after the others in path order.
                p.path =
                    PathBuf::from(format!("concepts/c{:02}-{step}.md", (step * 7) % 12)).into();
                p.id = format!("n{step}").into();
                let path = p.path.clone();
                let at = repo.insert_page(p);
                let number = repo.number_of(at);
                assert!(
                    given.insert(number),
                    "step {step}: number {number} given twice"
                );
                model.insert(path, number);
            }
            if step % 10 == 9 {
                assert!(repo.sort_pages(), "step {step}: pages came at the end");
                assert!(repo.pages.windows(2).all(|w| w[0].path < w[1].path));
            }
            assert_eq!(repo.pages.len(), model.len());
            for (path, &number) in &model {
                let at = repo.page_slot(path).expect("a page in the list is found");
                assert_eq!(&repo.pages[at].path, path, "step {step}");
                assert_eq!(
                    repo.number_of(at),
                    number,
                    "step {step}: {path:?} renumbered"
                );
                let loc = rescore_graph::Loc {
                    file: number,
                    ..Default::default()
                };
                assert_eq!(repo.page_of(loc).map(|p| &p.path), Some(path));
            }
            assert_eq!(repo.page_slot(Path::new("concepts/none.md")), None);
        }
    }

    /// Path components as a walk yields them: never `.`, `..` or empty, with bytes that sort
    /// either side of the separator.
    fn component() -> impl Strategy<Value = String> {
        "[a-c.\\- _0\u{1}\u{e9}]{1,3}".prop_filter("a named component", |c| c != "." && c != "..")
    }

    proptest! {
        /// Paths that share a prefix of a few to many bytes, as a folder's pages do.
        #[test]
        fn walk_order_is_path_order_past_long_shared_prefixes(
            shared in prop::collection::vec(component(), 1..6),
            tails in prop::collection::vec(prop::collection::vec(component(), 1..3), 0..30)
        ) {
            let paths: Vec<PathBuf> = tails
                .iter()
                .map(|t| {
                    let mut p: PathBuf = shared.iter().collect();
                    let mut last = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
                    last.push(&t[0]);
                    p.set_file_name(last);
                    p.extend(&t[1..]);
                    p
                })
                .collect();
            let mut by_path = paths.clone();
            by_path.sort();
            let mut walked = paths;
            walked.par_sort_unstable_by(|a, b| path_order(a, b));
            prop_assert_eq!(walked, by_path);
        }

        #[test]
        fn walk_order_is_path_order(
            paths in prop::collection::vec(prop::collection::vec(component(), 1..4), 0..40)
        ) {
            let paths: Vec<PathBuf> = paths.iter().map(|c| c.iter().collect()).collect();
            let mut by_path = paths.clone();
            by_path.sort();
            let mut walked = paths;
            walked.par_sort_unstable_by(|a, b| path_order(a, b));
            prop_assert_eq!(walked, by_path);
        }
    }
}
