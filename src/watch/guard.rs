//! The load guard (Linux): a plain inotify watch on every folder of the repo, set up before the
//! first page is read and drained once notify's watch is in place, so an edit made while a large
//! repo loads is not lost.
//!
//! It watches in two passes. The walk needs a folder watched for pages made, removed or moved
//! in it before it lists the folder; reads need writes to the files in it reported as well.
//! Asking for those makes the kernel mark every cached entry of the folder (4–15 ms for the
//! corpus's largest folders, 57 ms once where many files had been made and removed), so they
//! are added in a second pass, beside the walk, and the reads wait for it, not the walk. A folder whose
//! ignore file the walk will read gets its write events in the first pass.
//!
//! Why not notify's watch itself: notify asks inotify for open events on every folder, and the
//! load opens every page, so at 100k pages its watch queued 100k events that the kernel made,
//! notify read and our tap dropped (the watcher's start took about 0.7 s more CPU with them). The
//! guard asks only for the events that can change a file, and notify starts once the pages are
//! read.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use notify_debouncer_full::notify::event::{
    AccessKind, AccessMode, CreateKind, DataChange, Flag, MetadataKind, ModifyKind, RemoveKind,
    RenameMode,
};
use notify_debouncer_full::notify::{Event, EventKind};
use notify_debouncer_full::DebouncedEvent;

use super::intake::each_folder;

/// What can change a folder's list: what the walk needs before it lists the folder.
fn listing_mask() -> WatchMask {
    WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
}

/// What can change a file or a folder's list: no opens, no reads.
fn mask() -> WatchMask {
    listing_mask() | WatchMask::MODIFY | WatchMask::CLOSE_WRITE | WatchMask::ATTRIB
}

pub struct Guard {
    inotify: Inotify,
    folders: HashMap<WatchDescriptor, PathBuf>,
}

/// A guard still setting up its watches, on a thread of its own, beside the loader's walk.
pub struct Pending {
    watched: Arc<Watched>,
    thread: std::thread::JoinHandle<io::Result<Guard>>,
}

/// The folders a pending guard has watched so far, for the walk to wait on: a folder is listed
/// only once it is watched, and a file in it read before the guard is joined (a rule file)
/// only once writes to it are watched too.
#[derive(Default)]
struct Watched {
    state: Mutex<WatchedState>,
    changed: Condvar,
}

#[derive(Default)]
struct WatchedState {
    /// Watched for the walk (`listing_mask`).
    folders: HashSet<PathBuf>,
    /// Watched for reads too (`mask`).
    guarded: HashSet<PathBuf>,
    /// The guard has watched all it will (or failed, or panicked): nothing is waited for.
    done: bool,
}

impl Watched {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchedState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `folder` is watched for the walk, and for reads too when `guarded`.
    fn add(&self, folder: &Path, guarded: bool) {
        let mut state = self.lock();
        state.folders.insert(folder.to_path_buf());
        if guarded {
            state.guarded.insert(folder.to_path_buf());
        }
        drop(state);
        self.changed.notify_all();
    }

    /// `folder`, watched for the walk before, is now watched for reads too.
    fn guard(&self, folder: &Path) {
        self.lock().guarded.insert(folder.to_path_buf());
        self.changed.notify_all();
    }

