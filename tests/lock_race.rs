//! The lock under concurrency and crashes: concurrent accepts both land, a crash's stray temp
//! file is harmless, and a failed write leaves the old lock as it was.

#![allow(clippy::result_large_err)]

mod common;

use std::path::Path;
use std::process::Stdio;

use assert_cmd::cargo::CommandCargoExt;
use rescore::diag::Diagnostic;
use rescore::lock::{self, Lock};
use rescore::trees::hex;
use rescore_graph::quantity::Value;
use rescore_graph::MaterialState;

const GWM: &str = "concepts/generative-world-models.md";
const ROW: &str = "generative-world-models#parameters@genie-3";

/// The example after init, with the Parameters row moved from 11B to 20B: realtime-sim-ready
/// (the row), scaling-is-not-enough (the concept) and world-model-agents (the parent) go stale.
fn two_stale() -> common::TempRepo {
    let repo = common::example_init();
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 20B |");
    assert_eq!(
        repo.ids("stale"),
        [
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
    repo
}

fn lock_of(root: &Path) -> Lock {
    Lock::read(root)
        .unwrap_or_else(|d| panic!("lock does not parse: {d:?}"))
        .expect("a lock")
}

/// The value the thesis was accepted against for the Parameters row.
fn accepted_row_value(lock: &Lock, thesis: &str) -> Value {
    let base = lock
        .thesis
        .get(thesis)
        .unwrap_or_else(|| panic!("{thesis} not in lock"));
    // The row is a direct dependency or somewhere below one (a whole-concept citation).
    let mut todo: Vec<String> = base.against.values().map(hex).collect();
    let mut entry = None;
    while let Some(id) = todo.pop() {
        let Some(e) = lock.entry(&id).expect("entry parses") else {
            continue;
        };
        if e.key == ROW {
            entry = Some(e);
            break;
        }
        todo.extend(e.up);
    }
    match entry.map(|e| e.state) {
        Some(MaterialState::Benchmark { value, .. }) => value,
        other => panic!("{thesis}: no benchmark state for {ROW}: {other:?}"),
    }
}

fn value_11b() -> Value {
    rescore_graph::quantity::parse_value("11B")
}

fn value_20b() -> Value {
    rescore_graph::quantity::parse_value("20B")
}

#[test]
fn concurrent_accepts_both_land() {
    // Several rounds, to give the two processes several chances to interleave.
    for round in 0..10 {
        let repo = two_stale();
        // The stale theses' pages carry warning blocks, which each accept must clear.
        repo.ok(&[], 0);
        let before = lock_of(repo.root());
        assert_eq!(
            accepted_row_value(&before, "realtime-sim-ready"),
            value_11b()
        );
        let spawn = |thesis: &str| {
            std::process::Command::cargo_bin("rescore")
                .expect("binary")
                .arg("--root")
                .arg(repo.root())
                .args(["accept", thesis])
                .env("NO_COLOR", "1")
                .env_remove("RUST_LOG")
                .env_remove("GITHUB_STEP_SUMMARY")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let a = spawn("realtime-sim-ready");
        let b = spawn("scaling-is-not-enough");
        for (name, child) in [("a", a), ("b", b)] {
            let out = child.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "round {round}, accept {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = lock_of(repo.root());
        assert_eq!(
            accepted_row_value(&after, "realtime-sim-ready"),
            value_20b(),
            "round {round}: first accept lost"
        );
        assert_eq!(
            accepted_row_value(&after, "scaling-is-not-enough"),
            value_20b(),
            "round {round}: second accept lost"
        );
        // Nobody else's baseline moved.
        assert_eq!(
            accepted_row_value(&after, "world-model-agents"),
            value_11b()
        );
        assert_eq!(after.thesis.len(), 7);
        assert_eq!(repo.ids("stale"), ["world-model-agents"], "round {round}");
        // Every page's block agrees with `check`: a page written from an evaluation that did not
        // see the other accept would carry a stale block.
        let with_block: Vec<String> = std::fs::read_dir(repo.path("theses"))
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                std::fs::read_to_string(p).is_ok_and(|t| t.contains(rescore::writeback::BEGIN))
            })
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(with_block, ["world-model-agents"], "round {round}");
        assert!(common::temp_files(repo.root()).is_empty());
    }
}

#[test]
fn a_crash_before_rename_leaves_the_old_lock_working_and_the_next_write_sweeps_up() {
    let repo = common::example_init();
    let old = repo.read("rescore.lock");
    // What a crash between writing the temp file and renaming it leaves behind: a half-written
    // temp file next to the lock (and next to a thesis page, for the page write-back).
    let half = &old[..old.len() / 2];
    repo.write(".rescore-AbC123.tmp", half);
    repo.write(
        "theses/.rescore-XyZ789.tmp",
        b"> [!WARNING]\n<!-- rescore:begin",
    );
    repo.ok(&["check"], 0);
    assert_eq!(repo.read("rescore.lock"), old);
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 20B |");
    // Commands that write nothing leave them alone...
    repo.ok(&["--dry-run"], 0);
    repo.ok(&["--dry-run", "accept", "--all"], 0);
    assert_eq!(repo.read(".rescore-AbC123.tmp"), half);
    assert_eq!(common::temp_files(&repo.path("theses")).len(), 1);
    // ...and the next write, under the repo lock, removes them.
    repo.ok(&[], 0);
    assert!(common::temp_files(repo.root()).is_empty());
    assert!(common::temp_files(&repo.path("theses")).is_empty());
    repo.write(".rescore-AbC124.tmp", half);
    repo.ok(&["accept", "--all"], 0);
    repo.ok(&["check"], 0);
    assert_ne!(repo.read("rescore.lock"), old);
    assert!(common::temp_files(repo.root()).is_empty());
    lock_of(repo.root());
}

#[test]
fn write_atomic_replaces_the_whole_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rescore.lock");
    std::fs::write(&path, "old old old old old old\n").expect("write");
    lock::write_atomic(&path, b"new\n").expect("write_atomic");
    assert_eq!(std::fs::read(&path).expect("read"), b"new\n");
    assert!(common::temp_files(dir.path()).is_empty());
}

#[test]
fn a_failed_rename_leaves_the_target_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The target is a non-empty folder: the temp file is written, the rename must fail.
    let target = dir.path().join("rescore.lock");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("inside"), "keep me").expect("write");
    let old_lock = dir.path().join("other.lock");
    std::fs::write(&old_lock, "version = 1\n").expect("write");
    let err = lock::write_atomic(&target, b"version = 1\n");
    assert!(err.is_err(), "persisting over a folder succeeded");
    assert!(target.is_dir());
    assert_eq!(
        std::fs::read_to_string(target.join("inside")).expect("read"),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(&old_lock).expect("read"),
        "version = 1\n"
    );
    assert!(
        common::temp_files(dir.path()).is_empty(),
        "the temp file outlived the failed rename"
    );
}

#[test]
fn a_failed_update_leaves_the_lock_byte_identical() {
    let repo = common::example_init();
    let old = repo.read("rescore.lock");
    let result = lock::update(repo.root(), |lock| {
        lock.thesis.clear();
        Err(Diagnostic::usage("aborted by the test"))
    });
    assert!(result.is_err());
    assert_eq!(repo.read("rescore.lock"), old);
    // And a successful one changes it.
    lock::update(repo.root(), |lock| {
        lock.thesis.remove("genie-platform");
        Ok(())
    })
    .expect("update");
    let now = lock_of(repo.root());
    assert!(!now.thesis.contains_key("genie-platform"));
    assert_eq!(now.thesis.len(), 6);
}
