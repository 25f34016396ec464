//! `rescore watch` end to end: the real binary on a temp copy of the example repo, its output
//! read through pipes. Every wait is for an expected line with a generous deadline, never a
//! bare sleep.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const DEADLINE: Duration = Duration::from_secs(30);
const CONCEPT: &str = "concepts/generative-world-models.md";
const THESIS: &str = "theses/physics-wall.md";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rescore")
}

/// A temp copy of examples/world-models after `rescore init`.
fn repo() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_example(dir.path());
    let out = Command::new(bin())
        .args(["--root"])
        .arg(dir.path())
        .args(["init", "--force", "-q"])
        .output()
        .expect("run init");
    assert!(out.status.success(), "init failed: {out:?}");
    dir
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stream {
    Out,
    Err,
}

struct Watch {
    child: Child,
    rx: Receiver<(Stream, String)>,
    seen: Vec<(Stream, String)>,
}

impl Watch {
    /// Starts `rescore [PRE] watch [ARGS] --root DIR` and waits for its ready line.
    fn start(root: &Path, pre: &[&str], args: &[&str]) -> Watch {
        Watch::start_env(root, pre, args, &[])
    }

    /// `start` with these environment variables set (and `RESCORE_NO_CACHE` unset unless set
    /// here).
    fn start_env(root: &Path, pre: &[&str], args: &[&str], env: &[(&str, &str)]) -> Watch {
        let mut w = Watch::spawn(root, pre, args, env);
        w.wait_for(Stream::Out, |l| {
            l.starts_with("watching ") || l.contains("\"event\":\"ready\"")
        });
        w
    }

    /// Starts the watcher as `start_env` does, without waiting for it to be ready.
    fn spawn(root: &Path, pre: &[&str], args: &[&str], env: &[(&str, &str)]) -> Watch {
        let mut child = Command::new(bin())
            .env_remove("RESCORE_NO_CACHE")
            .envs(env.iter().copied())
            .args(pre)
            .arg("watch")
            .args(args)
            .arg("--root")
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rescore watch");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((Stream::Out, line));
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send((Stream::Err, line));
            }
        });
        Watch {
            child,
            rx,
            seen: Vec::new(),
        }
    }

    fn json(root: &Path) -> Watch {
        Watch::start(root, &["--format", "json"], &[])
    }

    /// The next line of `stream` (lines of the other stream are kept in `seen`).
    fn next(&mut self, stream: Stream) -> String {
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((s, l)) => {
                    self.seen.push((s, l.clone()));
                    if s == stream {
                        return l;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no {stream:?} line within {DEADLINE:?}; seen: {:#?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("watcher exited; seen: {:#?}", self.seen)
                }
            }
        }
    }

    /// Waits for a line of `stream` matching `pred`; returns it.
    fn wait_for(&mut self, stream: Stream, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let l = self.next(stream);
            if pred(&l) {
                return l;
            }
        }
    }

    /// The next JSON event on stdout.
    fn event(&mut self) -> Value {
        let l = self.next(Stream::Out);
        serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))
    }

    /// Waits for a JSON event matching `pred`, returning every event up to and including it.
    fn events_until(&mut self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let e = self.event();
            let done = pred(&e);
            out.push(e);
            if done {
                return out;
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(
                Instant::now() < end,
                "watcher did not exit; seen: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is(e: &Value, event: &str) -> bool {
    e["event"] == event
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).expect("read")
}

/// The concept page with VideoScience-Bench's ~64% moved to ~41% (major value shift).
fn material(root: &Path) -> String {
    let text = read(root, CONCEPT);
    assert!(text.contains("~64%"), "fixture changed");
    text.replacen("~64%", "~41%", 1)
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigterm(pid: u32) {
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -TERM failed");
}

#[test]
fn material_edit_by_plain_write_flags_and_writes_the_block() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::start(root, &[], &[]);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    let line = w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    assert!(
        line.contains("← generative-world-models#videoscience-bench: value ~64% → ~41%"),
        "{line}"
    );
    assert!(line.contains("rule value-shift, major"), "{line}");
    wait_until("the warning block is written", || {
        read(root, THESIS).contains("rescore:begin")
    });
    // Putting the value back clears the flag and removes the block.
    let back = read(root, CONCEPT).replacen("~41%", "~64%", 1);
    std::fs::write(root.join(CONCEPT), back).expect("write");
    w.wait_for(Stream::Out, |l| {
        l == "cleared  physics-wall theses/physics-wall.md:6"
    });
    wait_until("the warning block is removed", || {
        !read(root, THESIS).contains("rescore:begin")
    });
}

#[test]
fn material_edit_by_atomic_rename_flags() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let tmp = root.join("concepts/generative-world-models.md.tmp~");
    std::fs::write(&tmp, material(root)).expect("write temp");
    std::fs::rename(&tmp, root.join(CONCEPT)).expect("rename over");
    let events = w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
    let stale = events.last().expect("stale");
    assert_eq!(stale["path"], THESIS);
    assert_eq!(stale["line"], 6, "the thesis's title line: {stale}");
    assert_eq!(
        stale["next"], "re-score it, then `rescore accept physics-wall`",
        "{stale}"
    );
    assert_eq!(
        stale["causes"][0]["node"],
        "generative-world-models#videoscience-bench"
    );
    assert!(stale["elapsed_ms"].is_u64());
}

