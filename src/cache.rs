//! The warm-check cache: `check`'s outcome (its report, its diagnostics and its exit code)
//! stored in `.rescore/cache/` under a key hashed from everything the outcome was made of: the
//! binary, the settings and rule files, the walk (which pages, and its warnings), every page's
//! bytes, the lock files, and how the output is rendered. A later `check` whose inputs hash to
//! the same key prints the stored outcome instead of parsing, resolving and evaluating again.
//!
//! The cache is never trusted over the files: every page is read and hashed on every run (an
//! edit that keeps the size and the mtime is still seen), and a cache file that is truncated,
//! corrupt, from another format or another program is ignored and replaced. Deleting it only
//! costs time. It is written by write-then-rename, so a reader sees a whole file or none, and
//! two processes at once each leave a whole file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::load;
use crate::lock;
use crate::pagefile::Reader;

mod parsed;
mod stored_page;

pub use parsed::{Miss, Shelf, Stamp};

/// rescore's own folder in the research repo; it carries a `.gitignore` of `*`.
pub const DIR: &str = ".rescore";
const FILE: &str = "cache/check";
/// Leads every cache file; the last byte is the format, bumped when `Stored` changes.
const MAGIC: &[u8; 8] = b"rescore\x02";
const HASH_LEN: usize = 32;
/// Names the temp file of a cache write, so a later run can tell one left behind. Not the
/// `.rescore-*.tmp` of page and lock writes: those are swept under the repo lock (by the
/// watcher too), and a cache write takes no lock.
const TEMP_PREFIX: &str = ".rescore-cache-";
const TEMP_SUFFIX: &str = ".partial";
/// A temp file this old was left by a process that died mid-write: a live write takes
/// milliseconds, and checks run without the repo lock, so age is what tells the two apart.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

type Hash = [u8; HASH_LEN];

/// The key, part by part, so a miss can say what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    binary: Hash,
    settings: Hash,
    walk: Hash,
    pages: Hash,
    lock: Hash,
    render: Hash,
}

/// What `check` wrote and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    key: Key,
    /// The pages walked, so the next run reads them while it walks again.
    paths: Vec<PathBuf>,
    /// The first 8 bytes of each page's hash, by `paths`' order: a page whose bytes hash to
    /// another is a miss as soon as it is read, without reading the rest (`key.pages` still
    /// decides a hit).
    heads: Vec<u64>,
    outcome: Outcome,
}

/// What a load walked and read, so the key of a fresh outcome is hashed from exactly the pages
/// it was made of, without walking the repo again once it is made.
#[derive(Default)]
pub struct Observed {
    walk: std::sync::OnceLock<WalkHashes>,
    pages: Mutex<Vec<(PathBuf, Hash)>>,
}

/// The load's walk: the key's part, and the hash of its pages alone (`paths_hash`).
struct WalkHashes {
    key: Hash,
    paths: Hash,
}

impl load::Observer for Observed {
    fn walked(&self, paths: &[PathBuf], diags: &[crate::diag::Diagnostic]) {
        let (paths, key) = walk_hashes(paths, diags);
        // A load walks once; a second walk would key nothing this run read.
        let _ = self.walk.set(WalkHashes { key, paths });
    }

    fn page(&self, path: &Path, bytes: &[u8]) {
        let hash = *blake3::hash(bytes).as_bytes();
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((path.to_path_buf(), hash));
    }
}

impl Observed {
    fn into_sorted(self) -> (Option<WalkHashes>, Vec<(PathBuf, Hash)>) {
        let mut pages = self
            .pages
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // In the walk's order, compared as it compares: `Path`'s own order splits both paths
        // into components at every comparison (about 2% of a storing check's CPU at 100k
        // pages, on one thread).
        pages.par_sort_unstable_by(|a, b| load::path_order(&a.0, &b.0));
        (self.walk.into_inner(), pages)
    }
}

/// What a `check` finds in the cache: the outcome to print, or what a fresh run must start
/// from to store its own.
pub enum Lookup {
    Hit(Outcome),
    Miss(Before),
}

/// The settings and the lock as they were before a fresh run read them: its outcome is stored
/// only if they are the same after it, so an `accept` or an edit landing meanwhile can never
/// file an outcome under a key it was not made from. And the lookup's walk, when it made one,
/// for the run's load to take.
pub struct Before {
    settings: Option<Hash>,
    lock: Hash,
    walk: Option<load::Walk>,
}

