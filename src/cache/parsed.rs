//! The parse cache: every page that parsed without a problem, stored in `.rescore/cache/pages/`
//! under its path, size, mtime and the digest of its bytes (`digest::Digest`). A later load that
//! reads the same bytes at the same path takes the stored page instead of parsing it again, so a
//! check after one edited page parses that page only.
//!
//! The page is read on every run and the stored page used only when its size, mtime *and*
//! digest all agree: an edit that keeps size and mtime is still seen. Pages with a diagnostic
//! are never stored, so their problems are reported from a fresh parse every time. The cache is
//! split into 256 shards by a hash of the path; a run rewrites (write-then-rename) only the
//! shards whose entries changed, so two processes at once each leave whole shards, and a shard
//! that is damaged, from another build or made under other settings is ignored and rebuilt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::stored_page::StoredPage;
use super::{binary, put, seal, sweep_stale_temps, unseal, Hash, DIR};
use crate::digest::Digest;
use crate::load;
use crate::page::Page;
use crate::pagefile::Reader;

const FOLDER: &str = "cache/pages";
/// Leads every shard; the last byte is the format, bumped when a stored type changes.
const MAGIC: &[u8; 8] = b"rescoP\x00\x06";
const SHARDS: usize = 256;

/// A page file's size and modification time, as read with its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    size: u64,
    mtime: Option<(u64, u32)>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| (d.as_secs(), d.subsec_nanos()));
        Stamp {
            size: meta.len(),
            mtime,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ShardFile {
    /// The build and the parse settings the pages were parsed under.
    context: Hash,
    entries: Vec<(PathBuf, Entry)>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    digest: Digest,
    /// The page, postcard-encoded: decoded only when it is taken. Written and read as one run
    /// of bytes, not byte by byte as a sequence (the same bytes on disk: postcard writes both as
    /// a length and the bytes), which took 2.5% of a first `check`'s CPU at 100k pages.
    #[serde(with = "serde_bytes")]
    page: Vec<u8>,
}

/// One shard as this run sees it: the entries read from disk and not yet taken, the entries to
/// write back, the pages taken whose entries are read again when it is written (`lean`), and
/// whether the file on disk differs from them (or misses are to be stored in it, `missed`).
#[derive(Default)]
struct Shard {
    stored: HashMap<PathBuf, Entry>,
    kept: Vec<(PathBuf, Entry)>,
    /// Pages parsed afresh to store: encoded when the shard is written (`Shelf::save`), so a
    /// first check does not hold every page encoded beside every page parsed (at 100k pages its
    /// peak was 506 MB, against 397 MB without the cache).
    tickets: Vec<(usize, Ticket)>,
    hit_paths: Vec<PathBuf>,
    changed: bool,
    /// Pages looked up in it; counted under its lock, not in one counter every thread takes.
    asked: usize,
}

impl Shard {
    /// Whether the file must be written: entries changed, or stored ones not read this run.
    fn to_write(&self) -> bool {
        self.changed || !self.stored.is_empty()
    }
}

/// A miss: what `keep` needs to store the page parsed from these bytes.
pub struct Ticket {
    path: PathBuf,
    stamp: Stamp,
    digest: Digest,
}

/// A miss told to `Shelf::missed`, handed to `Shelf::save_some` as its shard is written: the
/// page at `path` parsed from the bytes of `digest`, in the shard `Shelf::take_digested` named.
/// It is stored with the file's stamp then: a stamp taken after the bytes were read, of a file
/// changed in between, only makes an entry no later read matches (its digest is of the older
/// bytes).
pub struct Miss {
    pub path: PathBuf,
    pub digest: Digest,
    pub shard: u8,
}

/// A shard as read, and whether its file held no page: then it holds none all run (pages are
/// only taken out), and a lookup need not take its lock, whose cache line the threads that
/// load pages would otherwise pass back and forth.
struct Slot {
    empty: bool,
    shard: Mutex<Shard>,
}

/// The parse cache of one run, its shards read on first use.
pub struct Shelf {
    root: PathBuf,
    context: Hash,
    shards: Vec<OnceLock<Slot>>,
    /// A page taken keeps only its path, and its entry is read again from the shard file when
    /// the shard is written (see `lean`).
    lean: bool,
    taken: AtomicUsize,
    /// Pages looked up in the shards `loaded` let go.
    asked_before: usize,
    /// Shards written so far.
    written: usize,
}

impl Shelf {
    /// The parse cache of the repo at `root`, for pages parsed under `settings` (everything
    /// besides a page's path and bytes that its parse depends on).
    pub fn open(root: &Path, settings: &str) -> Shelf {
        let mut h = blake3::Hasher::new();
        h.update(&binary()).update(settings.as_bytes());
        Shelf {
            root: root.to_path_buf(),
            context: *h.finalize().as_bytes(),
            shards: (0..SHARDS).map(|_| OnceLock::new()).collect(),
            lean: false,
            taken: AtomicUsize::new(0),
            asked_before: 0,
            written: 0,
        }
    }

    /// For a caller that keeps the shelf past its load, to `save_some` later: the entries of the
    /// pages taken are not held meanwhile (they are read again from the shard file when it is
    /// written), and `loaded` drops the shards with nothing to write.
    pub fn lean(self) -> Shelf {
        Shelf { lean: true, ..self }
    }

    /// How many pages were taken so far.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::Relaxed)
    }

    /// A page's bytes (held by `reader` until its next read) and their stamp, both taken from
    /// one open file, the stamp first.
    pub fn read<'r>(
        &self,
        reader: &'r mut Reader,
        rel: &Path,
    ) -> std::io::Result<(&'r [u8], Stamp)> {
        let (bytes, meta) = reader.read_with_metadata(&self.root, rel)?;
        Ok((bytes, Stamp::of(&meta)))
    }

    /// The stored page for `bytes` read at `path` with `stamp`, or the ticket to store the
    /// page parsed from them.
    pub fn take(&self, path: &Path, stamp: Stamp, bytes: &[u8]) -> Result<Page, Ticket> {
        let digest = Digest::of(bytes);
        self.look_up(self.slot(path), path, stamp, digest)
            .ok_or_else(|| Ticket {
                path: path.to_path_buf(),
                stamp,
                digest,
            })
    }

    /// `take`, for a caller that has digested the bytes itself and tells each miss to `missed`
    /// once every page is read, from one thread (a cold cache's shards are not locked). A miss
    /// is the shard its page is stored in.
    pub fn take_digested(&self, path: &Path, stamp: Stamp, digest: Digest) -> Result<Page, u8> {
        let i = shard_index(path);
        let slot = self.slot_at(i);
        let found = if slot.empty {
            None
        } else {
            self.look_up(slot, path, stamp, digest)
        };
        // Fewer than 256 shards.
        found.ok_or(i as u8)
    }

    /// The shard `path` is stored in, when that shard holds no page (a cold cache): there
    /// `take_digested` misses whatever the page's stamp and bytes, so a caller need not ask the
    /// file for its stamp, and tells the shard to `missed` as it would a miss of it.
    pub fn empty_shard(&self, path: &Path) -> Option<u8> {
        let i = shard_index(path);
        // Fewer than 256 shards.
        self.slot_at(i).empty.then_some(i as u8)
    }

    /// A miss of `take_digested` (the shard it named) whose page is to be stored: the shard is
    /// written, and `save_some` asks for the miss then, so that a caller holding many misses (a
    /// watcher's start on a cold cache) holds nothing of them meanwhile.
    pub fn missed(&self, shard: u8) {
        let slot = self.slot_at(usize::from(shard));
        let mut shard = lock(&slot.shard);
        // `take_digested` counted only the lookups it locked the shard for.
        if slot.empty {
            shard.asked += 1;
        }
        shard.changed = true;
    }

    fn look_up(&self, slot: &Slot, path: &Path, stamp: Stamp, digest: Digest) -> Option<Page> {
        let shard = &slot.shard;
        let entry = {
            let mut shard = lock(shard);
            shard.asked += 1;
            match shard.stored.remove(path) {
                Some(e) if e.stamp == stamp && e.digest == digest => Some(e),
                found => {
                    shard.changed |= found.is_some();
                    None
                }
            }
        }?;
        let page = postcard::from_bytes::<StoredPage>(&entry.page)
            .ok()
            .and_then(|p| p.into_page(path.to_path_buf()));
        let mut shard = lock(shard);
        match page {
            Some(page) => {
                if self.lean {
                    shard.hit_paths.push(path.to_path_buf());
                } else {
                    shard.kept.push((path.to_path_buf(), entry));
                }
                self.taken.fetch_add(1, Ordering::Relaxed);
                Some(page)
            }
            None => {
                shard.changed = true;
                None
            }
        }
    }

    /// Stores the page parsed without a problem from the bytes `ticket` was given for, which
    /// `save` is given at the place `at`.
    pub fn keep(&self, ticket: Ticket, at: usize) {
        let mut shard = lock(&self.slot(&ticket.path).shard);
        shard.tickets.push((at, ticket));
        shard.changed = true;
    }

    /// The pages are all read (on a `lean` shelf): the shards with nothing to write go, and the
    /// entries of pages not read this run (gone) are dropped, to be left out when written.
    pub fn loaded(&mut self) {
        for slot in &mut self.shards {
            let Some(shard) = opened(slot) else {
                continue;
            };
            if !shard.to_write() {
                self.asked_before += shard.asked;
                slot.take();
                continue;
            }
            shard.changed |= !std::mem::take(&mut shard.stored).is_empty();
        }
    }

    /// Rewrites the shards this run changed: their pages as read now, less pages gone or no
    /// longer clean, and the page `keep` was told of at each place as `page_at` gives it
    /// (`None`: not stored). A shard that cannot be written is only logged.
    pub fn save<'p>(mut self, page_at: impl Fn(usize) -> Option<&'p Page> + Sync) {
        self.write(SHARDS, |_| Vec::new(), |_, _| None, &page_at);
    }

    /// `save` for at most `shards` of the shards still to write, for a caller that must not
    /// stop for long (the watcher between batches), storing with them the misses `misses`
    /// gives (it is asked whether a shard, as `take_digested` names it, is among them) for
    /// which `parsed` gives the page parsed without a problem from the bytes of that digest (`None`: not
    /// stored). A shard's pages are encoded as it is written, so only the shards being written
    /// are in memory. Returns whether every shard is written (or given up on) now.
    pub fn save_some<'p>(
        &mut self,
        shards: usize,
        misses: impl FnOnce(&dyn Fn(u8) -> bool) -> Vec<Miss>,
        parsed: impl Fn(&Path, &Digest) -> Option<Cow<'p, Page>> + Sync,
    ) -> bool {
        self.write(shards, misses, parsed, &|_| None)
    }

    /// `save_some`, the pages `keep` was told of given by `page_at`.
    fn write<'p>(
        &mut self,
        shards: usize,
        misses: impl FnOnce(&dyn Fn(u8) -> bool) -> Vec<Miss>,
        parsed: impl Fn(&Path, &Digest) -> Option<Cow<'p, Page>> + Sync,
        page_at: &(dyn Fn(usize) -> Option<&'p Page> + Sync),
    ) -> bool {
        let mut due: Vec<(usize, Shard, Vec<Miss>)> = Vec::new();
        let mut left = false;
        for (i, slot) in self.shards.iter_mut().enumerate() {
            if !opened(slot).is_some_and(|shard| shard.to_write()) {
                continue;
            }
            if due.len() == shards {
                left = true;
                break;
            }
            if let Some(shard) = slot.take().map(|s| into_inner(s.shard)) {
                self.asked_before += shard.asked;
                due.push((i, shard, Vec::new()));
            }
        }
        // In shard order, as taken.
        let indices: Vec<usize> = due.iter().map(|d| d.0).collect();
        let at = |i: usize| indices.binary_search(&i);
        for miss in misses(&|i| at(usize::from(i)).is_ok()) {
            if let Ok(k) = at(usize::from(miss.shard)) {
                due[k].2.push(miss);
            }
        }
        let (root, context) = (&self.root, self.context);
        let written = due
            .into_par_iter()
            .map(|(i, shard, misses)| {
                write_shard(root, context, i, shard, misses, &parsed, page_at)
            })
            .filter(|&w| w)
            .count();
        self.written += written;
        if !left && self.written > 0 {
            sweep_stale_temps(root, Path::new(FOLDER));
        }
        tracing::debug!(
            "parse cache: {} of {} pages reused, {} shards rewritten{}",
            self.taken.load(Ordering::Relaxed),
            self.asked(),
            self.written,
            if left { " so far" } else { "" }
        );
        !left
    }

    /// Pages looked up so far.
    fn asked(&mut self) -> usize {
        let open: usize = self
            .shards
            .iter_mut()
            .filter_map(|slot| opened(slot).map(|shard| shard.asked))
            .sum();
        self.asked_before + open
    }

    fn slot(&self, path: &Path) -> &Slot {
        self.slot_at(shard_index(path))
    }

    fn slot_at(&self, i: usize) -> &Slot {
        self.shards[i].get_or_init(|| {
            let shard = read_shard(&self.root, self.context, i);
            Slot {
                empty: shard.stored.is_empty(),
                shard: Mutex::new(shard),
            }
        })
    }
}