/// The watcher reads the lock's entries back from its shard files when it needs them: a shard
/// changed on its own, here lines appended as a union merge leaves them, is read again, so the
/// flag that follows explains itself from the new file instead of failing on a changed one.
#[test]
fn a_shard_changed_alone_is_read_again() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let shards = root.join("rescore.lock.d");
    for entry in std::fs::read_dir(&shards).expect("read the shards") {
        let path = entry.expect("a shard").path();
        let text = std::fs::read_to_string(&path).expect("read a shard");
        if let Some(first) = text.lines().next() {
            std::fs::write(&path, format!("{text}{first}\n")).expect("append to a shard");
        }
    }
    let events = w.events_until(|e| is(e, "batch"));
    assert!(
        events.iter().all(|e| !is(e, "stale")),
        "the same entries flag nothing: {events:#?}"
    );
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    let events = w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
    let text = format!("{events:#?}");
    assert!(!text.contains("lock-unreadable"), "{text}");
    let cause = &events.last().expect("stale")["causes"][0];
    assert!(
        cause["before"].as_str().is_some_and(|b| b.contains("64%")),
        "{cause}"
    );
}

#[test]
fn cosmetic_edit_flags_nothing() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    // Trailing spaces on every line: not material.
    let text = read(root, CONCEPT);
    let cosmetic: String = text.lines().map(|l| format!("{l}   \n")).collect();
    std::fs::write(root.join(CONCEPT), &cosmetic).expect("write");
    let events = w.events_until(|e| is(e, "batch"));
    assert_eq!(
        events.len(),
        1,
        "the cosmetic edit printed more: {events:#?}"
    );
    assert_eq!(events[0]["files"], 1);
    assert_eq!(events[0]["graph"], "patched", "{events:#?}");
    // The next thing printed is about the material edit that follows.
    std::fs::write(root.join(CONCEPT), cosmetic.replacen("~64%", "~41%", 1)).expect("write");
    let events = w.events_until(|e| is(e, "batch"));
    let flags = &events[..events.len() - 1];
    // Every flag is about the edited row: stale with that row as a cause, or pending on a
    // thesis this batch flagged stale; not merely an event that names it.
    let about_the_edit = |e: &Value| {
        is(e, "stale")
            && e["causes"].as_array().is_some_and(|causes| {
                causes.iter().any(|c| {
                    c["node"] == "generative-world-models#videoscience-bench"
                        && c["before"].as_str().is_some_and(|b| b.contains("64%"))
                        && c["after"].as_str().is_some_and(|a| a.contains("41%"))
                })
            })
    };
    let stale: Vec<&str> = flags
        .iter()
        .filter(|e| about_the_edit(e))
        .filter_map(|e| e["thesis"].as_str())
        .collect();
    assert!(
        stale.contains(&"physics-wall"),
        "the material edit did not flag physics-wall: {events:#?}"
    );
    for e in flags {
        let waits_on_it = is(e, "pending")
            && e["waiting_on"].as_array().is_some_and(|w| {
                w.iter()
                    .any(|t| t.as_str().is_some_and(|t| stale.contains(&t)))
            });
        assert!(
            about_the_edit(e) || waits_on_it,
            "a flag not about the material edit: {e}"
        );
    }
}

