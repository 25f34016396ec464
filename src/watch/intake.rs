//! Event intake and batching: notify's platform watcher, with a tap in front of the debouncer
//! that drops events which cannot change a page, and the loop that merges debounced events into
//! one batch per burst (a git checkout is one batch, not a hundred).

use std::collections::BTreeSet;
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
pub type Running = Debouncer<Tap, RecommendedCache>;

/// Starts watching `abs_root` recursively; debounced events arrive on `tx`. An error is a
/// sentence that names `root` as the user gave it.
pub fn start(
    root: &Path,
    abs_root: &Path,
    debounce: Duration,
    tx: mpsc::Sender<Msg>,
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
    debouncer
        .watch(abs_root, RecursiveMode::Recursive)
        .map_err(|e| {
            format!(
                "cannot watch {}: {e} (on Linux, raise fs.inotify.max_user_watches)",
                root.display()
            )
        })?;
    Ok(debouncer)
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
