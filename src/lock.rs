//! The lock: per thesis, its accepted score and the material state of everything upstream it was
//! scored against, laid out so that git merges it line by line.
//!
//! - `rescore.lock` holds one line per accepted thesis (its score and the tree id of each direct
//!   dependency), with a blank line between theses, so accepting one thesis changes only its own
//!   line and two branches that accepted different theses never touch neighbouring lines.
//! - `rescore.lock.d/0.lock` … `f.lock` hold the node entries ([`line`]), content-addressed by
//!   tree id and sharded by the id's first hex digit: a shared state is stored once, and an
//!   entry's line is the same on every branch that holds it. A concept's line holds the claims
//!   and rows of its page. All sixteen files always exist, so no merge sees a shard added on one
//!   side and deleted on the other.
//! - A claim's text is named by hash and by its page's git blob ([`pages`]), not held: it is
//!   most of what the lock would otherwise be.
//!
//! `rescore init` marks these files `merge=union` in `.gitattributes`; whatever git leaves (a
//! union of both sides, or conflict markers when the attribute is missing), the reader takes
//! every line of both sides. A thesis line names the lines it replaced (`was`, its last few
//! predecessors), so a line a merge kept from the common ancestor is recognised as superseded; two lines for one thesis that do
//! not supersede each other mean two branches accepted it differently, and it is reported stale
//! until accepted again. Writes are atomic per file, under an exclusive lock on the repo folder,
//! and ordered so that a reader always finds every entry the thesis file refers to.

mod against;
mod index;
mod line;
mod lines;
pub mod pages;
mod store;
mod thesis_line;
mod v1;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rescore_graph::MaterialState;
use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic, Pos};
use crate::trees::{hex, parse_hex, TreeId};
pub use against::Against;
use store::{Loaded, Source, Span};

pub const FILE_NAME: &str = "rescore.lock";
/// The folder of node-entry shards.
pub const DIR: &str = "rescore.lock.d";
pub const SHARDS: usize = 16;
/// The lock format this rescore writes. Older formats are read and upgraded on the next write;
/// newer ones are refused rather than misread.
pub const VERSION: u32 = 3;

/// The lines `rescore init` puts in `.gitattributes`: git then merges the lock files by taking
/// the lines of both sides, which the reader sorts out.
pub const GITATTRIBUTES: &str = "rescore.lock merge=union\nrescore.lock.d/* merge=union\n";

/// The shard file holding entries whose tree id starts with hex digit `i`.
pub fn shard_path(i: usize) -> PathBuf {
    Path::new(DIR).join(format!("{i:x}.lock"))
}

/// The files a lock's entries are read from: the sixteen shards, then the sixteen shards of
/// format 2 (`N.toml`), which a lock of that format has and a write removes.
pub fn shard_paths() -> Vec<PathBuf> {
    (0..SHARDS)
        .map(shard_path)
        .chain((0..SHARDS).map(|i| Path::new(DIR).join(format!("{i:x}.toml"))))
        .collect()
}

fn shard_of(id: TreeId) -> usize {
    (id >> 60) as usize
}

/// The lock's files as text: the thesis file and the shards, in the order of [`shard_paths`]
/// (an absent shard is empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Files {
    pub main: String,
    pub shards: Vec<String>,
}

/// The parsed lock. Baselines are parsed up front; entries are only indexed, and one is parsed
/// when evaluation looks inside a subtree whose tree id changed, which keeps `check` on a large
/// repo close to the cost of reading the files. A lock read from disk holds no text of its
/// entries, only where each line is ([`store`]). Two reads are equal when they hold the same
/// baselines and read their entries from the same versions of the same files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lock {
    /// The format the lock was read in (`VERSION` for a new one).
    pub version: u32,
    pub thesis: BTreeMap<String, Baseline>,
    /// Theses that two merged branches accepted differently: every baseline found, until the
    /// thesis is accepted again.
    pub conflicted: BTreeMap<String, Vec<Baseline>>,
    /// The files entries are read from.
    sources: Vec<Source>,
    /// Where each line holding entries is.
    lines: Vec<Span>,
    /// Each entry's line, by tree id: an index into `lines` (a page's line holds several).
    index: index::Index<u32>,
    /// Entries added since reading (by `accept`).
    added: BTreeMap<TreeId, Entry>,
}

/// What one thesis was last scored against: its score and the tree id of each direct
/// dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub score: f64,
    /// Short hashes of the lines this baseline replaced, newest first (at most `ANCESTORS`),
    /// so that a merge that kept an older line beside it is read as this one.
    pub was: Vec<String>,
    /// Direct dependency key → tree id.
    pub against: Against,
}

/// A baseline as a thesis line writes it, its tree ids as text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenBaseline {
    score: f64,
    #[serde(default)]
    was: Vec<String>,
    #[serde(default)]
    against: BTreeMap<String, String>,
}

impl WrittenBaseline {
    /// The baseline, each tree id read by `id`; `Err` holds the first id that does not read.
    fn read(self, id: impl Fn(&str) -> Option<TreeId>) -> Result<Baseline, String> {
        let against = self
            .against
            .into_iter()
            .map(|(k, s)| Ok((k, id(&s).ok_or(s)?)))
            .collect::<Result<Against, String>>()?;
        Ok(Baseline {
            score: self.score,
            was: self.was,
            against,
        })
    }
}

impl Baseline {
    /// The same score against the same states, whatever line each replaced.
    pub fn same_as(&self, other: &Baseline) -> bool {
        self.score.to_bits() == other.score.to_bits() && self.against == other.against
    }
}

/// One node as a thesis was scored against it: key, own state, and its upstream subtrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: String,
    pub state: MaterialState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub up: Vec<String>,
    /// Where a claim's text is: in `state` (the default), or named by hash and page blob.
    #[serde(skip)]
    pub text: TextAt,
}

/// Where the text of a claim entry is.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TextAt {
    /// In the entry's state (any entry but a claim's, a claim of a format-2 lock, or one
    /// accepted in this run whose page could not be read).
    #[default]
    Held,
    /// A claim accepted in this run, on this page (relative to the root): the lock names its
    /// text by hash and the page by its git blob when it is written.
    Page(PathBuf),
    /// Named by the hash of the canonical text and, when known, the page's git blob id as
    /// accepted (format 3). The state's `text` is empty until filled from the blob.
    Hashed { hash: String, blob: Option<String> },
}

/// A thesis's dependencies as they are now, ready to be accepted.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub against: BTreeMap<String, TreeId>,
    pub entries: BTreeMap<TreeId, Entry>,
}

const RECOVER: &str = "delete that line (or fix it) and run `rescore check`: every other accept is kept, and a thesis that relied on the line is reported for re-scoring; `git diff` shows what changed it";

fn corrupt(path: &Path, line: u32, what: String) -> Diagnostic {
    Diagnostic::error(Code::LockCorrupt, path, Pos::at(line, 1), what)
        .expected("lines as rescore writes them (docs/format.md, \"The lock\")")
        .hint(RECOVER)
}