#[test]
fn broken_page_prints_a_diagnostic_and_the_watcher_keeps_going() {
    let dir = repo();
    let root = dir.path();
    let original = read(root, CONCEPT);
    let mut w = Watch::json(root);
    std::fs::write(
        root.join(CONCEPT),
        "+++\nkind = \"concept\"\n# Generative World Models\n\nhalf-typed",
    )
    .expect("write");
    let events = w.events_until(|e| is(e, "diagnostic"));
    let d = events.last().expect("diagnostic");
    assert_eq!(d["path"], CONCEPT, "{d}");
    assert_eq!(d["diagnostic"]["level"], "error", "{d}");
    // Fixed, with a material edit: still alive, and flags against the last good state.
    std::fs::write(root.join(CONCEPT), original.replacen("~64%", "~41%", 1)).expect("write");
    w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
}

#[test]
fn a_bulk_change_is_one_evaluation() {
    let dir = repo();
    let root = dir.path();
    // A longer quiet period: a loaded test machine may stall the writer between two files.
    let quiet = Duration::from_millis(400);
    let mut w = Watch::start(root, &["--format", "json"], &["--debounce", "400"]);
    let mut writes: Vec<(PathBuf, String)> = (0..200)
        .map(|i| {
            let path = root.join(format!("notes/bulk/n{i:03}.md"));
            (path, format!("# Note {i}\n\nSee [[jepa]].\n"))
        })
        .collect();
    writes.push((root.join(CONCEPT), material(root)));
    // The longest time between the start of one write and the end of the next: when it
    // reaches the quiet period, the watcher is right to see more than one change.
    let mut stalled = Duration::ZERO;
    let mut before_last = Some(Instant::now());
    std::fs::create_dir_all(root.join("notes/bulk")).expect("mkdir");
    for (path, text) in &writes {
        let before = Instant::now();
        std::fs::write(path, text).expect("write");
        if let Some(b) = before_last {
            stalled = stalled.max(b.elapsed());
        }
        before_last = Some(before);
    }
    let mut events = w.events_until(|e| is(e, "batch"));
    let flagged = |events: &[Value]| {
        events
            .iter()
            .any(|e| is(e, "stale") && e["thesis"] == "physics-wall")
    };
    if stalled < quiet {
        let batch = events.last().expect("batch");
        assert!(
            batch["files"].as_u64().unwrap_or(0) >= 201,
            "the bulk change was split: {events:#?}"
        );
    } else {
        eprintln!("the writer stalled {stalled:?}: the change may come in several batches");
        while !flagged(&events) {
            events.extend(w.events_until(|e| is(e, "batch")));
        }
    }
    assert!(flagged(&events), "{events:#?}");
    // A marker edit afterwards: the next batch is the marker's own (no second bulk batch).
    let jepa = read(root, "concepts/jepa.md");
    std::fs::write(root.join("concepts/jepa.md"), format!("{jepa}\n")).expect("write");
    let events = w.events_until(|e| is(e, "batch"));
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["files"], 1, "{events:#?}");
}

#[test]
fn deleting_a_cited_page_raises_a_diagnostic() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    std::fs::remove_file(root.join("sources/videoscience-bench.md")).expect("rm");
    let events = w.events_until(|e| is(e, "diagnostic"));
    let d = &events.last().expect("diagnostic")["diagnostic"];
    assert_eq!(d["code"], "link-to-no-page", "{d}");
    assert_eq!(d["path"], CONCEPT, "{d}");
    // Restored: the watcher carries on.
    let mut w2 = w;
    std::fs::write(
        root.join("sources/videoscience-bench.md"),
        "+++\nkind = \"source\"\n+++\n# VideoScience-Bench\n",
    )
    .expect("restore");
    w2.events_until(|e| is(e, "batch") && e["evaluated"] == true);
}