    /// Returns once `folder` is watched for the walk (for reads too when `guarded`), or the
    /// guard has watched all it will.
    fn wait_for(&self, folder: &Path, guarded: bool) {
        let mut state = self.lock();
        while !state.done
            && !(if guarded {
                state.guarded.contains(folder)
            } else {
                state.folders.contains(folder)
            })
        {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Marks the guard done when its thread ends, however it ends, so no walk waits forever.
struct Done(Arc<Watched>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.lock().done = true;
        self.0.changed.notify_all();
    }
}

impl Guard {
    /// Watches `root` (here, so a guard that cannot start is known before the load, and for
    /// reads too: `rescore.toml` is read before the walk), then every folder under it but `.git`
    /// on a thread of its own, following links to folders as the loader's walk does. Each
    /// folder is watched before the guard lists it, and before the walk does as long as the
    /// walk waits for it (`Pending::before_listing`), so a page made in a folder while the repo
    /// loads is either listed or reported. Writes to the files in a folder are watched by the
    /// time the guard is joined (`Pending::join`), which the load does before it reads a page.
    pub fn spawn(root: &Path) -> io::Result<Pending> {
        let inotify = Inotify::init()?;
        let root_wd = inotify.watches().add(root, mask())?;
        let watched = Arc::new(Watched::default());
        watched.add(root, true);
        let mut guard = Guard {
            inotify,
            folders: HashMap::from([(root_wd, root.to_path_buf())]),
        };
        let (root, done) = (root.to_path_buf(), Done(watched.clone()));
        let thread = std::thread::Builder::new()
            .name("rescore-guard".into())
            .spawn(move || {
                let _done = done;
                let watched = &_done.0;
                let mut for_reads = Vec::new();
                each_folder(&root, |folder| {
                    if folder == root {
                        return Ok(true);
                    }
                    let Some((wd, guarded)) = guard.watch_for_listing(folder)? else {
                        return Ok(false);
                    };
                    // The same folder reached twice (a link to it) has the same descriptor.
                    let new = guard.folders.insert(wd, folder.to_path_buf()).is_none();
                    if new && !guarded {
                        for_reads.push(folder.to_path_buf());
                    }
                    watched.add(folder, guarded);
                    Ok(new)
                })?;
                for folder in for_reads {
                    // A folder gone since is reported gone; one made in its place, as made.
                    if let Some(wd) = guard.watch(&folder, mask() | WatchMask::MASK_ADD)? {
                        guard.folders.entry(wd).or_insert_with(|| folder.clone());
                    }
                    watched.guard(&folder);
                }
                Ok(guard)
            })?;
        Ok(Pending { watched, thread })
    }

    /// Watches `folder` for the walk: for its list, and for writes too when it holds an ignore
    /// file, which the walk reads as it lists it. Its descriptor and whether writes are
    /// watched, or `None` when the folder went away or cannot be read.
    fn watch_for_listing(&mut self, folder: &Path) -> io::Result<Option<(WatchDescriptor, bool)>> {
        let Some(wd) = self.watch(folder, listing_mask())? else {
            return Ok(None);
        };
        // Looked for once the folder is watched: an ignore file made from now on is reported
        // as made, and one there now must have its writes seen before the walk reads it.
        let read_by_walk = holds_ignore_file(folder);
        if read_by_walk && self.watch(folder, mask() | WatchMask::MASK_ADD)?.is_none() {
            return Ok(None);
        }
        Ok(Some((wd, read_by_walk)))
    }

    /// Watches `folder` with `mask`: its descriptor, or `None` when the folder went away or
    /// cannot be read (the load reports what it cannot read).
    fn watch(&mut self, folder: &Path, mask: WatchMask) -> io::Result<Option<WatchDescriptor>> {
        match self.inotify.watches().add(folder, mask) {
            Ok(wd) => Ok(Some(wd)),
            Err(e) if gone_or_closed(&e) => Ok(None),
            // Out of watches (or worse): the watcher reads everything again once notify's
            // watch is up.
            Err(e) => Err(e),
        }
    }

    /// `spawn`, waited for.
    #[cfg(test)]
    pub fn start(root: &Path) -> io::Result<Guard> {
        Guard::spawn(root)?.join()
    }

    /// The folders watched, for notify's watch to take over one by one.
    pub fn folder_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.folders.values().cloned().collect();
        paths.sort();
        paths
    }

    /// How many folders are watched.
    pub fn folders(&self) -> usize {
        self.folders.len()
    }

    /// Every change seen since `spawn`, as the debouncer would hand it on; a lost event (a
    /// full queue, a failed read) is a rescan.
    pub fn finish(mut self) -> Vec<DebouncedEvent> {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match self.inotify.read_events(&mut buffer) {
                Ok(events) => {
                    for e in events {
                        if let Some(event) = self.event(&e.wd, e.mask, e.name) {
                            out.push(DebouncedEvent::new(event, now));
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::warn!("watch: cannot read the load guard's events: {e}");
                    out.push(DebouncedEvent::new(rescan(), now));
                    break;
                }
            }
        }
        out
    }

    fn event(&self, wd: &WatchDescriptor, mask: EventMask, name: Option<&OsStr>) -> Option<Event> {
        if mask.contains(EventMask::Q_OVERFLOW) {
            return Some(rescan());
        }
        let folder = self.folders.get(wd)?;
        let path = name.map_or_else(|| folder.clone(), |n| folder.join(n));
        let dir = mask.contains(EventMask::ISDIR);
        let kind = if mask.contains(EventMask::CREATE) {
            EventKind::Create(if dir {
                CreateKind::Folder
            } else {
                CreateKind::File
            })
        } else if mask.contains(EventMask::DELETE) {
            EventKind::Remove(if dir {
                RemoveKind::Folder
            } else {
                RemoveKind::File
            })
        } else if mask.contains(EventMask::MOVED_FROM) {
            EventKind::Modify(ModifyKind::Name(RenameMode::From))
        } else if mask.contains(EventMask::MOVED_TO) {
            EventKind::Modify(ModifyKind::Name(RenameMode::To))
        } else if mask.intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF) {
            EventKind::Remove(RemoveKind::Folder)
        } else if mask.contains(EventMask::CLOSE_WRITE) {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
        } else if mask.contains(EventMask::MODIFY) {
            EventKind::Modify(ModifyKind::Data(DataChange::Any))
        } else if mask.contains(EventMask::ATTRIB) {
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any))
        } else {
            // IN_IGNORED and the like: the watch is gone, and a self event said why.
            return None;
        };
        Some(Event::new(kind).add_path(path))
    }
}

