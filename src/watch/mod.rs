//! `rescore watch`: a background watcher on the research repo, in the manner of watchexec's
//! split of event source, filter and handler:
//!
//! - `intake`: notify events, debounced and merged into one batch per burst;
//! - `filter`: which paths of a batch are settings, the lock, or pages (new paths through the
//!   loader's own walk);
//! - `engine`: pages, graph and verdicts, updated incrementally from the files' new bytes; it
//!   returns flags, theses to write and diagnostics, and prints nothing;
//! - `output`: the lines and JSON events printed.
//!
//! This module runs the loop: it reads the files a batch names, hands them to the engine,
//! prints what comes back and brings the theses' warning blocks in line.
//!
//! No feedback loop: the engine keeps the content hash of every tracked file, and a file that
//! still hashes the same (such as the watcher's own block writes, or a `touch`) is dropped.
//! `rescore.toml`, rule files, `.gitignore` changes and event-queue overflows reload
//! everything; a changed `rescore.lock` re-evaluates every thesis.

pub mod engine;
mod filter;
#[cfg(target_os = "linux")]
mod guard;
mod intake;
mod output;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::diag::Diagnostic;
use crate::failure::Failure;
use crate::format::TextOrJson;
use crate::lock::{self, Lock};
use crate::writeback;

use engine::{Engine, FileNow, Report};
use intake::Msg;
use output::Out;

/// What the command line asks of the watcher.
pub struct Options {
    pub format: Option<TextOrJson>,
    pub quiet: bool,
    /// Report, and write nothing.
    pub dry_run: bool,
    /// Quiet period before a burst of file events is evaluated as one.
    pub debounce_ms: u64,
    /// Read and write the parse cache (as `check` does), so a start after a check or another
    /// start parses only the pages changed since.
    pub cache: bool,
}