/// A lock file too large for `Span`.
fn too_long(path: &Path) -> Diagnostic {
    corrupt(path, 1, "a lock file over 4 GiB".to_string())
}

/// A shard indexed: what its lines are read from, where they are, and each entry's line among
/// them.
struct Indexed {
    source: Source,
    lines: Vec<Span>,
    ids: Vec<(TreeId, u32)>,
}

/// Indexes shard `i` of the lock (at `path`).
fn index_shard(i: usize, path: PathBuf, shard: Loaded) -> Result<Indexed, Diagnostic> {
    let text = &shard.text;
    let mut lines = Vec::new();
    let mut ids = Vec::new();
    for (n, t) in lines::content(text) {
        let line_ids = entry_ids(t)
            .ok_or_else(|| corrupt(&path, n, format!("not a node entry: `{}`", shorten(t))))?;
        let start = t.as_ptr() as usize - text.as_ptr() as usize;
        let span = Span::new(i, start..start + t.len()).ok_or_else(|| too_long(&path))?;
        let at = u32::try_from(lines.len()).map_err(|_| too_long(&path))?;
        lines.push(span);
        ids.extend(line_ids.into_iter().map(|id| (id, at)));
    }
    Ok(Indexed {
        source: shard.into_source(path),
        lines,
        ids,
    })
}

fn shorten(t: &str) -> String {
    let s: String = t.chars().take(60).collect();
    if t.chars().count() > 60 {
        format!("{s}…")
    } else {
        s
    }
}

/// The tree id of an entry line of format 2 (`ID = { … }`), if it is one.
fn toml_entry_id(t: &str) -> Option<TreeId> {
    t.split_once(" = {")
        .filter(|_| t.ends_with('}'))
        .and_then(|(id, _)| parse_hex(id.trim()))
}

/// The tree ids of the entries on a line of either format.
fn entry_ids(t: &str) -> Option<Vec<TreeId>> {
    line::line_ids(t).or_else(|| toml_entry_id(t).map(|id| vec![id]))
}

/// A short hash naming one thesis line, for `was`.
fn line_id(line: &str) -> String {
    blake3::hash(line.trim().as_bytes()).to_hex()[..8].to_string()
}

/// How many predecessors a thesis line names: a line older than that, kept by a merge beside
/// its successor, reads as a second accept and asks for one re-score.
const ANCESTORS: usize = 6;

/// The value of a `version = N` line (a thesis named `version` has a table for a value).
fn version_line(t: &str) -> Option<&str> {
    let v = t
        .strip_prefix("version")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    (!v.starts_with('{')).then_some(v)
}

/// The format version a thesis file declares: the highest `version = N` line (a merge may have
/// kept two).
fn version_of(main: &str) -> Result<u32, Diagnostic> {
    let mut found = None;
    for (n, t) in lines::content(main) {
        let Some(v) = version_line(t) else {
            continue;
        };
        let v: u32 = v.parse().map_err(|_| {
            corrupt(
                Path::new(FILE_NAME),
                n,
                format!("`{}` is no format version", shorten(t)),
            )
        })?;
        found = found.max(Some(v));
    }
    found.ok_or_else(|| {
        corrupt(
            Path::new(FILE_NAME),
            1,
            "rescore.lock has no `version = N` line".into(),
        )
    })
}

impl Lock {
    pub fn new() -> Lock {
        Lock {
            version: VERSION,
            ..Lock::default()
        }
    }

    /// Parses the lock's files, in any format this rescore reads.
    pub fn parse(files: &Files) -> Result<Lock, Diagnostic> {
        let Files { main, shards } = files.clone();
        Lock::assemble(Loaded::text(main), || {
            shards
                .into_par_iter()
                .zip(shard_paths())
                .enumerate()
                .map(|(i, (text, path))| index_shard(i, path, Loaded::text(text)))
                .collect()
        })
    }

    /// The lock from its thesis file and, unless it is of format 1, its shards, indexed by
    /// `shards` (in the order of [`shard_paths`]).
    fn assemble(
        main: Loaded,
        shards: impl FnOnce() -> Vec<Result<Indexed, Diagnostic>>,
    ) -> Result<Lock, Diagnostic> {
        let version = version_of(&main.text)?;
        if version > VERSION {
            return Err(Diagnostic::error(
                Code::LockTooNew,
                Path::new(FILE_NAME),
                Pos::at(1, 1),
                format!(
                    "rescore.lock is in format version {version}, written by a newer rescore; this rescore reads formats 1 to {VERSION}"
                ),
            )
            .expected(format!("format version {VERSION} or older"))
            .hint(format!(
                "upgrade rescore to one that reads format {version} (the lock is fine; do not edit it)"
            )));
        }
        if version == 1 {
            let (thesis, index) = v1::parse(&main.text)?;
            let mut lines = Vec::with_capacity(index.len());
            let mut found = Vec::with_capacity(index.len());
            for (id, range) in index {
                let at = u32::try_from(lines.len()).map_err(|_| too_long(Path::new(FILE_NAME)))?;
                lines.push(Span::new(0, range).ok_or_else(|| too_long(Path::new(FILE_NAME)))?);
                found.push((id, at));
            }
            return Ok(Lock {
                version,
                thesis,
                conflicted: BTreeMap::new(),
                sources: vec![main.into_source(PathBuf::from(FILE_NAME))],
                lines,
                index: index::Index::new(found),
                added: BTreeMap::new(),
            });
        }
        let (thesis, conflicted) = parse_theses(&main.text)?;
        drop(main);
        // The first damaged shard in order, so the diagnostic does not depend on scheduling.
        let indexed: Vec<Indexed> = shards().into_iter().collect::<Result<_, _>>()?;
        let mut lock = Lock {
            version,
            thesis,
            conflicted,
            lines: Vec::with_capacity(indexed.iter().map(|s| s.lines.len()).sum()),
            ..Lock::default()
        };
        let mut found = Vec::with_capacity(indexed.iter().map(|s| s.ids.len()).sum());
        for shard in indexed {
            let first =
                u32::try_from(lock.lines.len()).map_err(|_| too_long(shard.source.path()))?;
            for (id, at) in shard.ids {
                let at = first
                    .checked_add(at)
                    .ok_or_else(|| too_long(shard.source.path()))?;
                found.push((id, at));
            }
            lock.lines.extend(shard.lines);
            lock.sources.push(shard.source);
        }
        lock.index = index::Index::new(found);
        Ok(lock)
    }

    /// Reads the lock; a missing file is no lock, an unreadable or damaged one an error. The
    /// thesis file is read again after the shards: if a writer replaced it meanwhile, the read
    /// is repeated, so the entries always match the baselines. The shards are kept open, not
    /// held: their lines are read back when asked for ([`store`]).
    pub fn read(root: &Path) -> Result<Option<Lock>, Diagnostic> {
        Lock::read_keeping(root, true)
    }