impl Pending {
    /// What the loader's walk calls with each folder of `root` (the repo as the load names it;
    /// the guard watches it as `abs_root`) before it lists it: it returns once the guard has
    /// watched the folder, or has watched all it will.
    pub fn before_listing(&self, root: &Path, abs_root: &Path) -> crate::load::BeforeListing {
        self.waiter(root, abs_root, false)
    }

    /// What the load calls with the folder of a file it reads before the guard is joined (a
    /// rule file) before it reads it: it returns once the guard watches writes to the file, or
    /// has watched all it will.
    pub fn before_reading(&self, root: &Path, abs_root: &Path) -> crate::load::BeforeListing {
        self.waiter(root, abs_root, true)
    }

    /// A wait for a folder named under `root` to be watched, for reads too when `guarded`.
    fn waiter(&self, root: &Path, abs_root: &Path, guarded: bool) -> crate::load::BeforeListing {
        let (watched, root, abs_root) = (
            self.watched.clone(),
            root.to_path_buf(),
            abs_root.to_path_buf(),
        );
        Arc::new(move |folder: &Path| match folder.strip_prefix(&root) {
            Ok(rel) => watched.wait_for(&abs_root.join(rel), guarded),
            // Not under the root (a rule file elsewhere): the guard never watches it.
            Err(_) => watched.wait_for(folder, guarded),
        })
    }

    /// The guard once every folder is watched.
    pub fn join(self) -> io::Result<Guard> {
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// Whether the walk reads a file in `folder` when it lists it.
fn holds_ignore_file(folder: &Path) -> bool {
    crate::load::IGNORE_FILES
        .iter()
        .any(|f| folder.join(f).symlink_metadata().is_ok())
}

/// A folder that went away, became a file, or may not be read: nothing to guard there.
fn gone_or_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::PermissionDenied
    )
}