/// `rescore watch`: runs until Ctrl-C / SIGTERM (exit 0) or until the root disappears (exit 2).
pub fn run(opts: &Options, root: &Path) -> Result<i32, Failure> {
    let out = Out {
        json: opts.format == Some(TextOrJson::Json),
        format: opts.format,
        quiet: opts.quiet,
        root: root.to_path_buf(),
    };
    let started = Instant::now();
    let abs_root = root.canonicalize().map_err(|e| {
        Failure::Diagnostics(vec![Diagnostic::no_root(
            root,
            format!("cannot open the research repo: {e}"),
        )])
    })?;
    if !abs_root.is_dir() {
        return Err(Failure::Diagnostics(vec![Diagnostic::no_root(
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

    let debounce = Duration::from_millis(opts.debounce_ms.max(1));
    let (mut watcher, mut engine, diags) =
        watch_and_load(root, &abs_root, opts.cache, debounce, tx, started)?;
    out.diags(&diags);
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "watch: loaded");
    out.ready(engine.repo().pages.len(), started.elapsed());
    let r = engine.initial();
    handle(
        &mut engine,
        r,
        Instant::now(),
        &abs_root,
        opts.dry_run,
        &out,
        &mut Temps::default(),
    );
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "watch: started (loaded and evaluated)"
    );
    // Temp files an interrupted write left are swept once the start is reported: listing the
    // page folders again took about 30 ms at 100k pages, and a leftover harms nothing meanwhile
    // (the sweep takes the repo lock, so no write is half done when it runs).
    if !opts.dry_run {
        sweep_temps(&abs_root, &engine);
    }
    // What the load freed goes back first, so the name index is built on top of what the
    // engine holds, not of that as well (the watcher's peak at 100k pages was 3–8 MB lower in
    // three pairs of runs).
    release_freed();
    engine.index_names();
    // The hints (about 16 MB at 100k pages) come after the name index, whose building is the
    // watcher's peak, and do not raise it.
    engine.warm_hints();

    // Temp files of writes seen since the last sweep, and whether events were lost (so any
    // folder may hold one).
    let mut temps = Temps::default();
    let code = loop {
        if stop.load(Ordering::SeqCst) {
            break 0;
        }
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(Msg::Stop) => break 0,
            Ok(Msg::Events(r)) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if !abs_root.is_dir() {
                    break root_gone(root, &out);
                }
                // Idle: the pages the last load parsed go into the parse cache (events that
                // come meanwhile wait in the channel).
                engine.store_parsed();
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break 0,
        };
        let (batch, arrived) = intake::collect(&rx, first, debounce, &stop);
        tracing::debug!(
            paths = batch.paths.len(),
            rescan = batch.rescan,
            errors = batch.errors.len(),
            "debounced batch"
        );
        if !abs_root.is_dir() {
            break root_gone(root, &out);
        }
        watcher.cover(&batch, &abs_root);
        for e in &batch.errors {
            tracing::warn!("watch: notify error: {e}");
        }
        let plan = filter::classify(&batch, &abs_root, &engine);
        out.diags(&plan.diags);
        temps.seen.extend(plan.temps);
        temps.everywhere |= plan.reload;
        let lock = if plan.reload || plan.lock_changed {
            match Lock::read(root) {
                Ok(l) => Some(l.unwrap_or_else(Lock::new)),
                Err(d) => {
                    out.diags(&[d]);
                    None
                }
            }
        } else {
            None
        };
        let r = if plan.reload {
            let r = engine.reload(lock, batch.paths.len());
            if engine.reload_pending() && !abs_root.is_dir() {
                break root_gone(root, &out);
            }
            r
        } else {
            let files = plan
                .pages
                .into_iter()
                .map(|rel| {
                    let now = read_now(&abs_root.join(&rel));
                    (rel, now)
                })
                .collect();
            engine.apply(files, lock)
        };
        handle(
            &mut engine,
            r,
            arrived,
            &abs_root,
            opts.dry_run,
            &out,
            &mut temps,
        );
    };
    watcher.stop_nonblocking();
    Ok(code)
}

/// Watches the repo and loads it, so that an edit made while a large repo loads is not lost,
/// nor a page created in a folder the walk has listed and the watch did not cover yet.
///
/// On Linux the load guard covers the load and notify's watch starts after it (see `guard`):
/// what the guard saw goes to `tx` as the first batch. Without the guard, notify's watch starts
/// first.
fn watch_and_load(
    root: &Path,
    abs_root: &Path,
    cache: bool,
    debounce: Duration,
    tx: mpsc::Sender<Msg>,
    started: Instant,
) -> Result<(intake::Running, Engine, Vec<Diagnostic>), Failure> {
    #[cfg(target_os = "linux")]
    match guard::Guard::spawn(abs_root) {
        Ok(pending) => {
            // The guard watches the folders beside the walk, each before the walk lists it,
            // and is done before any page is read. notify's watch is set up beside the graph
            // build, once the pages are read, on the folders the guard watches.
            let (go, wait) = mpsc::channel::<()>();
            let (folders_tx, notify_on) = mpsc::channel::<Vec<PathBuf>>();
            let (root_owned, abs_owned, notify_tx) =
                (root.to_path_buf(), abs_root.to_path_buf(), tx.clone());
            let setup = std::thread::spawn(move || {
                // Sent once the pages are read; dropped unsent when the load fails before.
                let _ = wait.recv();
                let folders = notify_on.recv().ok()?;
                let setting_up = Instant::now();
                let watching =
                    intake::start(&root_owned, &abs_owned, debounce, notify_tx, Some(&folders));
                tracing::debug!(
                    ms = setting_up.elapsed().as_millis() as u64,
                    "watch: notify's watch set up"
                );
                Some(watching)
            });
            let mut guarded = None;
            let guarded_at = &mut guarded;
            let guarding = engine::Guarding {
                before_listing: pending.before_listing(root, abs_root),
                before_reading: pending.before_reading(root, abs_root),
                // Moves the folders' sender in, so notify's setup stops waiting once it is
                // called (or dropped uncalled).
                walked: Box::new(move || {
                    let joined = pending.join();
                    match &joined {
                        Ok(guard) => {
                            tracing::debug!(
                                folders = guard.folders(),
                                ms = started.elapsed().as_millis() as u64,
                                "watch: load guarded"
                            );
                            let _ = folders_tx.send(guard.folder_paths());
                        }
                        Err(e) => tracing::debug!(
                            "watch: the load guard stopped ({e}): everything is read again \
                             once notify's watch is up"
                        ),
                    }
                    *guarded_at = Some(joined);
                }),
            };
            let opened = Engine::open_guarded(root, cache, Some(guarding), move || {
                let _ = go.send(());
            });
            let watching = setup
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let (engine, diags) = opened.map_err(Failure::Diagnostics)?;
            let (watcher, seen) = match (watching, guarded) {
                (Some(Ok(watcher)), Some(Ok(guard))) => (watcher, guard.finish()),
                // The guard stopped part way (out of watches, perhaps), or notify's watch
                // could not start while the guard held its own: notify's watch on its own,
                // and everything read again, as what changed in between is not known.
                (watching, guarded) => {
                    drop((watching, guarded));
                    let watcher = intake::start(root, abs_root, debounce, tx.clone(), None)
                        .map_err(Failure::Usage)?;
                    let again =
                        notify_debouncer_full::DebouncedEvent::new(guard::rescan(), Instant::now());
                    (watcher, vec![again])
                }
            };
            tracing::debug!(
                events = seen.len(),
                ms = started.elapsed().as_millis() as u64,
                "watch: watching; events while loading"
            );
            if !seen.is_empty() {
                let _ = tx.send(Msg::Events(Ok(seen)));
            }
            return Ok((watcher, engine, diags));
        }
        Err(e) => tracing::debug!("watch: no load guard ({e}): notify's watch covers the load"),
    }
    let watcher = intake::start(root, abs_root, debounce, tx, None).map_err(Failure::Usage)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "watch: watching");
    let (engine, diags) = Engine::open(root, cache).map_err(Failure::Diagnostics)?;
    Ok((watcher, engine, diags))
}

/// Returns what the load freed to the allocator and the system. mimalloc keeps a block freed
/// by another thread on its owner's list until that thread allocates again, and rayon's
/// workers, which allocated most of the parse detail the main thread dropped, go idle once the
/// watcher has started: collecting on each of them lowers the watcher's resident memory by
/// about 30 MB at 100k pages.
fn release_freed() {
    let started = Instant::now();
    // SAFETY: `mi_collect` only walks and trims the calling thread's own heap.
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    rayon::broadcast(|_| collect());
    collect();
    tracing::debug!(
        us = started.elapsed().as_micros() as u64,
        "watch: freed memory collected"
    );
}

/// A page file as it is now: gone when it is not (or no longer) a regular file.
fn read_now(abs: &Path) -> FileNow {
    match std::fs::symlink_metadata(abs) {
        Ok(m) if m.is_file() => {}
        _ => return FileNow::Gone,
    }
    match std::fs::read(abs) {
        Ok(bytes) => FileNow::Bytes(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileNow::Gone,
        Err(e) => FileNow::Unreadable(e),
    }
}

/// Write temp files to sweep at the next write.
#[derive(Default)]
struct Temps {
    seen: BTreeSet<PathBuf>,
    /// Events were lost: every folder of the pages written is swept.
    everywhere: bool,
}

/// Prints what the engine found, writes the warning blocks it asks for, then the batch event.
fn handle(
    engine: &mut Engine,
    r: Report,
    arrived: Instant,
    abs_root: &Path,
    dry_run: bool,
    out: &Out,
    temps: &mut Temps,
) {
    tracing::debug!(
        us = arrived.elapsed().as_micros() as u64,
        flags = r.flags.len(),
        "watch: engine done"
    );
    out.report(&r, arrived);
    write_blocks(engine, &r, abs_root, dry_run, out, temps);
    tracing::debug!(
        us = arrived.elapsed().as_micros() as u64,
        "watch: blocks written"
    );
    if let Some(b) = &r.batch {
        out.batch(b, arrived);
    }
}

/// Brings the warning blocks of the evaluated theses in line, under the repo lock and without
/// losing a save made meanwhile (see `writeback::write_pages`). Only the blocks that may have
/// changed are read (a dry run, which leaves them out of date, reads every evaluated one).
fn write_blocks(
    engine: &mut Engine,
    r: &Report,
    abs_root: &Path,
    dry_run: bool,
    out: &Out,
    temps: &mut Temps,
) {
    let todo = writeback::out_of_date(abs_root, if dry_run { &r.evaluated } else { &r.blocks });
    if todo.is_empty() {
        return;
    }
    if dry_run {
        if !out.json && !out.quiet {
            for v in todo {
                out.line(&format!("would write {}", v.path));
            }
        }
        return;
    }
    let held = match writeback::repo_lock(abs_root) {
        Ok(h) => h,
        Err(d) => {
            out.diags(&[d]);
            return;
        }
    };
    if std::mem::take(&mut temps.everywhere) {
        let dirs = writeback::temp_dirs(abs_root, todo.iter().map(|v| Path::new(&v.path)));
        lock::sweep_temps(&held, dirs.iter().map(PathBuf::as_path));
    }
    sweep_seen(&held, &std::mem::take(&mut temps.seen));
    let outcomes = writeback::write_theses(&held, abs_root, engine.repo(), &todo);
    drop(held);
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for (path, outcome) in outcomes {
        match outcome {
            writeback::Outcome::Written(text) => {
                tracing::debug!(path = %path.display(), "watch: wrote the warning block");
                written.push((path, text));
            }
            writeback::Outcome::Unchanged => {}
            // Its own save is on its way as an event; that batch writes the block.
            writeback::Outcome::Skipped(why) => {
                tracing::debug!(path = %path.display(), "watch: left the page: {why}")
            }
            writeback::Outcome::Failed(e) => {
                out.diags(&[Diagnostic::write_failed(&path, "warning block", &e)]);
                failed.push(path);
            }
        }
    }
    engine.wrote(&written);
    engine.write_failed(failed);
}

/// Removes the write temp files seen come and go that are still there: under the repo lock,
/// no rescore is writing one, so each is left by an interrupted write.
fn sweep_seen(_held: &lock::RepoLock, paths: &BTreeSet<PathBuf>) {
    for p in paths {
        if !std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) {
            continue;
        }
        match std::fs::remove_file(p) {
            Ok(()) => tracing::info!("removed {}, left by an interrupted write", p.display()),
            Err(e) => tracing::warn!("cannot remove {}: {e}", p.display()),
        }
    }
}

/// Removes the temp files of interrupted writes next to the lock and the pages.
fn sweep_temps(abs_root: &Path, engine: &Engine) {
    match lock::RepoLock::acquire(abs_root) {
        Ok(held) => {
            let pages = engine.repo().pages.iter().map(|p| &*p.path);
            let dirs = writeback::temp_dirs(abs_root, pages);
            lock::sweep_temps(&held, dirs.iter().map(PathBuf::as_path));
        }
        Err(e) => tracing::warn!("cannot lock the research repo to sweep temp files: {e}"),
    }
}

fn root_gone(root: &Path, out: &Out) -> i32 {
    let d = Diagnostic::no_root(
        root,
        format!(
            "the research repo root {} disappeared; stopping",
            root.display()
        ),
    );
    out.diags(&[d]);
    2
}