    /// `read`; with `keep_open`, the shards' lines are read back from the files, else from
    /// their texts, held (for a write, which reads most of them).
    fn read_keeping(root: &Path, keep_open: bool) -> Result<Option<Lock>, Diagnostic> {
        let mut tries = 0;
        loop {
            let Some(main) = store::read(root, Path::new(FILE_NAME), keep_open)? else {
                return Ok(None);
            };
            let seen = blake3::hash(main.text.as_bytes());
            // Each shard is indexed as soon as it is read: on a large repo this is most of
            // reading the lock, and a kept-open shard's text is dropped at once.
            let lock = Lock::assemble(main, || {
                shard_paths()
                    .into_par_iter()
                    .enumerate()
                    .map(|(i, path)| {
                        let text = store::read(root, &path, keep_open)?;
                        index_shard(i, path, text.unwrap_or(Loaded::text(String::new())))
                    })
                    .collect()
            });
            tries += 1;
            let again = store::read(root, Path::new(FILE_NAME), false)?;
            if again.is_some_and(|a| blake3::hash(a.text.as_bytes()) == seen) || tries == 5 {
                return lock.map(Some);
            }
        }
    }

    /// The line (trimmed) an entry read from disk is on.
    fn line_of(&self, id: TreeId) -> Result<Option<Cow<'_, str>>, Diagnostic> {
        let Some(at) = self.index.get(id) else {
            return Ok(None);
        };
        let span = self.lines[at as usize];
        self.sources[span.file()].line(span, id).map(Some)
    }

    /// The entry for a tree id, added in this run or read.
    fn entry_of(&self, id: TreeId) -> Result<Option<Entry>, Diagnostic> {
        self.entry(&hex(id))
    }

    /// Whether the lock holds an entry for this tree id.
    pub fn has(&self, id: TreeId) -> bool {
        self.index.contains(id) || self.added.contains_key(&id)
    }

    /// The entry for a tree id, parsed from its line on first use; `None` when the lock does
    /// not hold it.
    pub fn entry(&self, id: &str) -> Result<Option<Entry>, Diagnostic> {
        let Some(id) = parse_hex(id) else {
            return Ok(None);
        };
        if let Some(e) = self.added.get(&id) {
            return Ok(Some(e.clone()));
        }
        let Some(at) = self.index.get(id) else {
            return Ok(None);
        };
        let span = self.lines[at as usize];
        let source = &self.sources[span.file()];
        let line = source.line(span, id)?;
        let (mut entry, implied) =
            parse_any_entry(&line, id).ok_or_else(|| source.corrupt_entry(span, id))?;
        if implied {
            let keys = self.up_keys(&entry)?;
            if let Some(sources) = sources_mut(&mut entry.state) {
                *sources = keys
                    .unwrap_or_default()
                    .into_iter()
                    .map(Arc::from)
                    .collect();
            }
        }
        Ok(Some(entry))
    }

    /// The keys of an entry's upstream entries, sorted and without repeats (what a claim's or
    /// row's sources are when its line leaves them out); `None` when one is missing.
    fn up_keys(&self, e: &Entry) -> Result<Option<Vec<String>>, Diagnostic> {
        let mut keys = Vec::with_capacity(e.up.len());
        for up in &e.up {
            match self.entry(up)? {
                Some(u) => keys.push(u.key),
                None => return Ok(None),
            }
        }
        keys.sort();
        keys.dedup();
        Ok(Some(keys))
    }

    /// Whether a claim's or row's sources are the keys of its upstream entries, so its line
    /// can leave them out.
    fn sources_implied(&self, e: &Entry) -> Result<bool, Diagnostic> {
        let sources = match &e.state {
            MaterialState::Claim(c) => &c.sources,
            MaterialState::Benchmark { sources, .. } => sources,
            _ => return Ok(false),
        };
        Ok(self.up_keys(e)?.is_some_and(|keys| {
            keys.iter()
                .map(String::as_str)
                .eq(sources.iter().map(|s| &**s))
        }))
    }

    /// The upstream tree ids of an entry. Read off its line without parsing it (the `^` ids of
    /// format 3, or a format-2 line's closing `up = ["…", …] }`), which spares parsing every
    /// entry when a write walks the lock.
    fn up_of(&self, id: TreeId) -> Result<Vec<TreeId>, Diagnostic> {
        if let Some(line) = self.line_of(id)? {
            if let Some(up) = line::up_of(&line, id) {
                return Ok(up);
            }
            let tail = line
                .trim_end()
                .strip_suffix("] }")
                .and_then(|l| l.rsplit_once(", up = ["))
                .map(|(_, ids)| ids);
            if let Some(ids) = tail {
                let parsed: Option<Vec<TreeId>> = ids
                    .split(", ")
                    .map(|s| s.strip_prefix('"')?.strip_suffix('"').and_then(parse_hex))
                    .collect();
                if let Some(ids) = parsed {
                    return Ok(ids);
                }
            }
        }
        Ok(self
            .entry(&hex(id))?
            .map(|e| e.up.iter().filter_map(|s| parse_hex(s)).collect())
            .unwrap_or_default())
    }

    /// Records a thesis's baseline. Accepting what the lock already holds changes nothing, so
    /// a repeated accept does not look like a new one to a merge.
    pub fn accept(&mut self, thesis: &str, score: f64, snap: &Snapshot) {
        for (id, entry) in &snap.entries {
            if !self.index.contains(*id) {
                self.added.entry(*id).or_insert_with(|| entry.clone());
            }
        }
        let against: Against = snap
            .against
            .iter()
            .map(|(k, id)| (k.as_str(), *id))
            .collect();
        let previous: Vec<&Baseline> = match self.thesis.get(thesis) {
            Some(b) => vec![b],
            None => self
                .conflicted
                .get(thesis)
                .map_or(Vec::new(), |v| v.iter().collect()),
        };
        // Every line this one replaces, then what they replaced.
        let mut was: Vec<String> = previous
            .iter()
            .map(|b| line_id(&thesis_line(thesis, b)))
            .collect();
        for b in &previous {
            for h in &b.was {
                if !was.contains(h) {
                    was.push(h.clone());
                }
            }
        }
        was.truncate(ANCESTORS);
        let baseline = Baseline {
            score,
            was,
            against,
        };
        let previous = previous.first().copied();
        if previous.is_some_and(|b| b.same_as(&baseline)) && !self.conflicted.contains_key(thesis) {
            return;
        }
        self.conflicted.remove(thesis);
        self.thesis.insert(thesis.to_string(), baseline);
    }

    /// Names the text of each claim accepted in this run by hash and its page by git blob id,
    /// and writes those blobs into the git repo's object database. Outside a git repo, and for
    /// a page that cannot be read, the claims' text stays in the lock: there is nowhere else to
    /// read it back from (and no git host to keep the lock small for).
    fn name_pages(&mut self, root: &Path) {
        if !pages::in_git(root) {
            return;
        }
        let mut blobs: HashMap<PathBuf, Option<String>> = HashMap::new();
        let mut store = Vec::new();
        for entry in self.added.values_mut() {
            let (TextAt::Page(page), MaterialState::Claim(claim)) = (&entry.text, &entry.state)
            else {
                continue;
            };
            let blob = blobs
                .entry(page.clone())
                .or_insert_with(|| {
                    let bytes = std::fs::read(root.join(page)).ok()?;
                    let id = pages::blob_id(&bytes)?;
                    store.push(bytes);
                    Some(id)
                })
                .clone();
            if blob.is_some() {
                entry.text = TextAt::Hashed {
                    hash: pages::text_hash(&claim.text),
                    blob,
                };
            }
        }
        pages::store(root, &store);
    }

    /// Drops the baselines of theses that no longer exist.
    pub fn retain_theses(&mut self, keep: impl Fn(&str) -> bool) {
        self.thesis.retain(|t, _| keep(t));
        self.conflicted.retain(|t, _| keep(t));
    }

    /// The lock's files, deterministic and sorted. Entries no baseline reaches are dropped;
    /// with `keep_read`, every entry that was read is kept too (the first step of a write, so
    /// that a concurrent reader of the old thesis file still finds its entries).
    pub fn render(&self) -> Result<Files, Diagnostic> {
        self.render_files(false)
    }

    fn render_files(&self, keep_read: bool) -> Result<Files, Diagnostic> {
        let mut main = String::from(
            "# rescore.lock: what each thesis was last scored against, one thesis a line; the node\n# entries are in rescore.lock.d/. Written by `rescore accept`: commit both, and let rescore edit them.\nversion = 3\n",
        );
        let baselines = self.thesis.iter().chain(
            self.conflicted
                .iter()
                .flat_map(|(t, v)| v.iter().map(move |b| (t, b))),
        );
        let mut lines: Vec<String> = baselines.clone().map(|(t, b)| thesis_line(t, b)).collect();
        lines.sort();
        for line in &lines {
            main.push('\n');
            main.push_str(line);
            main.push('\n');
        }
        // Walk from every baseline to find the entries still in use.
        let mut used: BTreeSet<TreeId> = BTreeSet::new();
        let mut todo: Vec<TreeId> = baselines.flat_map(|(_, b)| b.against.values()).collect();
        if keep_read {
            // Entries read from disk only refer to each other: no need to walk them.
            used.extend(self.index.ids());
            todo.retain(|&id| !self.index.contains(id));
            todo.extend(self.added.keys());
        }
        while let Some(id) = todo.pop() {
            if !used.insert(id) {
                continue;
            }
            // An entry a merge dropped stays missing; evaluation reports what relied on it.
            todo.extend(self.up_of(id)?);
        }
        let mut shards: Vec<String> = (0..SHARDS)
            .map(|i| {
                format!(
                    "# {}: node entries for rescore.lock, one a line: tree id, kind, key, state, ^upstream tree ids (docs/format.md).\n",
                    shard_path(i).display()
                )
            })
            .collect();
        let mut lines: Vec<(TreeId, String)> = Vec::new();
        // A used concept's line holds the claims and rows of its page; what no such line holds
        // gets a line of its own.
        let mut covered: HashSet<TreeId> = HashSet::new();
        for &id in &used {
            if let Some(line) = self.line_of(id)? {
                if line::line_id(&line) == Some(id) && line.split(' ').nth(1) == Some("concept") {
                    covered.extend(line::line_ids(&line).unwrap_or_default());
                    lines.push((id, line.to_string()));
                }
                if line::line_id(&line).is_some() {
                    continue;
                }
            }
            let Some(e) = self.entry_of(id)? else {
                continue;
            };
            if !matches!(e.state, MaterialState::Concept { .. }) {
                continue;
            }
            let page = format!("{}#", e.key);
            let mut kids = Vec::new();
            for up in e.up.iter().filter_map(|u| parse_hex(u)) {
                let kid = self.entry_of(up)?.filter(|k| {
                    k.key.starts_with(&page)
                        && matches!(
                            k.state,
                            MaterialState::Claim(_) | MaterialState::Benchmark { .. }
                        )
                });
                if let Some(kid) = kid {
                    let implied = self.sources_implied(&kid)?;
                    kids.push((up, kid, implied));
                }
            }
            let refs: Vec<(TreeId, &Entry, bool)> = kids
                .iter()
                .map(|(i, k, implied)| (*i, k, *implied))
                .collect();
            covered.insert(id);
            covered.extend(kids.iter().map(|(i, _, _)| *i));
            lines.push((id, line::render_page(id, &e, &refs)));
        }
        for &id in &used {
            if covered.contains(&id) {
                continue;
            }
            match self.line_of(id)? {
                Some(line) if line::line_ids(&line).is_some_and(|ids| ids == [id]) => {
                    lines.push((id, line.into_owned()))
                }
                _ => {
                    if let Some(e) = self.entry_of(id)? {
                        let implied = self.sources_implied(&e)?;
                        lines.push((id, line::render(id, &e, implied)));
                    }
                }
            }
        }
        lines.sort_unstable_by_key(|(id, _)| *id);
        for (id, line) in lines {
            let shard = &mut shards[shard_of(id)];
            shard.push('\n');
            shard.push_str(&line);
            shard.push('\n');
        }
        Ok(Files { main, shards })
    }
}