#[test]
fn a_new_thesis_is_reported_unscored() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    std::fs::write(
        root.join("theses/new-bet.md"),
        "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# A new bet\n\n## Evidence\n\n- [[jepa]]\n",
    )
    .expect("write");
    let events = w.events_until(|e| is(e, "batch"));
    assert!(
        events
            .iter()
            .any(|e| is(e, "unscored") && e["thesis"] == "new-bet"),
        "{events:#?}"
    );
    // Added to the graph in place, not rebuilt.
    assert_eq!(
        events.last().expect("batch")["graph"],
        "added",
        "{events:#?}"
    );
}

#[test]
fn new_pages_that_are_ignored_or_excluded_are_no_pages() {
    let dir = repo();
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), "theses/drafts/\n").expect("write .gitignore");
    let config = read(root, "rescore.toml");
    std::fs::write(
        root.join("rescore.toml"),
        format!("exclude = [\"theses/old-*.md\"]\n{config}"),
    )
    .expect("write config");
    std::fs::create_dir(root.join("theses/drafts")).expect("mkdir");
    let mut w = Watch::json(root);
    // Pages that would be errors if read: a link to no page.
    let broken =
        "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# Draft\n\n## Evidence\n\n- [[no-such-page]]\n";
    std::fs::write(root.join("theses/drafts/draft.md"), broken).expect("write");
    std::fs::write(root.join("theses/old-bet.md"), broken).expect("write");
    std::fs::write(
        root.join("theses/new-bet.md"),
        "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# A new bet\n\n## Evidence\n\n- [[jepa]]\n",
    )
    .expect("write");
    let events = w.events_until(|e| is(e, "unscored") && e["thesis"] == "new-bet");
    let events = [events, w.events_until(|e| is(e, "batch"))].concat();
    assert!(!events.iter().any(|e| is(e, "diagnostic")), "{events:#?}");
    assert_eq!(events.last().expect("batch")["files"], 1, "{events:#?}");
}

#[test]
fn config_change_reloads_everything() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::start(root, &[], &[]);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    // Only critical changes flag now: the major value shift no longer does.
    std::fs::write(
        root.join("rescore.toml"),
        "[rules]\nflag_at = \"critical\"\n",
    )
    .expect("write config");
    w.wait_for(Stream::Out, |l| {
        l == "cleared  physics-wall theses/physics-wall.md:6"
    });
}

#[test]
fn a_bad_exclude_glob_is_a_diagnostic_and_the_watcher_keeps_going() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let config = read(root, "rescore.toml");
    std::fs::write(
        root.join("rescore.toml"),
        format!("exclude = [\"[oops\"]\n{config}"),
    )
    .expect("write config");
    let events = w.events_until(|e| is(e, "diagnostic"));
    let d = events.last().expect("diagnostic");
    assert_eq!(d["diagnostic"]["code"], "bad-exclude", "{d}");
    // Fixed, the edits count again.
    std::fs::write(root.join("rescore.toml"), config).expect("restore config");
    w.events_until(|e| is(e, "batch") && e["graph"] == "reloaded");
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let dir = repo();
    let root = dir.path();
    let before = read(root, THESIS);
    let mut w = Watch::start(root, &["--dry-run"], &[]);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    w.wait_for(Stream::Out, |l| l == "would write theses/physics-wall.md");
    assert_eq!(read(root, THESIS), before);
}

#[test]
fn temp_files_of_an_interrupted_write_are_swept_at_start() {
    let dir = repo();
    let root = dir.path();
    std::fs::write(root.join(".rescore-Left0ver.tmp"), "half a lock").expect("write");
    std::fs::write(root.join("theses/.rescore-Left1ver.tmp"), "half a page").expect("write");
    let _w = Watch::start(root, &[], &[]);
    // Swept once the start is reported, with no event to set it off.
    wait_until("the leftover temp files are swept", || {
        !root.join(".rescore-Left0ver.tmp").exists()
            && !root.join("theses/.rescore-Left1ver.tmp").exists()
    });
}

#[test]
fn a_temp_file_left_while_watching_is_swept_at_the_next_write() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let left = root.join("theses/.rescore-Left2ver.tmp");
    std::fs::write(&left, "half a page").expect("write");
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
    wait_until("the warning block is written", || {
        read(root, THESIS).contains("rescore:begin")
    });
    wait_until("the temp file is swept", || !left.exists());
}