impl Before {
    fn now(root: &Path) -> Before {
        let (settings, lock) = rayon::join(|| settings(root).map(|(h, ..)| h), || lock_hash(root));
        Before {
            settings,
            lock,
            walk: None,
        }
    }

    /// The lookup's walk of the repo, for the load (which takes it only under the same
    /// `rescore.toml`).
    pub fn take_walk(&mut self) -> Option<load::Walk> {
        self.walk.take()
    }
}

/// The stored outcome, when the research repo at `root`, read now, hashes to its key. `render`
/// names everything besides the files that shapes the output (format, colour, `-q`, paths).
pub fn lookup(root: &Path, render: &str) -> Lookup {
    let Some(stored) = read(root) else {
        return Lookup::Miss(Before::now(root));
    };
    // The pages of the last run are read and hashed while the walk finds this run's: when the
    // two lists agree (nothing added, removed or renamed), those hashes are this run's.
    let (now, hashes) = rayon::join(
        || key_without_pages(root, render),
        || hash_pages(root, &stored.paths, &stored.heads),
    );
    let Some((mut key, walk)) = now else {
        return Lookup::Miss(Before::now(root));
    };
    let same_pages = walk.paths == stored.paths;
    let before = Before {
        settings: Some(key.settings),
        lock: key.lock,
        walk: Some(walk),
    };
    if !same_pages {
        tracing::debug!("check cache: miss (set of pages changed)");
        return Lookup::Miss(before);
    }
    match hashes {
        Ok(hashes) => {
            key.pages = pages_hash(stored.paths.iter().map(PathBuf::as_path).zip(&hashes))
        }
        Err(Unhashed::Unreadable) => {
            tracing::debug!("check cache: miss (a page could not be read)");
            return Lookup::Miss(before);
        }
        // Left unhashed: the pages differ whatever the rest hashes to.
        Err(Unhashed::Changed) => key.pages = [0; HASH_LEN],
    }
    if key == stored.key {
        tracing::debug!("check cache: hit");
        return Lookup::Hit(stored.outcome);
    }
    let changed: Vec<&str> = [
        (key.binary != stored.key.binary, "binary"),
        (key.settings != stored.key.settings, "settings or rules"),
        (key.walk != stored.key.walk, "set of pages"),
        (key.pages != stored.key.pages, "pages"),
        (key.lock != stored.key.lock, "lock"),
        (key.render != stored.key.render, "output options"),
    ]
    .into_iter()
    .filter_map(|(moved, what)| moved.then_some(what))
    .collect();
    tracing::debug!("check cache: miss ({} changed)", changed.join(", "));
    Lookup::Miss(before)
}

/// Stores the outcome of a `check` that loaded what `observed` saw, keyed on the pages its
/// load walked and read: a page added, removed or edited since then changes the next run's key.
/// Nothing is stored when a page walked was not read as text (it vanished, could not be read,
/// or is not UTF-8) or the settings or the lock are not as they were `before`; a cache that
/// cannot be written is only logged: it is no error.
pub fn store(root: &Path, render: &str, before: Before, observed: Observed, outcome: Outcome) {
    let (walked, pages) = observed.into_sorted();
    let Some(walked) = walked else {
        tracing::debug!("check cache: not stored (the load walked nothing)");
        return;
    };
    if paths_hash(pages.iter().map(|(p, _)| p.as_path()))
        .finalize()
        .as_bytes()
        != &walked.paths
    {
        tracing::debug!("check cache: not stored (a page walked was not read)");
        return;
    }
    let (settings, lock) = rayon::join(|| settings(root).map(|(h, ..)| h), || lock_hash(root));
    let Some(settings) = settings.filter(|s| before.settings == Some(*s) && before.lock == lock)
    else {
        tracing::debug!("check cache: not stored (settings or lock changed during the run)");
        return;
    };
    let key = Key {
        binary: binary(),
        settings,
        walk: walked.key,
        pages: pages_hash(pages.iter().map(|(p, h)| (p.as_path(), h))),
        lock,
        render: *blake3::hash(render.as_bytes()).as_bytes(),
    };
    let heads = pages.iter().map(|(_, h)| head(h)).collect();
    let paths = pages.into_iter().map(|(p, _)| p).collect();
    match write(
        root,
        &Stored {
            key,
            paths,
            heads,
            outcome,
        },
    ) {
        Ok(()) => {
            tracing::debug!("check cache: stored");
            sweep_stale_temps(root, Path::new(FILE).parent().unwrap_or(Path::new("")));
        }
        Err(e) => tracing::debug!("check cache: not stored ({e})"),
    }
}