/// The shard a path is stored in.
fn shard_index(path: &Path) -> usize {
    (xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes()) % SHARDS as u64) as usize
}

/// Writes shard `i`: its entries kept, those of its hits as the file holds them now, the pages
/// `page_at` gives for its tickets, and the `misses` that `parsed` gives a page for, with their
/// files' stamps now. Returns whether it was written; a shard that cannot be is only logged.
fn write_shard<'p>(
    root: &Path,
    context: Hash,
    i: usize,
    shard: Shard,
    misses: Vec<Miss>,
    parsed: &(impl Fn(&Path, &Digest) -> Option<Cow<'p, Page>> + Sync),
    page_at: &(dyn Fn(usize) -> Option<&'p Page> + Sync),
) -> bool {
    let mut entries = shard.kept;
    for (at, ticket) in shard.tickets {
        if let Some(entry) = page_at(at).and_then(|page| entry(&ticket, page)) {
            entries.push((ticket.path, entry));
        }
    }
    if !shard.hit_paths.is_empty() {
        // Whatever the file holds for these paths now was stored for some bytes of theirs, so
        // it is as good as the entry taken.
        let mut on_disk = read_shard(root, context, i).stored;
        for path in shard.hit_paths {
            if let Some(entry) = on_disk.remove(&path) {
                entries.push((path, entry));
            }
        }
    }
    for miss in misses {
        let Some(page) = parsed(&miss.path, &miss.digest) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(root.join(&miss.path)) else {
            continue;
        };
        let ticket = Ticket {
            path: miss.path,
            stamp: Stamp::of(&meta),
            digest: miss.digest,
        };
        if let Some(entry) = entry(&ticket, &page) {
            entries.push((ticket.path, entry));
        }
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let file = ShardFile { context, entries };
    let done = seal(MAGIC, &file)
        .map_err(std::io::Error::other)
        .and_then(|bytes| put(root, &shard_file(i), &bytes));
    match done {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!("parse cache: shard {i:02x} not stored ({e})");
            false
        }
    }
}

/// Shard `i` as stored; empty (and to be rewritten) when it is missing, damaged or was made by
/// another build or under other settings than `context`.
fn read_shard(root: &Path, context: Hash, i: usize) -> Shard {
    let path = root.join(DIR).join(shard_file(i));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::debug!("parse cache: shard {i:02x} unread ({})", load::io_words(&e));
            }
            return Shard::default();
        }
    };
    match unseal::<ShardFile>(MAGIC, &bytes) {
        Some(file) if file.context == context => Shard {
            stored: file.entries.into_iter().collect(),
            ..Shard::default()
        },
        Some(_) => Shard {
            changed: true,
            ..Shard::default()
        },
        None => {
            tracing::debug!(
                "parse cache: shard {i:02x} ignored (not a whole shard of this version)"
            );
            Shard {
                changed: true,
                ..Shard::default()
            }
        }
    }
}