/// An event that asks for everything to be read again.
pub fn rescan() -> Event {
    Event::new(EventKind::Other).set_flag(Flag::Rescan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Each event as (what, path under `root`).
    fn seen(guard: Guard, root: &Path) -> BTreeSet<(String, String)> {
        guard
            .finish()
            .into_iter()
            .map(|d| {
                let kind = match d.event.kind {
                    EventKind::Create(_) => "create",
                    EventKind::Remove(_) => "remove",
                    EventKind::Modify(ModifyKind::Name(RenameMode::From)) => "moved-from",
                    EventKind::Modify(ModifyKind::Name(RenameMode::To)) => "moved-to",
                    EventKind::Modify(_) => "modify",
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => "written",
                    _ => "other",
                };
                let path = d.event.paths.first().map_or(String::new(), |p| {
                    p.strip_prefix(root).unwrap_or(p).display().to_string()
                });
                (kind.to_string(), path)
            })
            .collect()
    }

    fn has(seen: &BTreeSet<(String, String)>, kind: &str, path: &str) -> bool {
        seen.contains(&(kind.to_string(), path.to_string()))
    }

    #[test]
    fn changes_in_every_folder_are_reported_with_what_happened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("concepts/deep")).expect("mkdir");
        std::fs::write(root.join("concepts/a.md"), "a").expect("write");
        std::fs::write(root.join("concepts/deep/b.md"), "b").expect("write");
        std::fs::write(root.join("gone.md"), "c").expect("write");
        let guard = Guard::start(root).expect("guard");
        assert_eq!(guard.folders(), 3);

        std::fs::write(root.join("concepts/a.md"), "a2").expect("write");
        std::fs::write(root.join("concepts/deep/new.md"), "n").expect("write");
        std::fs::rename(root.join("concepts/deep/b.md"), root.join("concepts/b.md"))
            .expect("rename");
        std::fs::remove_file(root.join("gone.md")).expect("remove");
        std::fs::create_dir(root.join("theses")).expect("mkdir");

        let seen = seen(guard, root);
        assert!(has(&seen, "written", "concepts/a.md"), "{seen:?}");
        assert!(has(&seen, "create", "concepts/deep/new.md"), "{seen:?}");
        assert!(has(&seen, "moved-from", "concepts/deep/b.md"), "{seen:?}");
        assert!(has(&seen, "moved-to", "concepts/b.md"), "{seen:?}");
        assert!(has(&seen, "remove", "gone.md"), "{seen:?}");
        assert!(has(&seen, "create", "theses"), "{seen:?}");
    }

    #[test]
    fn reads_and_git_internals_are_not_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git/objects")).expect("mkdir");
        std::fs::write(root.join("page.md"), "text").expect("write");
        let mut guard = Guard::start(root).expect("guard");
        assert_eq!(guard.folders(), 1, "the root only, not .git");

        let _ = std::fs::read(root.join("page.md")).expect("read");
        let mut buffer = [0u8; 4096];
        let queued = guard.inotify.read_events(&mut buffer).map(|e| e.count());
        assert!(
            matches!(&queued, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
            "a read queues no event: {queued:?}"
        );
        std::fs::write(root.join(".git/objects/x"), "blob").expect("write");

        let seen = seen(guard, root);
        assert!(seen.is_empty(), "{seen:?}");
    }

    #[test]
    fn a_folder_reached_through_a_link_is_watched_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("real")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("real"), root.join("alias")).expect("symlink");
        let guard = Guard::start(root).expect("guard");
        assert_eq!(guard.folders(), 2);

        std::fs::write(root.join("real/page.md"), "text").expect("write");

        let seen = seen(guard, root);
        assert!(
            has(&seen, "create", "real/page.md") || has(&seen, "create", "alias/page.md"),
            "{seen:?}"
        );
    }

    /// A thread waiting for `folder` to be watched (for reads too when `guarded`), once it has
    /// had 50 ms to get there.
    fn waiting(
        watched: &Arc<Watched>,
        folder: &'static str,
        guarded: bool,
    ) -> std::thread::JoinHandle<()> {
        let watched = watched.clone();
        let waiter = std::thread::spawn(move || watched.wait_for(Path::new(folder), guarded));
        std::thread::sleep(std::time::Duration::from_millis(50));
        waiter
    }

    #[test]
    fn the_walk_waits_for_a_folder_until_it_is_watched_or_the_guard_is_done() {
        let watched = Arc::new(Watched::default());
        let waiter = waiting(&watched, "/r/concepts", false);
        assert!(
            !waiter.is_finished(),
            "it waits while the folder is not watched"
        );
        watched.add(Path::new("/r/theses"), true);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "another folder is not this one");
        watched.add(Path::new("/r/concepts"), false);
        waiter
            .join()
            .expect("the wait ends once the folder is watched");

        // A folder the guard never reaches: the wait ends when the guard's thread does, even
        // by a panic.
        let waiter = waiting(&watched, "/elsewhere", true);
        let done = Done(watched.clone());
        let guard_thread = std::thread::spawn(move || {
            let _done = done;
            panic!("the guard's thread fails");
        });
        assert!(guard_thread.join().is_err());
        waiter.join().expect("the wait ends once the guard is done");
    }

    #[test]
    fn the_walk_is_told_of_a_folder_as_the_load_names_it_once_the_guard_watched_it() {
        // A guard that has watched two folders under its absolute root and goes on.
        let watched = Arc::new(Watched::default());
        watched.add(Path::new("/abs/repo"), true);
        watched.add(Path::new("/abs/repo/concepts"), false);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let done = Done(watched.clone());
        let pending = Pending {
            watched,
            thread: std::thread::spawn(move || {
                let _done = done;
                let _ = hold.recv();
                Err(io::Error::other("released"))
            }),
        };
        // The load names the repo as the user gave it.
        let before = pending.before_listing(Path::new("repo/."), Path::new("/abs/repo"));
        let told = std::thread::spawn(move || {
            before(Path::new("repo"));
            before(Path::new("repo/./concepts"));
        });
        for _ in 0..200 {
            if told.is_finished() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            told.is_finished(),
            "the walk waited for folders the guard had watched"
        );
        // A file read there before the guard is joined waits until writes to it are watched.
        let before = pending.before_reading(Path::new("repo/."), Path::new("/abs/repo"));
        let reader = std::thread::spawn(move || before(Path::new("repo/./concepts")));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!reader.is_finished(), "it waited for the second pass");
        pending.watched.guard(Path::new("/abs/repo/concepts"));
        reader
            .join()
            .expect("the wait ends once writes are watched");
        drop(release);
        assert!(pending.join().is_err());
    }

    #[test]
    fn a_read_waits_until_writes_to_the_folder_are_watched() {
        let watched = Arc::new(Watched::default());
        watched.add(Path::new("/r/rules"), false);
        // Listing it need not wait.
        watched.wait_for(Path::new("/r/rules"), false);
        let reader = waiting(&watched, "/r/rules", true);
        assert!(
            !reader.is_finished(),
            "a folder watched for its list only is not ready for reads"
        );
        watched.guard(Path::new("/r/rules"));
        reader
            .join()
            .expect("the wait ends once writes are watched");
        // A folder whose ignore file the walk reads is ready for both at once.
        watched.add(Path::new("/r/notes"), true);
        watched.wait_for(Path::new("/r/notes"), true);
    }

    #[test]
    fn folders_holding_an_ignore_file_are_told_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for (folder, file) in [("a", ".gitignore"), ("b", ".ignore"), ("c", "page.md")] {
            std::fs::create_dir(root.join(folder)).expect("mkdir");
            std::fs::write(root.join(folder).join(file), "x").expect("write");
        }
        std::fs::create_dir(root.join("d")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("d/.gitignore"))
            .expect("symlink");
        assert!(holds_ignore_file(&root.join("a")));
        assert!(holds_ignore_file(&root.join("b")));
        assert!(!holds_ignore_file(&root.join("c")));
        assert!(
            holds_ignore_file(&root.join("d")),
            "a link counts, dangling or not: writes to it are watched from the start"
        );
    }

    /// The mask of each of a guard's watches by descriptor number, from the kernel's own
    /// account of its inotify descriptor.
    fn masks(guard: &Guard) -> HashMap<i32, u32> {
        use std::os::fd::AsRawFd;
        let info =
            std::fs::read_to_string(format!("/proc/self/fdinfo/{}", guard.inotify.as_raw_fd()))
                .expect("fdinfo");
        info.lines()
            .filter_map(|l| l.strip_prefix("inotify wd:"))
            .map(|l| {
                let wd = l.split_whitespace().next().expect("wd");
                let mask = l
                    .split_whitespace()
                    .find_map(|f| f.strip_prefix("mask:"))
                    .expect("mask");
                (
                    wd.parse().expect("wd number"),
                    u32::from_str_radix(mask, 16).expect("hex mask"),
                )
            })
            .collect()
    }

    #[test]
    fn before_listing_writes_are_watched_only_in_a_folder_holding_an_ignore_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for (folder, file) in [("rules", ".gitignore"), ("concepts", "page.md")] {
            std::fs::create_dir(root.join(folder)).expect("mkdir");
            std::fs::write(root.join(folder).join(file), "x").expect("write");
        }
        let mut guard = Guard {
            inotify: Inotify::init().expect("inotify"),
            folders: HashMap::new(),
        };
        let (rules, guarded) = guard
            .watch_for_listing(&root.join("rules"))
            .expect("watch")
            .expect("watched");
        assert!(guarded);
        let (concepts, guarded) = guard
            .watch_for_listing(&root.join("concepts"))
            .expect("watch")
            .expect("watched");
        assert!(!guarded);
        assert!(guard
            .watch_for_listing(&root.join("missing"))
            .expect("a missing folder is no error")
            .is_none());
        let masks = masks(&guard);
        assert_eq!(masks[&rules.get_watch_descriptor_id()], mask().bits());
        assert_eq!(
            masks[&concepts.get_watch_descriptor_id()],
            listing_mask().bits()
        );
    }

    #[test]
    fn once_joined_every_folder_is_watched_for_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in ["concepts/deep", "theses", "rules"] {
            std::fs::create_dir_all(root.join(f)).expect("mkdir");
        }
        std::fs::write(root.join("rules/.gitignore"), "x").expect("write");
        let guard = Guard::start(root).expect("guard");
        let masks = masks(&guard);
        assert_eq!(masks.len(), 5, "{masks:x?}");
        for m in masks.values() {
            assert_eq!(*m, mask().bits(), "{m:x}");
        }
    }

    #[test]
    fn folders_are_watched_before_they_are_listed_and_visited_in_listing_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in ["a/x", "a/y/w", "b", "c/z", "c/.git/objects"] {
            std::fs::create_dir_all(root.join(f)).expect("mkdir");
        }
        // A folder's subfolders are watched as one, right after it is listed; then each is
        // visited in turn, in listing order.
        fn expected(root: &Path, folder: &Path, out: &mut Vec<PathBuf>) {
            let subs: Vec<PathBuf> = std::fs::read_dir(folder)
                .expect("list")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && !p.ends_with(".git"))
                .collect();
            out.extend(
                subs.iter()
                    .map(|p| p.strip_prefix(root).expect("under").to_path_buf()),
            );
            for sub in &subs {
                expected(root, sub, out);
            }
        }
        let mut want = vec![PathBuf::new()];
        expected(root, root, &mut want);
        let mut order = Vec::new();
        each_folder(root, |folder| {
            order.push(folder.strip_prefix(root).expect("under").to_path_buf());
            Ok(true)
        })
        .expect("walk");
        assert_eq!(order, want);
        assert_eq!(order.len(), 8, "{order:?}");
    }

    /// What the watcher sends when it cannot say what changed: the batch then reloads.
    #[test]
    fn a_rescan_is_flagged_as_one() {
        assert!(rescan().need_rescan());
    }

    #[test]
    fn a_root_that_cannot_be_watched_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(Guard::start(&dir.path().join("missing")).is_err());
    }
}