/// Reads the stored outcome; anything but a whole, intact cache file of this format is `None`.
fn read(root: &Path) -> Option<Stored> {
    let path = root.join(DIR).join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!("check cache: none ({})", load::io_words(&e));
            return None;
        }
    };
    let decoded = decode(&bytes);
    if decoded.is_none() {
        tracing::debug!("check cache: ignored (not a whole cache file of this version)");
    }
    decoded
}

fn decode(bytes: &[u8]) -> Option<Stored> {
    unseal(MAGIC, bytes)
}

fn encode(stored: &Stored) -> Result<Vec<u8>, postcard::Error> {
    seal(MAGIC, stored)
}

/// `value` as a cache file: `magic`, the blake3 checksum of the payload, the postcard payload.
fn seal<T: Serialize>(magic: &[u8], value: &T) -> Result<Vec<u8>, postcard::Error> {
    // Encoded after the magic and room for the hash, not encoded and then copied behind them:
    // a first check at 100k pages seals 109 MB of parse cache.
    let head = magic.len() + HASH_LEN;
    let mut bytes = Vec::with_capacity(head);
    bytes.extend_from_slice(magic);
    bytes.resize(head, 0);
    let mut bytes = postcard::to_extend(value, bytes)?;
    let sum = blake3::hash(&bytes[head..]);
    bytes[magic.len()..head].copy_from_slice(sum.as_bytes());
    Ok(bytes)
}

/// The value of a whole, intact cache file sealed with `magic`; anything else is `None`.
fn unseal<T: serde::de::DeserializeOwned>(magic: &[u8], bytes: &[u8]) -> Option<T> {
    let rest = bytes.strip_prefix(magic)?;
    let (sum, payload) = rest.split_at_checked(HASH_LEN)?;
    if blake3::hash(payload).as_bytes() != sum {
        return None;
    }
    postcard::from_bytes(payload).ok()
}

fn write(root: &Path, stored: &Stored) -> std::io::Result<()> {
    let bytes = encode(stored).map_err(std::io::Error::other)?;
    put(root, Path::new(FILE), &bytes)
}

/// Write-then-rename of `bytes` to `file` (relative to `.rescore/`), creating its folder and
/// `.rescore/.gitignore`.
fn put(root: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let own = root.join(DIR);
    let path = own.join(file);
    let folder = path.parent().unwrap_or(&own);
    std::fs::create_dir_all(folder)?;
    let ignore = own.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# rescore's cache: never committed\n*\n")?;
    }
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(folder)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the temp files of cache writes in `folder` (relative to `.rescore/`) that a killed
/// process left, and those of builds before their names had `TEMP_PREFIX` (tempfile's `.tmp`).
fn sweep_stale_temps(root: &Path, folder: &Path) {
    let Ok(entries) = std::fs::read_dir(root.join(DIR).join(folder)) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) || name.starts_with(".tmp")) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age >= STALE_TEMP));
        if stale {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::debug!("cache: removed a stale temp file, {name}"),
                Err(e) => tracing::debug!("cache: stale temp file {name} kept ({e})"),
            }
        }
    }
}

/// Why the pages of the last run were not all hashed.
#[derive(Debug, PartialEq)]
enum Unhashed {
    /// One could not be read: such a run is never answered from the cache.
    Unreadable,
    /// One hashes to another head than it did (`Stored::heads`): a miss, known without reading
    /// the rest. After one edited page anywhere, the lookup is expected to stop halfway through
    /// on average instead of reading every page (2.04 -> 1.85 s for such a check at 100k pages,
    /// medians of six alternating pairs).
    Changed,
}