/// Parses entry `id` of a line of either format, and whether its sources are left to be read
/// off its upstream entries.
fn parse_any_entry(line: &str, id: TreeId) -> Option<(Entry, bool)> {
    let line = line.trim();
    if let Some(entries) = line::parse(line) {
        return entries
            .into_iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, e, implied)| (e, implied));
    }
    toml_entry_id(line)?;
    let value = line.split_once('=').map(|(_, v)| v.trim())?;
    toml::from_str::<BTreeMap<String, Entry>>(&format!("e = {value}"))
        .ok()
        .and_then(|mut m| m.remove("e"))
        .map(|e| (e, false))
}

/// The sources of a claim or row, where there are any.
fn sources_mut(state: &mut MaterialState) -> Option<&mut Box<[Arc<str>]>> {
    match state {
        MaterialState::Claim(c) => Some(&mut c.sources),
        MaterialState::Benchmark { sources, .. } => Some(sources),
        _ => None,
    }
}

/// Reads the thesis lines of a format-2 lock, sorting out what a merge left: identical lines
/// are one, a line another one names as `was` is superseded, and what remains beyond one line
/// per thesis is a thesis accepted differently on two branches.
type Theses = (BTreeMap<String, Baseline>, BTreeMap<String, Vec<Baseline>>);

