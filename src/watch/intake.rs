//! Event intake and batching: notify's platform watcher, with a tap in front of the debouncer
//! that drops events which cannot change a page, and the loop that merges debounced events into
//! one batch per burst (a git checkout is one batch, not a hundred).

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, ModifyKind};
use notify_debouncer_full::notify::{
    self, Event, EventHandler, EventKind, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, RecommendedCache};

pub enum Msg {
    Events(DebounceEventResult),
    Stop,
}

/// The paths of one or more debounced batches, merged.
#[derive(Default)]
pub struct Batch {
    pub paths: BTreeSet<PathBuf>,
    /// Paths created, removed or renamed (a folder's pages come and go with it).
    pub moved: BTreeSet<PathBuf>,
    pub rescan: bool,
    pub errors: Vec<String>,
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

pub fn under_git(p: &Path) -> bool {
    p.components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".git"))
}

/// The running watcher: dropping it stops the events.
pub struct Running {
    debouncer: Debouncer<Tap, RecommendedCache>,
    /// Each folder watched on its own (the folders the load guard listed), not the tree at
    /// once: notify's recursive watch lists the whole tree again and stats every file in it
    /// (about a third of a CPU second at 100k pages, while the graph is built), and watches
    /// `.git` as well. The folders made later are added as batches report them (`cover`).
    per_folder: bool,
}

impl Running {
    /// Watches the folders a batch made or moved in, and those under them, when each folder is
    /// watched on its own; every folder of the tree after a rescan (events may have been lost).
    /// A folder is watched before it is listed, and the batch's walk lists the new folders
    /// after this: a page made in one before its watch is found by the walk, one made after by
    /// the watch.
    pub fn cover(&mut self, batch: &Batch, abs_root: &Path) {
        if !self.per_folder {
            return;
        }
        let tops: Vec<&Path> = if batch.rescan {
            vec![abs_root]
        } else {
            batch
                .moved
                .iter()
                .map(PathBuf::as_path)
                .filter(|p| !under_git(p) && p.is_dir())
                .collect()
        };
        let mut seen = HashSet::new();
        for top in tops {
            let _ = each_folder(top, |folder| {
                // A link back up the tree is listed once.
                if !folder.canonicalize().is_ok_and(|real| seen.insert(real)) {
                    return Ok(false);
                }
                match self.debouncer.watch(folder, RecursiveMode::NonRecursive) {
                    Ok(()) => Ok(true),
                    Err(e) => {
                        tracing::warn!(
                            "watch: cannot watch the new folder {}: {e} (on Linux, raise \
                             fs.inotify.max_user_watches); its pages are read now, but later \
                             changes in it are seen only after a restart",
                            folder.display()
                        );
                        Ok(false)
                    }
                }
            });
        }
    }

    pub fn stop_nonblocking(self) {
        self.debouncer.stop_nonblocking();
    }
}

/// Visits `top` and every folder under it but `.git`, following links to folders as the
/// loader's walk does, depth first in the order the folders are listed (the walk's order).
/// `watch` is called on each folder before it is listed (on a folder's subfolders as soon as it
/// is listed, so a walk going through the same tree beside it seldom waits for one), so a folder
/// made meanwhile is either listed or seen by the watch; it says whether to list the folder (not
/// one reached before, through a link, or one that could not be watched).
pub fn each_folder(
    top: &Path,
    mut watch: impl FnMut(&Path) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    if !watch(top)? {
        return Ok(());
    }
    let mut todo = vec![top.to_path_buf()];
    let mut listed = Vec::new();
    while let Some(folder) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            // The type first: most entries are files, whose names need not be looked at.
            let is_folder = match entry.file_type() {
                Ok(t) if t.is_symlink() => entry.path().metadata().is_ok_and(|m| m.is_dir()),
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            if is_folder && entry.file_name() != ".git" {
                listed.push(entry.path());
            }
        }
        let from = todo.len();
        for sub in listed.drain(..) {
            if watch(&sub)? {
                todo.push(sub);
            }
        }
        // Popped in the order listed.
        todo[from..].reverse();
    }
    Ok(())
}

