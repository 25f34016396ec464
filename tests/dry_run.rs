//! `--dry-run` writes nothing, on every command: the bytes of every file in the research repo
//! (pages, lock, config, stray temp files of an interrupted write) are the same after as before,
//! while there is a stale thesis, an out-of-date backlinks block and a temp file to sweep.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const GWM: &str = "concepts/generative-world-models.md";

/// The example after init, with a material change (three theses stale), a stray temp file, and
/// no `rescore.toml` (so `init` would write one).
fn repo_with_work_to_do() -> common::TempRepo {
    let repo = common::example_init();
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 20B |");
    repo.write("theses/.rescore-Left0ver.tmp", "half a page");
    // A concept page whose backlinks block is missing, for `backlinks --write` to want to add.
    let jepa = common::without_backlinks(&repo.read_str("concepts/jepa.md"));
    repo.write("concepts/jepa.md", &jepa);
    let _ = std::fs::remove_file(repo.path("rescore.toml"));
    assert!(!repo.ids("stale").is_empty());
    repo
}

fn digest(tree: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let mut h = blake3::Hasher::new();
    for (path, bytes) in tree {
        h.update(path.to_string_lossy().as_bytes());
        h.update(&[0]);
        h.update(blake3::hash(bytes).as_bytes());
    }
    h.finalize().to_hex().to_string()
}

#[test]
fn dry_run_changes_no_byte_on_any_command() {
    let repo = repo_with_work_to_do();
    let before = repo.tree();
    let runs: &[(&[&str], i32)] = &[
        (&["--dry-run"], 0),
        (&["--dry-run", "--exit-code"], 1),
        (&["--dry-run", "accept", "realtime-sim-ready"], 0),
        (&["--dry-run", "accept", "--all"], 0),
        (&["--dry-run", "accept", "--select", "status:stale"], 0),
        (&["accept", "--all", "--dry-run"], 0),
        (&["--dry-run", "init", "--force"], 0),
        (&["--dry-run", "backlinks", "--write"], 0),
        (&["--dry-run", "backlinks"], 0),
        (&["--dry-run", "backlinks", "--check"], 1),
        (&["--dry-run", "check"], 1),
        (&["--dry-run", "ls"], 0),
        (&["--dry-run", "graph"], 0),
        (&["--dry-run", "why", "realtime-sim-ready"], 0),
        (&["--dry-run", "rules"], 0),
    ];
    for (args, code) in runs {
        let out = repo.ok(args, *code);
        assert_eq!(
            digest(&repo.tree()),
            digest(&before),
            "rescore {args:?} changed the tree; it said:\n{out}"
        );
    }
    // What they would have done is said.
    let out = repo.ok(&["--dry-run", "accept", "realtime-sim-ready"], 0);
    assert!(
        out.contains("would accept realtime-sim-ready at score"),
        "{out}"
    );
    let out = repo.ok(&["--dry-run", "init", "--force"], 0);
    assert!(out.contains("would write rescore.toml"), "{out}");
    assert!(
        out.contains("would write rescore.lock accepting 7 theses"),
        "{out}"
    );
    let out = repo.ok(&["--dry-run"], 0);
    assert!(
        out.contains("would write theses/realtime-sim-ready.md"),
        "{out}"
    );
    // And the same commands without --dry-run do write.
    repo.ok(&["accept", "realtime-sim-ready"], 0);
    assert_ne!(digest(&repo.tree()), digest(&before));
}

#[test]
fn dry_run_watch_changes_no_byte() {
    let repo = common::example_init();
    repo.write("theses/.rescore-Left0ver.tmp", "half a page");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rescore"))
        .args(["--dry-run", "watch", "--debounce", "20", "--root"])
        .arg(repo.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rescore watch");
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |want: &str| loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) if l.starts_with(want) => break,
            Ok(_) => {}
            Err(e) => panic!("no line starting {want:?}: {e}"),
        }
    };
    wait_for("watching ");
    // The test's own edit is the only change: the watcher writes no block, sweeps nothing.
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 20B |");
    let before = repo.tree();
    wait_for("would write theses/realtime-sim-ready.md");
    let after = repo.tree();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(digest(&after), digest(&before));
}