/// The entry storing `page`, parsed from the bytes `ticket` was given for; `None` when it cannot
/// be encoded.
fn entry(ticket: &Ticket, page: &Page) -> Option<Entry> {
    let bytes = postcard::to_allocvec(&StoredPage::of(page)).ok()?;
    Some(Entry {
        stamp: ticket.stamp,
        digest: ticket.digest,
        page: bytes,
    })
}

fn shard_file(i: usize) -> PathBuf {
    Path::new(FOLDER).join(format!("{i:02x}"))
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The shard in `slot`, if it was read this run.
fn opened(slot: &mut OnceLock<Slot>) -> Option<&mut Shard> {
    let slot = slot.get_mut()?;
    Some(
        slot.shard
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

fn into_inner(shard: Mutex<Shard>) -> Shard {
    shard
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str =
        "+++\nkind = \"concept\"\n+++\n# C\n\n- It runs at 24 fps.\n  Evidence: strong (s)\n";

    /// A page's bytes and stamp as the shelf reads them.
    fn read(shelf: &Shelf, path: &Path) -> (Vec<u8>, Stamp) {
        let mut reader = Reader::default();
        let (bytes, stamp) = shelf.read(&mut reader, path).expect("read");
        (bytes.to_vec(), stamp)
    }

    fn parsed(path: &Path) -> Page {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = crate::config::Folders::default();
        let cx = crate::page::ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let (page, diags) = crate::page::parse(path, PAGE, &cx);
        assert!(diags.is_empty(), "{diags:?}");
        page.expect("a page")
    }

    /// A repo with one page, its parse stored by one run.
    fn stored() -> (tempfile::TempDir, Stamp) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Path::new("concepts/c.md");
        std::fs::create_dir_all(dir.path().join("concepts")).expect("mkdir");
        std::fs::write(dir.path().join(path), PAGE).expect("write");
        let shelf = Shelf::open(dir.path(), "settings");
        let (bytes, stamp) = read(&shelf, path);
        let ticket = shelf
            .take(path, stamp, &bytes)
            .expect_err("nothing stored yet");
        shelf.keep(ticket, 0);
        let page = parsed(path);
        shelf.save(|at| (at == 0).then_some(&page));
        (dir, stamp)
    }

    #[test]
    fn only_a_shard_that_holds_no_page_is_named_empty() {
        let (dir, stamp) = stored();
        let shelf = Shelf::open(dir.path(), "settings");
        let stored = Path::new("concepts/c.md");
        assert_eq!(shelf.empty_shard(stored), None);
        let other = (0..64)
            .map(|i| PathBuf::from(format!("concepts/o{i}.md")))
            .find(|p| shard_index(p) != shard_index(stored))
            .expect("a path in another shard");
        let shard = shelf.empty_shard(&other).expect("an empty shard");
        let digest = Digest::of(PAGE.as_bytes());
        assert_eq!(
            shelf.take_digested(&other, stamp, digest).err(),
            Some(shard)
        );
        // Under other settings every shard is empty.
        let cold = Shelf::open(dir.path(), "other settings");
        assert_eq!(cold.empty_shard(stored), Some(shard_index(stored) as u8));
    }

    /// An entry's page bytes are one run of bytes on disk, as a sequence of bytes was: shards
    /// written before still read, and read as written.
    #[test]
    fn an_entrys_page_is_stored_as_the_same_bytes_as_a_sequence() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct AsSequence {
            stamp: Stamp,
            digest: Digest,
            page: Vec<u8>,
        }
        let (stamp, digest, page) = (
            Stamp {
                size: 300,
                mtime: Some((1_700_000_000, 5)),
            },
            Digest::of(b"page"),
            (0..300u32).map(|i| (i * 7) as u8).collect::<Vec<u8>>(),
        );
        let entry = Entry {
            stamp,
            digest,
            page: page.clone(),
        };
        let encoded = postcard::to_allocvec(&entry).expect("encodes");
        let old = AsSequence {
            stamp,
            digest,
            page,
        };
        assert_eq!(encoded, postcard::to_allocvec(&old).expect("encodes"));
        let back: Entry = postcard::from_bytes(&encoded).expect("decodes");
        assert_eq!(back.page, old.page);
        let back: AsSequence = postcard::from_bytes(&encoded).expect("decodes");
        assert_eq!(back, old);
    }

    #[test]
    fn a_page_is_taken_only_for_the_same_stamp_and_the_same_bytes() {
        let (dir, stamp) = stored();
        let path = Path::new("concepts/c.md");
        let take = |settings: &str, stamp: Stamp, bytes: &[u8]| {
            Shelf::open(dir.path(), settings)
                .take(path, stamp, bytes)
                .ok()
        };
        let page = take("settings", stamp, PAGE.as_bytes()).expect("a hit");
        assert_eq!(format!("{page:?}"), format!("{:?}", parsed(path)));
        let same_size = PAGE.replace("24", "25");
        assert!(take("settings", stamp, same_size.as_bytes()).is_none());
        let touched = Stamp {
            mtime: stamp.mtime.map(|(s, n)| (s + 1, n)),
            ..stamp
        };
        assert!(take("settings", touched, PAGE.as_bytes()).is_none());
        assert!(take("other settings", stamp, PAGE.as_bytes()).is_none());
    }

    #[test]
    fn a_run_that_takes_every_page_rewrites_no_shard_and_a_miss_rewrites_its_own() {
        let (dir, stamp) = stored();
        let path = Path::new("concepts/c.md");
        let shard = only_shard(&dir);
        let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
        let set_past = || {
            std::fs::File::options()
                .write(true)
                .open(&shard)
                .and_then(|f| f.set_modified(past))
                .expect("set the shard's mtime");
        };
        let written = || std::fs::metadata(&shard).and_then(|m| m.modified()).ok();
        set_past();
        let shelf = Shelf::open(dir.path(), "settings");
        assert!(shelf.take(path, stamp, PAGE.as_bytes()).is_ok());
        shelf.save(|_| None);
        assert_eq!(written(), Some(past));
        let shelf = Shelf::open(dir.path(), "settings");
        let edited = PAGE.replace("24", "25");
        assert!(shelf.take(path, stamp, edited.as_bytes()).is_err());
        shelf.save(|_| None);
        assert_ne!(written(), Some(past));
    }

    fn only_shard(dir: &tempfile::TempDir) -> PathBuf {
        let mut shards: Vec<PathBuf> = std::fs::read_dir(dir.path().join(DIR).join(FOLDER))
            .expect("shards")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(shards.len(), 1, "{shards:?}");
        shards.remove(0)
    }

    #[test]
    fn a_lean_shelf_stores_its_hits_and_the_misses_it_is_given_pages_for_when_saved() {
        let (dir, stamp) = stored();
        let (hit, miss, refused) = (
            Path::new("concepts/c.md"),
            Path::new("concepts/d.md"),
            Path::new("concepts/e.md"),
        );
        for path in [miss, refused] {
            std::fs::write(dir.path().join(path), PAGE).expect("write");
        }
        let mut shelf = Shelf::open(dir.path(), "settings").lean();
        assert!(shelf.take(hit, stamp, PAGE.as_bytes()).is_ok());
        let mut missed = Vec::new();
        for path in [miss, refused] {
            let (bytes, stamp) = read(&shelf, path);
            let digest = Digest::of(&bytes);
            let shard = shelf
                .take_digested(path, stamp, digest)
                .expect_err("a miss");
            shelf.missed(shard);
            let path = path.to_path_buf();
            missed.push((
                shard,
                Miss {
                    path,
                    digest,
                    shard,
                },
            ));
        }
        shelf.loaded();
        let page = parsed(miss);
        let misses = |due: &dyn Fn(u8) -> bool| {
            let due = missed.iter().all(|(shard, _)| due(*shard));
            assert!(due, "their shards are due");
            missed.into_iter().map(|(_, m)| m).collect()
        };
        let done = shelf.save_some(SHARDS, misses, |path, digest| {
            assert_eq!(*digest, Digest::of(PAGE.as_bytes()));
            (path == miss).then_some(Cow::Borrowed(&page))
        });
        assert!(done);
        let shelf = Shelf::open(dir.path(), "settings");
        let take = |path: &Path| {
            let (bytes, stamp) = read(&shelf, path);
            shelf.take(path, stamp, &bytes).is_ok()
        };
        assert!(take(hit), "the hit is written back");
        assert!(take(miss), "the miss given its page is stored");
        assert!(!take(refused), "the miss given no page is not");
    }

    #[test]
    fn shards_saved_a_few_at_a_time_end_as_one_save_would() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("concepts")).expect("mkdir");
        let paths: Vec<PathBuf> = (0..60)
            .map(|k| PathBuf::from(format!("concepts/c{k}.md")))
            .collect();
        let mut shelf = Shelf::open(dir.path(), "settings").lean();
        let mut digests = Vec::new();
        for path in &paths {
            std::fs::write(dir.path().join(path), PAGE).expect("write");
            let (bytes, stamp) = read(&shelf, path);
            let digest = Digest::of(&bytes);
            let shard = shelf
                .take_digested(path, stamp, digest)
                .expect_err("a miss");
            shelf.missed(shard);
            digests.push((shard, digest));
        }
        shelf.loaded();
        let page = parsed(Path::new("concepts/c.md"));
        let pages_dir = dir.path().join(DIR).join(FOLDER);
        let written = || std::fs::read_dir(&pages_dir).map_or(0, |d| d.count());
        // Each call is asked for the misses of its shards only.
        let asked = std::cell::Cell::new(0);
        let misses = |due: &dyn Fn(u8) -> bool| -> Vec<Miss> {
            let mine = paths.iter().zip(&digests);
            let mine: Vec<Miss> = mine
                .filter(|(_, (shard, _))| due(*shard))
                .map(|(p, (shard, d))| Miss {
                    path: p.clone(),
                    digest: *d,
                    shard: *shard,
                })
                .collect();
            asked.set(asked.get() + mine.len());
            mine
        };
        let mut calls = 0;
        while !shelf.save_some(8, misses, |_, _| Some(Cow::Borrowed(&page))) {
            calls += 1;
            assert_eq!(written(), 8 * calls, "eight shards a call");
        }
        assert!(calls >= 2, "60 pages fill more than 16 shards");
        assert_eq!(asked.get(), paths.len(), "each miss asked for once");
        assert!(
            shelf.save_some(8, misses, |_, _| Some(Cow::Borrowed(&page))),
            "nothing left"
        );
        let shelf = Shelf::open(dir.path(), "settings");
        for path in &paths {
            let (bytes, stamp) = read(&shelf, path);
            assert!(shelf.take(path, stamp, &bytes).is_ok(), "{path:?} stored");
        }
    }

    #[test]
    fn a_lean_shelf_that_took_every_page_writes_nothing() {
        let (dir, stamp) = stored();
        let path = Path::new("concepts/c.md");
        let shard = only_shard(&dir);
        let mut shelf = Shelf::open(dir.path(), "settings").lean();
        assert!(shelf.take(path, stamp, PAGE.as_bytes()).is_ok());
        shelf.loaded();
        // Gone meanwhile: a shard written again would come back.
        std::fs::remove_file(&shard).expect("remove");
        shelf.save(|_| None);
        assert!(!shard.exists(), "no shard rewritten");
    }

    #[test]
    fn a_damaged_shard_is_ignored() {
        let (dir, stamp) = stored();
        let path = Path::new("concepts/c.md");
        let shard = only_shard(&dir);
        let good = std::fs::read(&shard).expect("read");
        for cut in [0, MAGIC.len(), good.len() / 2, good.len() - 1] {
            std::fs::write(&shard, &good[..cut]).expect("truncate");
            let shelf = Shelf::open(dir.path(), "settings");
            assert!(shelf.take(path, stamp, PAGE.as_bytes()).is_err(), "{cut}");
        }
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&shard, &flipped).expect("flip");
        let shelf = Shelf::open(dir.path(), "settings");
        assert!(shelf.take(path, stamp, PAGE.as_bytes()).is_err());
        std::fs::write(&shard, &good).expect("restore");
        let shelf = Shelf::open(dir.path(), "settings");
        assert!(shelf.take(path, stamp, PAGE.as_bytes()).is_ok());
    }
}