#[test]
fn sigterm_stops_cleanly_with_exit_0() {
    let dir = repo();
    let mut w = Watch::start(dir.path(), &[], &["--debounce", "50"]);
    sigterm(w.pid());
    assert_eq!(w.wait_exit(), Some(0));
}

#[test]
fn root_disappearing_exits_2() {
    let dir = repo();
    let root: PathBuf = dir.path().to_path_buf();
    let mut w = Watch::json(&root);
    std::fs::remove_dir_all(&root).expect("rm -r");
    assert_eq!(w.wait_exit(), Some(2));
    drop(dir);
}

#[test]
fn renaming_a_thesis_page_reports_it_under_its_new_id() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    std::fs::rename(
        root.join("theses/genie-platform.md"),
        root.join("theses/genie-platform-2.md"),
    )
    .expect("rename");
    let events = w.events_until(|e| is(e, "unscored"));
    let e = events.last().expect("unscored");
    assert_eq!(e["thesis"], "genie-platform-2", "{e}");
    assert_eq!(e["path"], "theses/genie-platform-2.md", "{e}");
}

#[test]
fn accepting_while_watching_clears_the_flag() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::start(root, &[], &[]);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    wait_until("the warning block is written", || {
        read(root, THESIS).contains("rescore:begin")
    });
    let out = Command::new(bin())
        .arg("--root")
        .arg(root)
        .args(["accept", "--all"])
        .output()
        .expect("run accept");
    assert!(out.status.success(), "accept failed: {out:?}");
    // rescore.lock changed: every thesis is looked at again.
    w.wait_for(Stream::Out, |l| {
        l == "cleared  physics-wall theses/physics-wall.md:6"
    });
}

#[test]
fn a_hand_deleted_warning_block_comes_back() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::start(root, &[], &[]);
    let before = read(root, THESIS);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    wait_until("the warning block is written", || {
        read(root, THESIS).contains("rescore:begin")
    });
    std::fs::write(root.join(THESIS), &before).expect("strip the block by hand");
    wait_until("the warning block is back", || {
        read(root, THESIS).contains("rescore:begin")
    });
}

#[test]
fn a_folder_moved_in_brings_its_pages() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    // Staged in a hidden folder (ignored), then moved in whole: no event per page.
    std::fs::create_dir_all(root.join(".staging")).expect("mkdir");
    std::fs::write(
        root.join(".staging/moved-bet.md"),
        "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# A moved bet\n\n## Evidence\n\n- [[jepa]]\n",
    )
    .expect("write");
    std::fs::rename(root.join(".staging"), root.join("more-theses")).expect("move in");
    let events = w.events_until(|e| is(e, "unscored"));
    let e = events.last().expect("unscored");
    assert_eq!(e["thesis"], "moved-bet", "{e}");
    assert_eq!(e["path"], "more-theses/moved-bet.md", "{e}");
}

#[test]
fn a_page_written_later_in_a_folder_made_while_watching_is_seen() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let bet = |title: &str| {
        format!(
            "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# {title}\n\n## Evidence\n\n- [[jepa]]\n"
        )
    };
    // Made in a hidden folder and moved in, so the inner folder exists before anything can
    // watch it.
    std::fs::create_dir_all(root.join(".staging/deep")).expect("mkdir");
    std::fs::write(root.join(".staging/first-bet.md"), bet("A first bet")).expect("write");
    std::fs::rename(root.join(".staging"), root.join("more-theses")).expect("move in");
    let events = w.events_until(|e| is(e, "unscored"));
    assert_eq!(events.last().expect("unscored")["thesis"], "first-bet");
    // Only a watch on the new inner folder sees this page: no folder is made or moved now.
    std::fs::write(root.join("more-theses/deep/late-bet.md"), bet("A late bet")).expect("write");
    let events = w.events_until(|e| is(e, "unscored"));
    let e = events.last().expect("unscored");
    assert_eq!(e["thesis"], "late-bet", "{e}");
    assert_eq!(e["path"], "more-theses/deep/late-bet.md", "{e}");
}