/// Every page's bytes hashed, stopping at the first that cannot be read or whose hash does not
/// start as `heads` (by the same index) says it did.
fn hash_pages(root: &Path, paths: &[PathBuf], heads: &[u64]) -> Result<Vec<Hash>, Unhashed> {
    paths
        .par_iter()
        .enumerate()
        .map_init(Reader::default, |reader, (i, p)| {
            let bytes = reader.read(root, p).map_err(|_| Unhashed::Unreadable)?;
            let hash = *blake3::hash(bytes).as_bytes();
            if heads.get(i).is_some_and(|&h| h != head(&hash)) {
                return Err(Unhashed::Changed);
            }
            Ok(hash)
        })
        .collect()
}

/// The first 8 bytes of a page's hash.
fn head(hash: &Hash) -> u64 {
    let mut first = [0; 8];
    first.copy_from_slice(&hash[..8]);
    u64::from_le_bytes(first)
}

/// Every part of the key but the pages' bytes (left zero), and the walk.
fn key_without_pages(root: &Path, render: &str) -> Option<(Key, load::Walk)> {
    // The lock is hashed while the pages are walked: both are mostly waiting on the disk.
    let (walked, lock) = rayon::join(
        || settings(root).map(|(h, config, text)| (h, load::walk(root, &config), text)),
        || lock_hash(root),
    );
    let (settings, (paths, diags), config_text) = walked?;
    let key = Key {
        binary: binary(),
        settings,
        walk: walk_hashes(&paths, &diags).1,
        pages: [0; HASH_LEN],
        lock,
        render: *blake3::hash(render.as_bytes()).as_bytes(),
    };
    let walk = load::Walk {
        config_text,
        paths,
        diags,
    };
    Some((key, walk))
}

/// The pages a walk found, hashed alone (to match them with the pages read) and with the
/// walk's warnings (the key's part).
fn walk_hashes(paths: &[PathBuf], diags: &[crate::diag::Diagnostic]) -> (Hash, Hash) {
    let mut walk = paths_hash(paths.iter().map(PathBuf::as_path));
    let alone = *walk.finalize().as_bytes();
    walk.update(format!("{diags:?}").as_bytes());
    (alone, *walk.finalize().as_bytes())
}

fn paths_hash<'a>(paths: impl Iterator<Item = &'a Path>) -> blake3::Hasher {
    let mut h = blake3::Hasher::new();
    for p in paths {
        h.update(p.as_os_str().as_encoded_bytes()).update(b"\0");
    }
    h
}

/// The hash of `rescore.toml` and every rule file it made `load` read, with the config they
/// give (for the walk) and the text of `rescore.toml`; `None` when it cannot be read.
fn settings(root: &Path) -> Option<(Hash, crate::config::Config, Option<String>)> {
    let text = load::read_config(root).ok()?;
    let read_files: Mutex<Vec<(PathBuf, Option<String>)>> = Mutex::default();
    let reader = crate::settings::read_from(root);
    let recording = |p: &Path| {
        let text = reader(p);
        read_files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((p.to_path_buf(), text.clone()));
        text
    };
    let (config, _, diags) = load::settings_with_problems(text.as_deref(), &recording);
    let mut h = blake3::Hasher::new();
    h.update(format!("{text:?}").as_bytes());
    let read_files = read_files
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    h.update(format!("{read_files:?}{diags:?}").as_bytes());
    Some((*h.finalize().as_bytes(), config, text))
}

/// `rescore.lock` and everything in `rescore.lock.d/`, names and bytes.
fn lock_hash(root: &Path) -> Hash {
    let mut files = vec![PathBuf::from(lock::FILE_NAME)];
    let mut shards: Vec<PathBuf> = std::fs::read_dir(root.join(lock::DIR))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| Path::new(lock::DIR).join(e.file_name()))
                .collect()
        })
        .unwrap_or_default();
    shards.sort();
    files.extend(shards);
    let hashes: Vec<Hash> = files
        .par_iter()
        .map(|path| {
            let mut h = blake3::Hasher::new();
            h.update(path.as_os_str().as_encoded_bytes()).update(b"\0");
            match std::fs::read(root.join(path)) {
                Ok(bytes) => h.update(b"+").update(&bytes),
                Err(e) => h.update(b"-").update(format!("{:?}", e.kind()).as_bytes()),
            };
            *h.finalize().as_bytes()
        })
        .collect();
    let mut h = blake3::Hasher::new();
    for hash in &hashes {
        h.update(hash);
    }
    *h.finalize().as_bytes()
}