fn parse_theses(main: &str) -> Result<Theses, Diagnostic> {
    let path = Path::new(FILE_NAME);
    let mut found: BTreeMap<String, Vec<(String, Baseline)>> = BTreeMap::new();
    for (n, t) in lines::content(main) {
        if version_line(t).is_some() {
            continue;
        }
        let parsed = thesis_line::read(t)
            .or_else(|| {
                toml::from_str::<BTreeMap<String, WrittenBaseline>>(t)
                    .ok()
                    .filter(|m| m.len() == 1)
                    .and_then(|m| m.into_iter().next())
            })
            .and_then(|(thesis, b)| Some((thesis, b.read(tree_id).ok()?)));
        let Some((thesis, baseline)) = parsed else {
            return Err(corrupt(
                path,
                n,
                format!("not a thesis baseline: `{}`", shorten(t)),
            ));
        };
        let seen = found.entry(thesis).or_default();
        if !seen.iter().any(|(line, _)| line == t) {
            seen.push((t.to_string(), baseline));
        }
    }
    // Gathered in order and collected, which fills the maps' nodes (inserted one by one in
    // order, each node would be left half empty).
    let mut thesis = Vec::with_capacity(found.len());
    let mut conflicted = Vec::new();
    for (name, seen) in found {
        let replaced: BTreeSet<&str> = seen
            .iter()
            .flat_map(|(_, b)| b.was.iter().map(String::as_str))
            .collect();
        let mut live: Vec<Baseline> = Vec::new();
        for (line, b) in &seen {
            // Two lines that reached the same baseline by different histories are one.
            let superseded = !replaced.is_empty() && replaced.contains(line_id(line).as_str());
            if !superseded && !live.iter().any(|l| l.same_as(b)) {
                live.push(b.clone());
            }
        }
        if live.is_empty() {
            // A cycle of `was` can only be hand-made; keep every line rather than guess.
            live = seen.into_iter().map(|(_, b)| b).collect();
        }
        if live.len() == 1 {
            thesis.push((name, live.remove(0)));
        } else {
            conflicted.push((name, live));
        }
    }
    Ok((
        thesis.into_iter().collect(),
        conflicted.into_iter().collect(),
    ))
}

/// A tree id in a thesis line: base64 (format 3) or hex (format 2).
fn tree_id(s: &str) -> Option<TreeId> {
    line::parse_id(s).or_else(|| parse_hex(s))
}

/// One thesis's line: `ID = { score = …, was = ["…"], against = { … } }`.
fn thesis_line(thesis: &str, b: &Baseline) -> String {
    let mut parts = vec![format!("score = {}", float(b.score))];
    if !b.was.is_empty() {
        let was: Vec<String> = b.was.iter().map(|h| one_line(h)).collect();
        parts.push(format!("was = [{}]", was.join(", ")));
    }
    if !b.against.is_empty() {
        let against: Vec<String> = b
            .against
            .iter()
            .map(|(k, id)| format!("{} = {}", key(k), one_line(&line::id_text(id))))
            .collect();
        parts.push(format!("against = {{ {} }}", against.join(", ")));
    }
    format!("{} = {{ {} }}", key(thesis), parts.join(", "))
}

fn float(x: f64) -> String {
    let v = toml::Value::Float(x);
    v.to_string()
}

/// A TOML key, bare when it can be.
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(in_bare_key) {
        k.to_string()
    } else {
        one_line(k)
    }
}

/// Whether `c` may stand in a bare TOML key, as the lock writes keys and reads them back.
fn in_bare_key(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A one-line basic string: toml's own rendering turns a string holding a line break into a
/// multi-line string, which is no key and breaks the one-entry-a-line layout. JSON's escapes
/// are TOML's, except that TOML also wants DEL escaped.
fn one_line(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace('\u{7f}', "\\u007f")
}

/// An exclusive lock on the research repo for the duration of a write. It locks the root folder
/// itself, so no lock file is left behind. Every write rescore makes (the lock, pages, the
/// config `init` writes) happens while it is held, so a temp file found under it was left by a
/// write that was interrupted.
pub struct RepoLock {
    file: File,
}

impl RepoLock {
    /// Waits for the lock.
    pub fn acquire(root: &Path) -> std::io::Result<RepoLock> {
        let file = File::open(root)?;
        file.lock()?;
        Ok(RepoLock { file })
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

const TEMP_PREFIX: &str = ".rescore-";
const TEMP_SUFFIX: &str = ".tmp";

/// Whether a file name is that of a write's temp file (`.rescore-*.tmp`).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// Removes the temp files of interrupted writes (`.rescore-*.tmp`) directly in each folder.
/// Only under the repo lock: no other rescore is writing one then.
pub fn sweep_temps<'a>(_held: &RepoLock, dirs: impl IntoIterator<Item = &'a Path>) {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if is_temp_name(&name) && e.file_type().is_ok_and(|t| t.is_file()) {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => tracing::info!(
                        "removed {}, left by an interrupted write",
                        e.path().display()
                    ),
                    Err(err) => tracing::warn!("cannot remove {}: {err}", e.path().display()),
                }
            }
        }
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename.
/// A crash at any point leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = stage(path, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The temp file holding `bytes`, synced, with the permissions of the file it is to replace;
/// removed when dropped unless persisted.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match std::fs::metadata(path) {
        Ok(meta) => {
            let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
        }
        Err(_) => {
            // tempfile creates 0600; a new lock or page should be as readable as any file.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ =
                    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
            }
        }
    }
    Ok(tmp)
}

/// Which version of a file a path names, as far as the filesystem tells: a save by rename
/// makes a new inode, a save in place a new length, modification or change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
    /// Changed by any write, and by a rename of the file itself.
    #[cfg(unix)]
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The same file with the same content, wherever it has been renamed to since.
    #[cfg(target_os = "linux")]
    fn same_content(&self, other: &Stamp) -> bool {
        (self.len, self.modified, self.inode) == (other.len, other.modified, other.inode)
    }
}

/// A file's bytes and the stamp of the version they were read from.
pub fn read_stamped(path: &Path) -> std::io::Result<(Vec<u8>, Stamp)> {
    let mut f = File::open(path)?;
    let before = Stamp::of(&f.metadata()?);
    let mut bytes = Vec::with_capacity(before.len as usize);
    std::io::Read::read_to_end(&mut f, &mut bytes)?;
    Ok((bytes, before))
}