#[cfg(unix)]
#[test]
fn a_folder_moved_in_reports_what_its_walk_cannot_follow() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    std::fs::create_dir_all(root.join(".staging")).expect("mkdir");
    std::fs::write(
        root.join(".staging/moved-bet.md"),
        "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# A moved bet\n\n## Evidence\n\n- [[jepa]]\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(root.join("no-such-page.md"), root.join(".staging/gone.md"))
        .expect("symlink");
    std::fs::rename(root.join(".staging"), root.join("more-theses")).expect("move in");
    let events = w.events_until(|e| is(e, "diagnostic"));
    let d = events.last().expect("diagnostic");
    assert_eq!(d["diagnostic"]["code"], "broken-symlink", "{d}");
    assert_eq!(d["path"], "more-theses/gone.md", "{d}");
}

#[test]
fn starting_on_a_broken_repo_waits_for_the_fix() {
    let dir = repo();
    let root = dir.path();
    let good = material(root);
    std::fs::write(
        root.join(CONCEPT),
        "+++\nkind = \"concept\"\n# unterminated\n",
    )
    .expect("break");
    let mut w = Watch::json(root);
    assert!(
        w.seen
            .iter()
            .any(|(s, l)| *s == Stream::Out && l.contains("\"event\":\"diagnostic\"")),
        "no diagnostic before ready: {:#?}",
        w.seen
    );
    std::fs::write(root.join(CONCEPT), good).expect("fix");
    w.events_until(|e| is(e, "stale") && e["thesis"] == "physics-wall");
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn git_checkout_is_one_evaluation() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git not installed: skipped");
        return;
    }
    let dir = repo();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "other"]);
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    for i in 0..60 {
        std::fs::write(
            root.join(format!("notes/n{i:02}.md")),
            format!("# Note {i}\n"),
        )
        .expect("note");
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "other"]);
    git(root, &["checkout", "-q", "main"]);
    // A debounce long enough that a CI machine busy with the other tests does not stall the
    // checkout for a whole quiet period (at 400 ms it once came as 53 files, then the rest).
    let mut w = Watch::start(root, &["--format", "json"], &["--debounce", "1000"]);
    git(root, &["checkout", "-q", "other"]);
    let events = w.events_until(|e| is(e, "batch"));
    assert!(
        events.last().expect("batch")["files"].as_u64().unwrap_or(0) >= 61,
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .any(|e| is(e, "stale") && e["thesis"] == "physics-wall"),
        "{events:#?}"
    );
    // Back again: one batch, and the flag clears.
    git(root, &["checkout", "-q", "main"]);
    let events = w.events_until(|e| is(e, "batch"));
    assert!(
        events
            .iter()
            .any(|e| is(e, "cleared") && e["thesis"] == "physics-wall"),
        "{events:#?}"
    );
}

#[test]
fn deleting_a_cited_row_flags_the_thesis_stale() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::json(root);
    let text = read(root, CONCEPT);
    let row = "| Parameters | 11B | Genie 3 | [[Genie 3]] |\n";
    assert!(text.contains(row), "fixture changed");
    std::fs::write(root.join(CONCEPT), text.replacen(row, "", 1)).expect("write");
    let events = w.events_until(|e| is(e, "stale") && e["thesis"] == "realtime-sim-ready");
    let stale = events.last().expect("stale");
    assert_eq!(stale["causes"][0]["rule"], "claim-removed", "{stale}");
    assert_eq!(
        stale["causes"][0]["node"],
        "generative-world-models#parameters@genie-3"
    );
    assert!(
        !events.iter().any(|e| is(e, "diagnostic")),
        "a gone row is no input error: {events:#?}"
    );
}

#[test]
fn human_lines_name_the_place_and_the_next_step_and_say_when_errors_clear() {
    let dir = repo();
    let root = dir.path();
    let original = read(root, CONCEPT);
    let mut w = Watch::start(root, &[], &[]);
    std::fs::write(
        root.join(CONCEPT),
        "+++\nkind = \"concept\"\n# Generative World Models\n\nhalf-typed",
    )
    .expect("write");
    let held = w.wait_for(Stream::Err, |l| l.contains("keeping the last good graph"));
    assert_eq!(
        held,
        "watch: 1 page has errors (above); keeping the last good graph until they are fixed"
    );
    std::fs::write(root.join(CONCEPT), original.replacen("~64%", "~41%", 1)).expect("write");
    let line = w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    // The two streams are read apart: the line on stderr may have been read already.
    let fixed = "watch: the errors are fixed; evaluating again";
    if !w.seen.iter().any(|(s, l)| *s == Stream::Err && l == fixed) {
        w.wait_for(Stream::Err, |l| l == fixed);
    }
    assert!(
        line.starts_with("stale    physics-wall theses/physics-wall.md:6  ← "),
        "{line}"
    );
    assert!(
        line.ends_with("; next: re-score it, then `rescore accept physics-wall`"),
        "{line}"
    );
}