fn pages_hash<'a>(pages: impl Iterator<Item = (&'a Path, &'a Hash)>) -> Hash {
    let mut h = blake3::Hasher::new();
    for (path, hash) in pages {
        h.update(path.as_os_str().as_encoded_bytes())
            .update(b"\0")
            .update(hash);
    }
    *h.finalize().as_bytes()
}

/// This program: its version, and the size and mtime of its executable, so a rebuilt binary
/// (whose evaluation may differ) never answers from an older one's outcome.
fn binary() -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = std::env::current_exe().and_then(std::fs::metadata);
    h.update(format!("{:?}", exe.map(|m| (m.len(), m.modified().ok()))).as_bytes());
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Stored {
        Stored {
            key: Key {
                binary: [1; HASH_LEN],
                settings: [2; HASH_LEN],
                walk: [3; HASH_LEN],
                pages: [4; HASH_LEN],
                lock: [5; HASH_LEN],
                render: [6; HASH_LEN],
            },
            paths: vec![PathBuf::from("theses/t.md")],
            heads: vec![7],
            outcome: Outcome {
                stdout: "stale t\n".into(),
                stderr: String::new(),
                code: 1,
            },
        }
    }

    #[test]
    fn a_cache_file_round_trips() {
        let bytes = encode(&stored()).expect("encodes");
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back.key, stored().key);
        assert_eq!(back.paths, stored().paths);
        assert_eq!(back.heads, stored().heads);
        assert_eq!(back.outcome, stored().outcome);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = encode(&stored()).expect("encodes");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad).is_none(), "byte {i} flipped");
        }
    }

    /// A sealed file is its magic, the blake3 hash of the encoded value, and the encoded value.
    #[test]
    fn a_sealed_file_is_magic_then_hash_then_value() {
        let payload = postcard::to_allocvec(&stored()).expect("encodes");
        let bytes = encode(&stored()).expect("encodes");
        let expected = [&MAGIC[..], blake3::hash(&payload).as_bytes(), &payload].concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn another_format_is_refused() {
        let mut bytes = encode(&stored()).expect("encodes");
        bytes[MAGIC.len() - 1] = 1;
        assert!(decode(&bytes).is_none());
    }

    #[test]
    fn the_pages_of_the_last_run_are_hashed_until_one_is_not_what_it_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..64).map(|i| PathBuf::from(format!("p{i}.md"))).collect();
        for p in &paths {
            std::fs::write(dir.path().join(p), p.display().to_string()).expect("write");
        }
        let hashes = hash_pages(dir.path(), &paths, &[]).expect("every page read");
        assert_eq!(hashes.len(), paths.len());
        let heads: Vec<u64> = hashes.iter().map(head).collect();
        // As stored: the same hashes, in the same order.
        assert_eq!(hash_pages(dir.path(), &paths, &heads), Ok(hashes.clone()));
        // Rewritten with the same bytes (a checkout, `touch`): still the same.
        std::fs::write(dir.path().join(&paths[40]), "p40.md").expect("write");
        assert_eq!(hash_pages(dir.path(), &paths, &heads), Ok(hashes.clone()));
        // One page edited: a miss, whatever the others hash to.
        std::fs::write(dir.path().join(&paths[40]), "p40.md edited").expect("write");
        assert_eq!(
            hash_pages(dir.path(), &paths, &heads),
            Err(Unhashed::Changed)
        );
        // A page gone: unreadable, as before heads were kept.
        std::fs::remove_file(dir.path().join(&paths[3])).expect("remove");
        assert_eq!(
            hash_pages(dir.path(), &paths, &[]),
            Err(Unhashed::Unreadable)
        );
    }

    #[test]
    fn observed_pages_come_out_in_the_order_the_walk_lists_them() {
        // Byte order would put `a-b.md` (`-` is 0x2d) before `a/b.md` (`/` is 0x2f); the walk,
        // like `Path`, puts a folder's pages before a name it is a prefix of.
        let names = [
            "a.md", "a-b.md", "a/b.md", "a/a/z.md", "b.md", "a0.md", "A.md",
        ];
        let observed = Observed::default();
        for name in names.iter().rev() {
            load::Observer::page(&observed, Path::new(name), name.as_bytes());
        }
        let sorted: Vec<PathBuf> = observed
            .into_sorted()
            .1
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let mut expected: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        expected.sort();
        assert_eq!(sorted, expected);
    }

    fn outcome(stdout: &str) -> Outcome {
        Outcome {
            stdout: stdout.into(),
            stderr: String::new(),
            code: 0,
        }
    }

    /// A research repo of two concept pages.
    fn two_pages() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("rescore.toml"), "").expect("write");
        std::fs::create_dir(dir.path().join("concepts")).expect("mkdir");
        for name in ["a", "b"] {
            std::fs::write(
                dir.path().join(format!("concepts/{name}.md")),
                format!("+++\nkind = \"concept\"\n+++\n# {name}\n"),
            )
            .expect("write");
        }
        dir
    }

    /// A run of `check` up to its store: the lookup, then a load showing `observed` the walk and
    /// the pages.
    fn looked_up_and_loaded(root: &Path) -> (Before, Observed) {
        let Lookup::Miss(before) = lookup(root, "r") else {
            panic!("a hit before anything was stored");
        };
        let observed = Observed::default();
        load::load_observed(root, &observed).expect("loads");
        (before, observed)
    }

    fn hit(root: &Path) -> Option<Outcome> {
        match lookup(root, "r") {
            Lookup::Hit(outcome) => Some(outcome),
            Lookup::Miss(_) => None,
        }
    }

    #[test]
    fn an_outcome_is_keyed_on_the_pages_its_load_walked_and_read() {
        let repo = two_pages();
        let root = repo.path();
        let (before, observed) = looked_up_and_loaded(root);
        // A page saved after the load read the repo, before the outcome is stored: the outcome
        // was not made from it.
        let late = root.join("concepts/late.md");
        std::fs::write(&late, "+++\nkind = \"concept\"\n+++\n# late\n").expect("write");
        store(root, "r", before, observed, outcome("made from a and b"));
        assert_eq!(hit(root), None, "the page saved late is in this run's walk");
        std::fs::remove_file(&late).expect("remove");
        assert_eq!(hit(root), Some(outcome("made from a and b")));

        // A page edited after it was read, and a page removed: each a miss.
        std::fs::write(
            root.join("concepts/a.md"),
            "+++\nkind = \"concept\"\n+++\n# A\n",
        )
        .expect("write");
        assert_eq!(hit(root), None);
        let (before, observed) = looked_up_and_loaded(root);
        std::fs::remove_file(root.join("concepts/b.md")).expect("remove");
        store(root, "r", before, observed, outcome("made from A and b"));
        assert_eq!(hit(root), None, "b is gone");
    }

    #[test]
    fn nothing_is_stored_when_a_page_walked_was_not_read() {
        let repo = two_pages();
        let root = repo.path();
        let Lookup::Miss(before) = lookup(root, "r") else {
            panic!("a hit before anything was stored");
        };
        let observed = Observed::default();
        let (paths, diags) = load::walk(root, &crate::config::Config::default());
        load::Observer::walked(&observed, &paths, &diags);
        load::Observer::page(&observed, &paths[0], b"read");
        store(
            root,
            "r",
            before,
            observed,
            outcome("made from one page of two"),
        );
        assert!(read(root).is_none(), "an outcome was stored");
    }

    #[test]
    fn nothing_is_stored_when_the_lock_or_the_settings_changed_during_the_run() {
        let repo = two_pages();
        let root = repo.path();
        for (file, text) in [
            ("rescore.lock", "version = 1\n"),
            ("rescore.toml", "# moved\n"),
        ] {
            let (before, observed) = looked_up_and_loaded(root);
            std::fs::write(root.join(file), text).expect("write");
            store(
                root,
                "r",
                before,
                observed,
                outcome("made before the write"),
            );
            assert!(read(root).is_none(), "{file}: an outcome was stored");
        }
        // And with neither changed, the outcome is stored.
        let (before, observed) = looked_up_and_loaded(root);
        store(root, "r", before, observed, outcome("made from a and b"));
        assert_eq!(hit(root), Some(outcome("made from a and b")));
    }

    #[test]
    fn a_cache_temp_file_is_not_taken_for_a_page_write_left_behind() {
        // The watcher removes page-write temp files it sees under the repo lock; a check
        // writing its cache meanwhile holds no lock.
        let name = format!("{TEMP_PREFIX}a1B2c3{TEMP_SUFFIX}");
        assert!(!crate::lock::is_temp_name(&name), "{name}");
    }
}
