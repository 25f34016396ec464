//! The README's first screen must stay true: `check` on the shipped example is clean, and the
//! "Try it" edit flags what the README says it flags.

mod common;

use common::{example_dir, rescore_in};

#[test]
fn check_on_the_shipped_example_is_clean() {
    let out = rescore_in(&example_dir())
        .arg("check")
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