/// `rescore check` on the repo, which leaves the parse cache warm.
fn check(root: &Path) {
    let out = Command::new(bin())
        .env_remove("RESCORE_NO_CACHE")
        .arg("--root")
        .arg(root)
        .arg("check")
        .output()
        .expect("run check");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// The counts of the watcher's `-v` line on loading: pages read, and pages of them taken from
/// the parse cache.
fn loaded(w: &mut Watch) -> (usize, usize) {
    let is_it = |l: &str| l.contains("watch: read and parsed");
    let seen = w.seen.iter().find(|(s, l)| *s == Stream::Err && is_it(l));
    let line = match seen {
        Some((_, l)) => l.clone(),
        None => w.wait_for(Stream::Err, is_it),
    };
    let line = plain(&line);
    let count = |field: &str| -> usize {
        let (_, rest) = line
            .split_once(&format!("{field}="))
            .unwrap_or_else(|| panic!("no {field} in {line}"));
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or_else(|_| panic!("{line}"))
    };
    (count("pages"), count("reused"))
}

/// A log line without its colours.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some((before, after)) = rest.split_once('\u{1b}') {
        out.push_str(before);
        rest = after.split_once('m').map_or("", |(_, a)| a);
    }
    out.push_str(rest);
    out
}

#[test]
fn the_watcher_stores_the_pages_it_parsed_in_the_parse_cache() {
    let dir = repo();
    let root = dir.path();
    let _ = std::fs::remove_dir_all(root.join(".rescore"));
    let mut w = Watch::json(root);
    wait_until("the parse cache is written", || {
        root.join(".rescore/cache/pages").is_dir()
    });
    // Its own cache writes (a `.gitignore` among them) are no settings change.
    let text = read(root, CONCEPT) + "\nMore prose.\n";
    std::fs::write(root.join(CONCEPT), text).expect("write");
    let batch = w.events_until(|e| is(e, "batch")).pop().expect("batch");
    assert_eq!(
        (&batch["files"], &batch["graph"]),
        (&1.into(), &"patched".into())
    );
    drop(w);
    let mut w = Watch::start(root, &["-v", "--format", "json"], &[]);
    let (pages, reused) = loaded(&mut w);
    assert!(0 < reused && reused <= pages, "{pages} {reused}");
}

/// Once started, the watcher builds the names "did you mean" hints look among, so the first
/// link to a missing page does not wait for them (about 0.1 s at 100k pages).
#[test]
fn a_started_watcher_builds_the_names_hints_look_among() {
    let dir = repo();
    let root = dir.path();
    let mut w = Watch::start(root, &["-v"], &["--no-cache"]);
    // The line may have come before the ready line on stdout, while `start` waited for that.
    let built = |l: &str| plain(l).contains("watch: name hints built");
    if !w.seen.iter().any(|(s, l)| *s == Stream::Err && built(l)) {
        w.wait_for(Stream::Err, built);
    }
    let text = read(root, THESIS).replace("[[scaling-is-not-enough]]", "[[scaling-is-not-enuogh]]");
    std::fs::write(root.join(THESIS), text).expect("write");
    let line = w.wait_for(Stream::Err, |l| plain(l).contains("did you mean"));
    assert!(line.contains("`scaling-is-not-enough`"), "{line}");
}

/// `-v check --format json` on the repo, with the parse cache or without: (stdout, stderr).
fn check_json(root: &Path, cache: bool) -> (String, String) {
    let mut cmd = Command::new(bin());
    cmd.env_remove("RESCORE_NO_CACHE");
    if !cache {
        cmd.env("RESCORE_NO_CACHE", "1");
    }
    let out = cmd
        .arg("--root")
        .arg(root)
        .args(["-v", "check", "--format", "json"])
        .output()
        .expect("run check");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (text(out.stdout), text(out.stderr))
}