/// Replaces the file at `path` with `bytes` only if it still is the version read as
/// (`was`, `was_bytes`): compare-and-swap on a path. The new text is staged and synced first,
/// then the file is read and stat'ed once more, and the new file goes in at once.
///
/// POSIX has no rename-if-unchanged. On Linux the new file goes in by an atomic exchange
/// (`renameat2` with `RENAME_EXCHANGE`), which hands back the file it displaced: when that is
/// not the version read (a save landed after the last check), the two are exchanged back and
/// the save is where it was. What remains is a page that shows rescore's text for the
/// microseconds between the two exchanges, and a second save landing in those same
/// microseconds. Elsewhere (or on a filesystem without the exchange) the file is renamed over
/// after the check, and a save landing between the last stat and the rename is replaced.
/// `Ok(false)` when the file changed (it is left as the other writer left it).
pub fn replace_if_unchanged(
    _held: &RepoLock,
    path: &Path,
    was: Stamp,
    was_bytes: &[u8],
    bytes: &[u8],
) -> std::io::Result<bool> {
    let tmp = stage(path, bytes)?;
    match read_stamped(path) {
        Ok((now, stamp)) if stamp == was && now == was_bytes => {}
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    install(tmp, path, was)
}

/// Puts the staged file in place if the page is still the version read.
#[cfg(target_os = "linux")]
fn install(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<bool> {
    match exchange::swap(tmp, path, was)? {
        exchange::Swapped::Done(done) => Ok(done),
        exchange::Swapped::Unsupported(t) => rename_if_unchanged(t, path, was),
    }
}

#[cfg(not(target_os = "linux"))]
fn install(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<bool> {
    rename_if_unchanged(tmp, path, was)
}

fn rename_if_unchanged(
    tmp: tempfile::NamedTempFile,
    path: &Path,
    was: Stamp,
) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) if Stamp::of(&meta) == was => {}
        _ => return Ok(false),
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

#[cfg(target_os = "linux")]
mod exchange {
    use std::path::Path;

    use rustix::fs::{renameat_with, RenameFlags, CWD};

    use super::Stamp;

    pub enum Swapped {
        /// Whether the new file is in place (else the file was changed and is left as it was).
        Done(bool),
        /// The filesystem cannot exchange; the staged file is handed back.
        Unsupported(tempfile::NamedTempFile),
    }

    fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
    }

    /// Exchanges the staged file with the page; if what came out is not the version read,
    /// exchanges them back.
    pub fn swap(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<Swapped> {
        let ours = Stamp::of(&tmp.as_file().metadata()?);
        match exchange(tmp.path(), path) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                return Ok(Swapped::Unsupported(tmp))
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOSYS.raw_os_error()) => {
                return Ok(Swapped::Unsupported(tmp))
            }
            Err(e) => return Err(e),
        }
        // `tmp` now names the file that was at `path`; dropping it removes that.
        let out = Stamp::of(&std::fs::symlink_metadata(tmp.path())?);
        if out.same_content(&was) {
            return Ok(Swapped::Done(true));
        }
        // A save landed after the last check: give it its place back.
        tracing::debug!(path = %path.display(), "a save landed during the exchange: handed back");
        exchange(tmp.path(), path)?;
        let back = Stamp::of(&std::fs::symlink_metadata(tmp.path())?);
        if !back.same_content(&ours) {
            // And another one landed between the two exchanges: it is newer than the first.
            tmp.persist(path).map_err(|e| e.error)?;
        }
        Ok(Swapped::Done(false))
    }
}

fn write_error(e: std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::LockWrite,
        Path::new(FILE_NAME),
        Pos::at(1, 1),
        format!("cannot write rescore.lock: {e}"),
    )
    .expected("a writable research repo folder")
    .hint("check permissions and free space; the old lock is untouched")
}

/// Adds the `merge=union` lines to the root's `.gitattributes` unless they are there; whether it
/// wrote anything.
pub fn mark_union_merge(root: &Path) -> std::io::Result<bool> {
    let path = root.join(".gitattributes");
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let missing: Vec<&str> = GITATTRIBUTES
        .lines()
        .filter(|l| !old.lines().any(|o| o.trim() == *l))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut new = old;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    for line in missing {
        new.push_str(line);
        new.push('\n');
    }
    write_atomic(&path, new.as_bytes())?;
    Ok(true)
}

/// Reads the lock under the repo lock, lets `edit` change it, and writes it back: first the
/// shards with every entry old and new, then the thesis file, then the shards without the
/// entries nothing uses any more. Each file is replaced atomically, and a reader sees either
/// thesis file with all the entries it refers to.
pub fn update(
    root: &Path,
    edit: impl FnOnce(&mut Lock) -> Result<(), Diagnostic>,
) -> Result<Lock, Diagnostic> {
    let held = RepoLock::acquire(root).map_err(write_error)?;
    update_held(&held, root, edit)
}