/// Starts watching `abs_root`: the whole tree, or with `folders` (every folder of the tree, as
/// the load guard listed them) each of those on its own. Debounced events arrive on `tx`. An
/// error is a sentence that names `root` as the user gave it.
pub fn start(
    root: &Path,
    abs_root: &Path,
    debounce: Duration,
    tx: mpsc::Sender<Msg>,
    folders: Option<&[PathBuf]>,
) -> Result<Running, String> {
    let mut debouncer = new_debouncer_opt::<_, Tap, RecommendedCache>(
        debounce,
        Some(tick(debounce)),
        move |r: DebounceEventResult| {
            let _ = tx.send(Msg::Events(r));
        },
        RecommendedCache::new(),
        notify::Config::default(),
    )
    .map_err(|e| format!("cannot start the file watcher: {e}"))?;
    let cannot = |e: notify::Error| {
        format!(
            "cannot watch {}: {e} (on Linux, raise fs.inotify.max_user_watches)",
            root.display()
        )
    };
    match folders {
        None => debouncer
            .watch(abs_root, RecursiveMode::Recursive)
            .map_err(cannot)?,
        Some(folders) => {
            for folder in folders {
                match debouncer.watch(folder, RecursiveMode::NonRecursive) {
                    Ok(()) => {}
                    // Gone since the guard listed it: its parent's watch reported that.
                    Err(e) if folder != abs_root && gone(&e) => {}
                    Err(e) => return Err(cannot(e)),
                }
            }
        }
    }
    Ok(Running {
        debouncer,
        per_folder: folders.is_some(),
    })
}

fn gone(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
        ),
        _ => false,
    }
}

fn tick(debounce: Duration) -> Duration {
    (debounce / 4).max(Duration::from_micros(500)).min(debounce)
}

/// Collects one batch, starting with `first`: the debouncer releases each path once it has been
/// quiet for `debounce`, and a bulk change (git checkout) can straddle two of its ticks, so this
/// keeps collecting while any raw event is younger than the debounce. Returns the batch and when
/// its last part arrived (the start of the time an edit takes to be flagged).
pub fn collect(
    rx: &mpsc::Receiver<Msg>,
    first: DebounceEventResult,
    debounce: Duration,
    stop: &AtomicBool,
) -> (Batch, Instant) {
    let mut batch = Batch::default();
    batch.add(first);
    let mut arrived = Instant::now();
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
        let wait = (debounce - quiet + tick(debounce) + Duration::from_millis(2))
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
    (batch, arrived)
}

// The raw-event clock is a static because notify constructs the `Tap` itself (`Watcher::new`
// takes only a handler and a config), so there is no way to hand it a shared one.

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
/// change a page, and stamps the raw-event clock so `collect` can tell whether events are
/// still pending in the debouncer.
pub struct Tap(RecommendedWatcher);

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits up to 10 s for a debounced event naming `path`.
    fn seen(rx: &mpsc::Receiver<Msg>, path: &Path) -> bool {
        let end = Instant::now() + Duration::from_secs(10);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(Msg::Events(Ok(events))) => {
                    if events
                        .iter()
                        .any(|e| e.event.paths.iter().any(|p| p == path))
                    {
                        return true;
                    }
                }
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    #[test]
    fn after_a_rescan_every_folder_made_meanwhile_is_watched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical root");
        let (tx, rx) = mpsc::channel();
        let debounce = Duration::from_millis(20);
        let mut running = start(
            &root,
            &root,
            debounce,
            tx,
            Some(std::slice::from_ref(&root)),
        )
        .expect("watching");
        // Made as if while events were lost: no batch reported it.
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        let rescan = Batch {
            rescan: true,
            ..Batch::default()
        };
        running.cover(&rescan, &root);
        let page = root.join("a/b/page.md");
        std::fs::write(&page, "text").expect("write");
        assert!(
            seen(&rx, &page),
            "a page written in a folder watched after the rescan"
        );
        running.stop_nonblocking();
    }
}