/// The watcher holds the claim texts and values of concept and source pages in its graph only:
/// the pages it stores in the parse cache must be whole all the same.
#[test]
fn the_pages_the_watcher_stores_in_the_parse_cache_are_whole() {
    let dir = repo();
    let root = dir.path();
    let _ = std::fs::remove_dir_all(root.join(".rescore"));
    // A stale thesis, so that the verdicts rest on the claims' material.
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    let mut w = Watch::start(root, &["-v", "--format", "json"], &[]);
    w.wait_for(Stream::Err, |l| {
        let l = plain(l);
        l.contains("watch: parse cache stored") && l.contains("done=true")
    });
    drop(w);
    let (fresh, _) = check_json(root, false);
    let (cached, log) = check_json(root, true);
    let log = plain(&log);
    assert!(
        log.contains("parse cache: ") && !log.contains("parse cache: 0 of"),
        "{log}"
    );
    assert!(fresh.contains("\"stale\""), "{fresh}");
    assert_eq!(cached, fresh);
}

#[test]
fn rescore_no_cache_and_dry_run_keep_the_watcher_off_the_parse_cache() {
    let dir = repo();
    let root = dir.path();
    check(root);
    for (pre, env) in [
        (&["-v"][..], &[("RESCORE_NO_CACHE", "1")][..]),
        (&["-v", "--dry-run"][..], &[][..]),
        (&["-v"][..], &[][..]),
    ] {
        let mut w = Watch::start_env(root, pre, &[], env);
        let (_, reused) = loaded(&mut w);
        assert_eq!(
            reused > 0,
            env.is_empty() && pre.len() == 1,
            "{pre:?} {env:?}"
        );
    }
}

#[test]
fn a_watcher_started_on_a_warm_parse_cache_sees_a_page_changed_since() {
    let dir = repo();
    let root = dir.path();
    check(root);
    // The same size and the same mtime: only the content hash tells the edit.
    let file = root.join(CONCEPT);
    let mtime = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::fs::write(&file, material(root)).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(mtime))
        .expect("set the mtime back");
    let mut w = Watch::start(root, &["-v", "--format", "json"], &[]);
    // Other pages came from the cache the check left, not the one edited.
    let (pages, reused) = loaded(&mut w);
    assert!(0 < reused && reused < pages, "{pages} {reused}");
    let stale = w.events_until(|e| is(e, "stale"));
    assert_eq!(stale.last().expect("stale")["thesis"], "physics-wall");
}

/// An edit made while a large repo loads is flagged. On Linux the load guard holds it until
/// notify's watch, which starts after the load, is in place: the watcher says how many events
/// the guard saw, and this edit is one of them.
#[cfg(target_os = "linux")]
#[test]
fn an_edit_made_while_the_repo_loads_is_flagged() {
    let dir = repo();
    let root = dir.path();
    // Enough pages that loading them outlasts the edit many times over.
    for i in 0..3000 {
        let page = format!(
            "+++\nkind = \"concept\"\n+++\n# Filler {i}\n\n- Filler claim {i} holds at {i}%.\n  Evidence: weak\n"
        );
        std::fs::write(root.join(format!("concepts/filler-{i}.md")), page).expect("write");
    }
    // Writing nothing (no blocks, no parse cache), so every batch after the start is the edit.
    let mut w = Watch::spawn(root, &["-v"], &["--dry-run", "--no-cache"], &[]);
    w.wait_for(Stream::Err, |l| plain(l).contains("watch: load guarded"));
    std::fs::write(root.join(CONCEPT), material(root)).expect("write");
    let seen = w.wait_for(Stream::Err, |l| {
        plain(l).contains("watch: watching; events while loading")
    });
    assert!(
        !plain(&seen).contains("events=0"),
        "the guard saw nothing: {seen}"
    );
    let line = w.wait_for(Stream::Out, |l| l.starts_with("stale    physics-wall"));
    assert!(
        line.contains("← generative-world-models#videoscience-bench: value ~64% → ~41%"),
        "{line}"
    );
    // Whether the load read the page before or after the edit, what the guard saw comes after
    // the start as a batch (notify, started after the edit, never saw it).
    w.wait_for(Stream::Err, |l| {
        plain(l).contains("debounced batch paths=1 ")
    });
}