/// `update` for a caller that holds the repo lock already (and goes on writing pages under it).
pub fn update_held(
    held: &RepoLock,
    root: &Path,
    edit: impl FnOnce(&mut Lock) -> Result<(), Diagnostic>,
) -> Result<Lock, Diagnostic> {
    sweep_temps(held, [root, root.join(DIR).as_path()]);
    let mut lock = Lock::read_keeping(root, false)?.unwrap_or_else(Lock::new);
    if lock.version < VERSION {
        // Upgrading an older lock: from now on git should merge it as `rescore init` sets up.
        mark_union_merge(root).map_err(write_error)?;
    }
    let old: Vec<String> = (0..SHARDS)
        .map(|i| {
            let path = shard_path(i);
            lock.sources
                .iter()
                .find(|s| s.path() == path)
                .and_then(Source::held_text)
                .map(str::to_string)
                .unwrap_or_default()
        })
        .collect();
    edit(&mut lock)?;
    lock.name_pages(root);
    let wide = lock.render_files(true)?;
    let tight = lock.render_files(false)?;
    std::fs::create_dir_all(root.join(DIR)).map_err(write_error)?;
    for (i, text) in wide.shards.iter().enumerate() {
        if *text != old[i] || !root.join(shard_path(i)).is_file() {
            write_atomic(&root.join(shard_path(i)), text.as_bytes()).map_err(write_error)?;
        }
    }
    write_atomic(&root.join(FILE_NAME), tight.main.as_bytes()).map_err(write_error)?;
    for (i, text) in tight.shards.iter().enumerate() {
        if *text != wide.shards[i] {
            write_atomic(&root.join(shard_path(i)), text.as_bytes()).map_err(write_error)?;
        }
    }
    // The shards of format 2, now read into these.
    for legacy in &shard_paths()[SHARDS..] {
        match std::fs::remove_file(root.join(legacy)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write_error(e)),
            _ => {}
        }
    }
    lock.version = VERSION;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_holds_what_fits_in_32_bits_and_refuses_the_rest() {
        let span = Span::new(3, 10..25).expect("fits");
        assert_eq!((span.file(), span.range()), (3, 10..25));
        let edge = u32::MAX as usize;
        assert!(Span::new(0, edge - 1..edge).is_some());
        assert_eq!(Span::new(0, edge..edge + 1), None);
        assert_eq!(Span::new(edge + 1, 0..1), None);
    }

    /// What a lock read from disk holds per line and per entry: on a large repo the index is
    /// most of it (a few hundred thousand entries).
    #[test]
    fn the_index_holds_twelve_bytes_a_line_and_twelve_an_entry() {
        use std::mem::size_of;
        assert_eq!(size_of::<Span>(), 12);
        let lock = Lock::parse(&render(&sample())).expect("parses");
        assert_eq!(lock.index.bytes_per_entry(), 12);
        assert_eq!(size_of::<Baseline>(), 48);
    }

    /// A lock on disk, accepted as `sample`; its folder, and the shard holding entry 2.
    fn on_disk() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        update(dir.path(), |lock| {
            *lock = sample();
            Ok(())
        })
        .expect("writes");
        let shard = dir.path().join(shard_path(shard_of(2)));
        (dir, shard)
    }

    /// Writes `text` over the file in place (no rename), as an editor may.
    fn write_in_place(path: &Path, text: &str) -> File {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .expect("open");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn a_lock_read_from_disk_holds_no_text_and_writes_as_the_texts_do() {
        let (dir, _) = on_disk();
        let open = Lock::read(dir.path()).expect("reads").expect("a lock");
        // (A shard that does not exist is held as the empty text it reads as.)
        assert!(open
            .sources
            .iter()
            .all(|s| s.held_text().is_none_or(str::is_empty)));
        assert!(open.sources.iter().any(|s| s.held_text().is_none()));
        let held = Lock::read_keeping(dir.path(), false)
            .expect("reads")
            .expect("a lock");
        assert!(held.sources.iter().all(|s| s.held_text().is_some()));
        // Rendering reads every line in use back from the files.
        assert_eq!(render(&open), render(&held));
        assert_eq!(render(&open), render(&sample()));
    }

    #[test]
    fn a_lock_file_replaced_after_the_read_is_read_as_it_was() {
        let (dir, shard) = on_disk();
        let lock = Lock::read(dir.path()).expect("reads").expect("a lock");
        write_atomic(&shard, b"# replaced\n").expect("writes");
        assert_eq!(
            lock.entry(&hex(2)).expect("reads").map(|e| e.key),
            Some("src".into())
        );
        let again = Lock::read(dir.path()).expect("reads").expect("a lock");
        assert_ne!(again, lock);
        assert_eq!(again.entry(&hex(2)).expect("reads"), None);
    }

    #[test]
    fn two_reads_of_the_same_files_are_equal() {
        let (dir, _) = on_disk();
        let a = Lock::read(dir.path()).expect("reads");
        assert_eq!(a, Lock::read(dir.path()).expect("reads"));
    }

    #[test]
    fn an_entry_whose_file_was_written_in_place_after_the_read_is_an_error() {
        let (dir, shard) = on_disk();
        let lock = Lock::read(dir.path()).expect("reads").expect("a lock");
        let text = std::fs::read_to_string(&shard).expect("reads");
        // The source renamed, to a key of the same length: every line where it was.
        write_in_place(&shard, &text.replace(" source src", " source SRC"));
        let err = lock.entry(&hex(2)).expect_err("changed");
        assert_eq!(err.code, "lock-unreadable");
        assert_eq!(err.path, shard_path(shard_of(2)));
        assert!(err.message.contains("written in place"), "{}", err.message);
    }

    #[test]
    fn a_line_moved_by_an_edit_keeping_length_and_time_is_an_error() {
        let (dir, shard) = on_disk();
        let lock = Lock::read(dir.path()).expect("reads").expect("a lock");
        let text = std::fs::read_to_string(&shard).expect("reads");
        let modified = std::fs::metadata(&shard)
            .and_then(|m| m.modified())
            .expect("mtime");
        // The source's line one byte on, its last byte dropped: where it was indexed now reads
        // as a source `sr`, but not as a whole line.
        let at = 1 + text
            .find(&format!("\n{} source", line::id_text(2)))
            .expect("the source's line");
        let end = at + text[at..].find('\n').expect("a line break");
        let moved = format!("{}\n{}{}", &text[..at], &text[at..end - 1], &text[end..]);
        assert_eq!(moved.len(), text.len());
        let f = write_in_place(&shard, &moved);
        f.set_modified(modified).expect("set mtime");
        drop(f);
        let meta = std::fs::metadata(&shard).expect("stat");
        assert_eq!(
            (meta.len(), meta.modified().ok()),
            (text.len() as u64, Some(modified))
        );
        let err = lock.entry(&hex(2)).expect_err("moved");
        assert_eq!(err.code, "lock-unreadable");
        assert!(err.message.contains("written in place"), "{}", err.message);
    }

    type E<'a> = (TreeId, &'a str, MaterialState, &'a [TreeId]);

    fn snap(entries: &[E], against: &[(&str, TreeId)]) -> Snapshot {
        Snapshot {
            against: against.iter().map(|(k, id)| (k.to_string(), *id)).collect(),
            entries: entries
                .iter()
                .map(|(id, key, state, up)| {
                    let up = up.iter().map(|u| hex(*u)).collect();
                    (
                        *id,
                        Entry {
                            key: key.to_string(),
                            state: state.clone(),
                            up,
                            text: TextAt::Held,
                        },
                    )
                })
                .collect(),
        }
    }

    fn parts() -> Vec<E<'static>> {
        let concept = MaterialState::Concept {
            status: Some("active".into()),
        };
        let source = MaterialState::Source {
            retracted: false,
            superseded_by: None,
        };
        vec![(1, "c", concept, &[2]), (2, "src", source, &[])]
    }

    fn sample() -> Lock {
        let mut lock = Lock::new();
        lock.accept("b-thesis", 0.5, &snap(&parts(), &[("c", 1)]));
        lock.accept("a-thesis", 0.62, &snap(&parts(), &[("c", 1), ("src", 2)]));
        lock
    }

    fn render(lock: &Lock) -> Files {
        lock.render().expect("renders")
    }

    fn all_lines(f: &Files) -> String {
        let mut s = f.main.clone();
        for shard in &f.shards {
            s.push_str(shard);
        }
        s
    }

    #[test]
    fn render_round_trips_and_is_sorted() {
        let files = render(&sample());
        let back = Lock::parse(&files).expect("parses");
        assert_eq!(back.thesis, sample().thesis);
        assert_eq!(render(&back), files);
        let a = files.main.find("a-thesis = {").expect("a");
        let b = files.main.find("b-thesis = {").expect("b");
        assert!(a < b);
        assert_eq!(
            back.entry(&hex(1)).expect("parses").map(|e| e.key),
            Some("c".into())
        );
        assert_eq!(files.shards.len(), SHARDS);
    }

    #[test]
    fn shared_entries_are_stored_once() {
        assert_eq!(
            all_lines(&render(&sample())).matches(" concept c ").count(),
            1
        );
    }

    #[test]
    fn accepting_one_thesis_changes_only_its_line() {
        let before = sample();
        let mut after = before.clone();
        after.accept("b-thesis", 0.7, &snap(&parts(), &[("c", 1)]));
        let (old, new) = (render(&before), render(&after));
        assert_eq!(old.shards, new.shards);
        let changed: Vec<(&str, &str)> = old
            .main
            .lines()
            .zip(new.main.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1);
        assert!(changed[0].0.starts_with("b-thesis = { score = 0.5"));
        assert!(changed[0].1.starts_with("b-thesis = { score = 0.7, was = "));
    }

    #[test]
    fn accepting_the_same_baseline_again_changes_nothing() {
        let mut again = sample();
        again.accept("b-thesis", 0.5, &snap(&parts(), &[("c", 1)]));
        assert_eq!(render(&again), render(&sample()));
    }

    #[test]
    fn entries_reached_only_through_up_survive_a_write_of_a_read_lock() {
        let mut lock = Lock::new();
        lock.accept("b-thesis", 0.5, &snap(&parts(), &[("c", 1)]));
        let read = Lock::parse(&render(&lock)).expect("parses");
        let again = render(&read);
        assert!(all_lines(&again).contains(" source src"));
        assert_eq!(again, render(&lock));
        assert_eq!(read.up_of(1).expect("reads"), vec![2]);
    }

    #[test]
    fn unused_entries_are_dropped() {
        let mut lock = sample();
        lock.retain_theses(|_| false);
        assert!(!all_lines(&render(&lock)).contains(" = { key"));
    }

    #[test]
    fn a_page_is_replaced_only_while_it_holds_what_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let page = dir.path().join("p.md");
        std::fs::write(&page, "one\n").expect("write");
        let (bytes, stamp) = read_stamped(&page).expect("read");
        assert!(
            replace_if_unchanged(&held, &page, stamp, &bytes, b"one, with block\n").expect("io")
        );
        assert_eq!(std::fs::read(&page).expect("read"), b"one, with block\n");

        // An editor's save (temp file + rename) after the read: the write is refused.
        let (bytes, stamp) = read_stamped(&page).expect("read");
        std::fs::write(dir.path().join("save.tmp"), "two\n").expect("write");
        std::fs::rename(dir.path().join("save.tmp"), &page).expect("rename");
        assert!(!replace_if_unchanged(&held, &page, stamp, &bytes, b"stale\n").expect("io"));
        assert_eq!(std::fs::read(&page).expect("read"), b"two\n");

        // A save in place, to the same length: refused too.
        let (bytes, stamp) = read_stamped(&page).expect("read");
        std::fs::write(&page, "owt\n").expect("write");
        assert!(!replace_if_unchanged(&held, &page, stamp, &bytes, b"stale\n").expect("io"));
        assert_eq!(std::fs::read(&page).expect("read"), b"owt\n");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["p.md"]);
    }

    #[test]
    fn sweeping_removes_only_rescore_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [".rescore-a1.tmp", ".rescore-notes.md", "keep.tmp", "p.md"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        let held = RepoLock::acquire(dir.path()).expect("lock");
        sweep_temps(&held, [dir.path()]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".rescore-notes.md", "keep.tmp", "p.md"]);
    }

    #[test]
    fn newer_version_is_refused_naming_both_versions() {
        let files = Files {
            main: "version = 99\n".into(),
            shards: Vec::new(),
        };
        let err = Lock::parse(&files).expect_err("too new");
        assert_eq!(err.code, "lock-too-new");
        assert!(
            err.message.contains("99") && err.message.contains("1 to 3"),
            "{}",
            err.message
        );
        assert!(format!("{err:?}").contains("upgrade rescore"));
    }

    #[test]
    fn a_line_both_sides_kept_from_the_ancestor_is_superseded() {
        let base = sample();
        let mut ours = base.clone();
        ours.accept("b-thesis", 0.7, &snap(&parts(), &[("c", 1)]));
        // What a union merge leaves when one side kept the ancestor's line beside our new one.
        let mut merged = render(&ours);
        merged.main.push_str(&render(&base).main);
        let back = Lock::parse(&merged).expect("parses");
        assert!(back.conflicted.is_empty());
        assert_eq!(back.thesis, ours.thesis);
    }

    #[test]
    fn a_thesis_accepted_on_both_sides_differently_is_conflicted() {
        let base = sample();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        ours.accept("b-thesis", 0.7, &snap(&parts(), &[("c", 1)]));
        theirs.accept("b-thesis", 0.8, &snap(&parts(), &[("c", 1)]));
        let (o, t) = (render(&ours), render(&theirs));
        let merged = Files {
            main: format!("<<<<<<< HEAD\n{}=======\n{}>>>>>>> b\n", o.main, t.main),
            shards: o.shards,
        };
        let mut back = Lock::parse(&merged).expect("parses");
        assert_eq!(back.conflicted["b-thesis"].len(), 2);
        assert!(!back.thesis.contains_key("b-thesis"));
        assert_eq!(back.thesis["a-thesis"], base.thesis["a-thesis"]);
        // Both baselines survive a write of another thesis, and an accept settles it.
        let kept = Lock::parse(&render(&back)).expect("parses");
        assert_eq!(kept.conflicted, back.conflicted);
        back.accept("b-thesis", 0.9, &snap(&parts(), &[("c", 1)]));
        let clean = render(&back);
        assert_eq!(clean.main.matches("b-thesis = {").count(), 1);
        assert!(Lock::parse(&clean).expect("parses").conflicted.is_empty());
    }

    #[test]
    fn a_missing_entry_is_no_error() {
        let mut files = render(&sample());
        files.shards = vec![String::new(); SHARDS];
        let lock = Lock::parse(&files).expect("parses");
        assert_eq!(lock.entry(&hex(1)).expect("no error"), None);
        assert!(!lock.has(1));
    }

    #[test]
    fn garbage_names_its_file_and_line_and_how_to_recover() {
        let mut files = render(&sample());
        files.shards[0].push_str("0000000000000001 = { key = \"c\"\n");
        let err = Lock::parse(&files).expect_err("corrupt");
        assert_eq!(err.code, "lock-corrupt");
        assert_eq!(err.path, shard_path(0));
        assert_eq!(err.line as usize, files.shards[0].lines().count());
        assert!(format!("{err:?}").contains("delete that line"));
        let mut files = render(&sample());
        files.main.push_str("physics-wall = 0.5\n");
        let err = Lock::parse(&files).expect_err("corrupt");
        assert_eq!(
            (err.path.as_path(), err.line as usize),
            (Path::new(FILE_NAME), files.main.lines().count())
        );
    }

    /// A state's JSON is what its tree id hashes: boxed texts and slices must write it as the
    /// strings and vectors before them did, or every lock would read as changed.
    #[test]
    fn a_claim_state_serialises_as_it_did_with_strings_and_vectors() {
        let state = MaterialState::Claim(rescore_graph::state::ClaimState {
            level: "strong".into(),
            qualifier: Some("vendor report".into()),
            sources: vec![Arc::from("genie-3")].into(),
            quantities: Box::default(),
            text: "Genie 3 runs at 24 fps".into(),
        });
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"claim","level":"strong","qualifier":"vendor report","sources":["genie-3"],"text":"Genie 3 runs at 24 fps"}"#
        );
        assert_eq!(serde_json::from_str::<MaterialState>(&json).unwrap(), state);
    }
}
