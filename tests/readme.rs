//! The README's first screen must stay true: `check` on the shipped example is clean, and the
//! "Try it" edit flags what the README says it flags.

mod common;

use common::{example_dir, rescore_in};

#[test]
fn check_on_the_shipped_example_is_clean() {
    // No cache: the shipped example in the source tree is left as it is.
    let out = rescore_in(&example_dir())
        .arg("check")
        .env("RESCORE_NO_CACHE", "1")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("0 stale, 0 pending, 0 unscored, 7 clean"),
        "{stdout}"
    );
}

#[test]
fn the_try_it_edit_flags_physics_wall() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&example_dir(), dir.path());
    let page = dir.path().join("concepts/generative-world-models.md");
    let text = std::fs::read_to_string(&page).expect("page");
    let needle = "Evidence: strong ([[VideoScience-Bench]])";
    assert!(
        text.contains(needle),
        "the README's sed no longer matches the example"
    );
    std::fs::write(
        &page,
        text.replace(needle, "Evidence: weak ([[VideoScience-Bench]])"),
    )
    .expect("write");
    let out = rescore_in(dir.path())
        .args(["--dry-run"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("stale     theses/physics-wall.md:6  physics-wall"),
        "{stdout}"
    );
    assert!(
        stdout.contains("evidence strong → weak (rule evidence-down, major)"),
        "{stdout}"
    );
}

/// The shell block under "From an empty folder", run as written by `sh` with the binary on PATH.
#[test]
fn the_empty_folder_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let section = readme
        .split_once("## From an empty folder")
        .expect("the walkthrough section")
        .1;
    let script = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("its shell block")
        .0;
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = assert_cmd::cargo::cargo_bin("rescore");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{stdout}\n--- stderr\n{stderr}");
    let expected = [
        "wrote rescore.lock accepting 1 theses",
        "0 stale, 0 pending, 0 unscored, 1 clean",
        "value ~64% → ~41% (−36%, rule value-shift, major)",
        "physics-wall is stale: re-score it, then `rescore accept physics-wall`",
        "wrote theses/physics-wall.md",
        "accepted physics-wall at score 0.4",
    ];
    let mut from = 0;
    for e in expected {
        let at = stdout[from..]
            .find(e)
            .unwrap_or_else(|| panic!("`{e}` missing (in order) from:\n{all}"));
        from += at + e.len();
    }
    assert!(
        stdout
            .trim_end()
            .ends_with("0 stale, 0 pending, 0 unscored, 1 clean"),
        "{all}"
    );
    assert!(out.status.success(), "{all}");
    let page =
        std::fs::read_to_string(dir.path().join("research/theses/physics-wall.md")).expect("page");
    assert!(!page.contains("[!WARNING]"), "{page}");
}
