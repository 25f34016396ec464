//! The invariants ARCHITECTURE.md states about imports, checked on the source itself: imports
//! run one way (nothing below the command layer imports it) and the graph crate does no I/O.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The files at or under `dir` (relative to the package) whose text contains any of `needles`.
fn offenders(dir: &str, skip: &[&str], needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    rust_files(&root.join(dir))
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(root).expect("under the package");
            let rel = rel.to_string_lossy().replace('\\', "/");
            if skip.contains(&rel.as_str()) {
                return None;
            }
            let text = std::fs::read_to_string(&p).expect("read");
            needles
                .iter()
                .find(|n| text.contains(*n))
                .map(|n| format!("{rel} uses `{n}`"))
        })
        .collect()
}

#[test]
fn nothing_below_the_command_layer_imports_it() {
    let back = offenders(
        "src",
        &["src/cli.rs", "src/main.rs"],
        &["crate::cli", "super::cli", "rescore::cli"],
    );
    assert!(back.is_empty(), "imports that run back up: {back:#?}");
}

#[test]
fn the_graph_crate_does_no_io() {
    let io = offenders(
        "graph/src",
        &[],
        &["std::fs", "std::io", "std::net", "std::process", "std::env"],
    );
    assert!(io.is_empty(), "I/O in the graph crate: {io:#?}");
}

#[test]
fn the_rules_read_no_file_and_know_nothing_of_loading() {
    let mut found = Vec::new();
    for place in ["src/rules.rs", "src/rules"] {
        found.extend(offenders(
            place,
            &[],
            &[
                "std::fs",
                "std::io",
                "crate::config",
                "crate::settings",
                "crate::load",
            ],
        ));
    }
    assert!(
        found.is_empty(),
        "rules doing a loading stage's job: {found:#?}"
    );
}

#[test]
fn the_config_schema_does_not_reach_into_the_settings_it_feeds() {
    let found = offenders("src/config.rs", &[], &["crate::settings", "crate::load"]);
    assert!(found.is_empty(), "config reaching up: {found:#?}");
}

#[test]
fn the_watch_engine_prints_and_writes_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("src/watch/engine.rs")).expect("read engine");
    let found: Vec<&str> = [
        "println!",
        "eprintln!",
        "print!",
        "std::io::stdout",
        "std::io::stderr",
        "super::output",
        "crate::report",
        "crate::writeback",
        "std::fs::write",
    ]
    .into_iter()
    .filter(|n| text.contains(n))
    .collect();
    assert!(
        found.is_empty(),
        "the watch engine prints or writes: {found:?}"
    );
}

#[test]
fn the_lock_knows_nothing_of_the_evaluation_that_reads_it() {
    let mut found = Vec::new();
    for place in ["src/lock.rs", "src/lock"] {
        found.extend(offenders(
            place,
            &[],
            &["crate::eval", "crate::accept", "crate::open"],
        ));
    }
    assert!(
        found.is_empty(),
        "the lock reaching up into the evaluation that reads it: {found:#?}"
    );
}
