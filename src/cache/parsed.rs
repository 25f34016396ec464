//! The parse cache: every page that parsed without a problem, stored in `.rescore/cache/pages/`
//! under its path, size, mtime and the blake3 hash of its bytes. A later load that reads the same
//! bytes at the same path takes the stored page instead of parsing it again, so a check after
//! one edited page parses that page only.
//!
//! The page is read on every run and the stored page used only when its size, mtime *and* hash
//! all agree: an edit that keeps size and mtime is still seen. Pages with a diagnostic are never
//! stored, so their problems are reported from a fresh parse every time. The cache is split into
//! 256 shards by a hash of the path; a run rewrites (write-then-rename) only the shards whose
//! entries changed, so two processes at once each leave whole shards, and a shard that is
//! damaged, from another build or made under other settings is ignored and rebuilt.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::stored_page::StoredPage;
use super::{binary, put, seal, sweep_stale_temps, unseal, Hash, DIR};
use crate::load;
use crate::page::Page;

const FOLDER: &str = "cache/pages";
/// Leads every shard; the last byte is the format, bumped when a stored type changes.
const MAGIC: &[u8; 8] = b"rescoP\x00\x01";
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
    hash: Hash,
    /// The page, postcard-encoded: decoded only when it is taken.
    page: Vec<u8>,
}

/// One shard as this run sees it: the entries read from disk and not yet taken, the entries to
/// write back, and whether the file on disk differs from them.
#[derive(Default)]
struct Shard {
    stored: HashMap<PathBuf, Entry>,
    kept: Vec<(PathBuf, Entry)>,
    changed: bool,
}

/// A miss: what `keep` needs to store the page parsed from these bytes.
pub struct Ticket {
    path: PathBuf,
    stamp: Stamp,
    hash: Hash,
}

/// The parse cache of one run, its shards read on first use.
pub struct Shelf {
    root: PathBuf,
    context: Hash,
    shards: Vec<OnceLock<Mutex<Shard>>>,
    taken: AtomicUsize,
    asked: AtomicUsize,
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
            taken: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// A page's bytes and their stamp, both taken from one open file.
    pub fn read(&self, rel: &Path) -> std::io::Result<(Vec<u8>, Stamp)> {
        let mut file = std::fs::File::open(self.root.join(rel))?;
        let stamp = Stamp::of(&file.metadata()?);
        let mut bytes = Vec::with_capacity(usize::try_from(stamp.size).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok((bytes, stamp))
    }

    /// The stored page for `bytes` read at `path` with `stamp`, or the ticket to store the
    /// page parsed from them.
    pub fn take(&self, path: &Path, stamp: Stamp, bytes: &[u8]) -> Result<Page, Ticket> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let hash = *blake3::hash(bytes).as_bytes();
        let ticket = Ticket {
            path: path.to_path_buf(),
            stamp,
            hash,
        };
        let shard = self.shard(path);
        let entry = {
            let mut shard = lock(shard);
            match shard.stored.remove(path) {
                Some(e) if e.stamp == stamp && e.hash == hash => e,
                Some(_) => {
                    shard.changed = true;
                    return Err(ticket);
                }
                None => return Err(ticket),
            }
        };
        let page = postcard::from_bytes::<StoredPage>(&entry.page)
            .ok()
            .and_then(|p| p.into_page(path.to_path_buf()));
        let mut shard = lock(shard);
        match page {
            Some(page) => {
                shard.kept.push((ticket.path, entry));
                self.taken.fetch_add(1, Ordering::Relaxed);
                Ok(page)
            }
            None => {
                shard.changed = true;
                Err(ticket)
            }
        }
    }

    /// Stores `page`, parsed without a problem from the bytes `ticket` was given for.
    pub fn keep(&self, ticket: Ticket, page: &Page) {
        let Ok(bytes) = postcard::to_allocvec(&StoredPage::of(page)) else {
            return;
        };
        let entry = Entry {
            stamp: ticket.stamp,
            hash: ticket.hash,
            page: bytes,
        };
        let mut shard = lock(self.shard(&ticket.path));
        shard.kept.push((ticket.path, entry));
        shard.changed = true;
    }

    /// Rewrites the shards this run changed: their pages as read now, less pages gone or no
    /// longer clean. A shard that cannot be written is only logged.
    pub fn save(self) {
        let context = self.context;
        let root = self.root;
        let written = AtomicUsize::new(0);
        self.shards
            .into_par_iter()
            .enumerate()
            .filter_map(|(i, s)| s.into_inner().map(|s| (i, into_inner(s))))
            .filter(|(_, s)| s.changed || !s.stored.is_empty())
            .for_each(|(i, mut shard)| {
                shard.kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                let file = ShardFile {
                    context,
                    entries: shard.kept,
                };
                let done = seal(MAGIC, &file)
                    .map_err(std::io::Error::other)
                    .and_then(|bytes| put(&root, &shard_file(i), &bytes));
                match done {
                    Ok(()) => {
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => tracing::debug!("parse cache: shard {i:02x} not stored ({e})"),
                }
            });
        if written.load(Ordering::Relaxed) > 0 {
            sweep_stale_temps(&root, Path::new(FOLDER));
        }
        tracing::debug!(
            "parse cache: {} of {} pages reused, {} shards rewritten",
            self.taken.into_inner(),
            self.asked.into_inner(),
            written.into_inner()
        );
    }

    fn shard(&self, path: &Path) -> &Mutex<Shard> {
        let i = usize::from(blake3::hash(path.as_os_str().as_encoded_bytes()).as_bytes()[0]);
        self.shards[i].get_or_init(|| Mutex::new(self.read_shard(i)))
    }

    /// The shard as stored; empty (and to be rewritten) when it is missing, damaged or was made
    /// by another build or under other settings.
    fn read_shard(&self, i: usize) -> Shard {
        let path = self.root.join(DIR).join(shard_file(i));
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
            Some(file) if file.context == self.context => Shard {
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
}

fn shard_file(i: usize) -> PathBuf {
    Path::new(FOLDER).join(format!("{i:02x}"))
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let (bytes, stamp) = shelf.read(path).expect("read");
        let ticket = shelf
            .take(path, stamp, &bytes)
            .expect_err("nothing stored yet");
        shelf.keep(ticket, &parsed(path));
        shelf.save();
        (dir, stamp)
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
        shelf.save();
        assert_eq!(written(), Some(past));
        let shelf = Shelf::open(dir.path(), "settings");
        let edited = PAGE.replace("24", "25");
        assert!(shelf.take(path, stamp, edited.as_bytes()).is_err());
        shelf.save();
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
