//! Claim text kept out of the lock (format 3): a claim entry names its text by hash and its
//! page by git blob; `check` reads the accepted text back from git, and says so when it cannot.

mod common;

use std::path::Path;

use common::{git_try, TempRepo};

const PAGE: &str = "concepts/generative-world-models.md";
/// The cause `check` reports for the rewording, read from the accepted text.
const EXACT: &str = r#"text "has not yet" → "has" (negation"#;

fn git(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = git_try(dir, args);
    assert!(ok, "git {args:?} failed:\n{text}");
    text
}

/// The example in a fresh git repo (nothing committed), after `rescore init`.
fn example_in_git() -> TempRepo {
    let repo = common::example();
    common::git_init(repo.root());
    repo.ok(&["init"], 0);
    repo
}

fn shards(repo: &TempRepo) -> String {
    (0..16)
        .map(|i| repo.read_str(&format!("rescore.lock.d/{i:x}.lock")))
        .collect()
}

fn reword(repo: &TempRepo) {
    repo.edit(PAGE, "has not yet demonstrated", "has demonstrated");
}

#[test]
fn the_lock_names_claim_text_by_hash_and_page_blob() {
    let repo = example_in_git();
    let lock = shards(&repo);
    assert!(
        !lock.contains("hour-long coherent"),
        "claim text in the lock"
    );
    assert!(lock.contains(" h="), "{lock}");
    // On the concept's line, without its kind; its source is its upstream entry, so it is not
    // written again.
    let line = lock
        .lines()
        .find(|l| l.contains(" #consistency-minutes "))
        .expect("the claim on its page's line");
    assert!(line.contains(" concept generative-world-models "), "{line}");
    assert!(!line.contains("s=genie-3"), "{line}");
    let blob = git(repo.root(), &["hash-object", PAGE]);
    let short = &blob.trim()[..12];
    assert!(lock.contains(&format!(" @{short}")), "{lock}");
    // accept wrote the page blob into the object database before anything was committed.
    git(repo.root(), &["cat-file", "-e", blob.trim()]);
}

#[test]
fn a_reworded_claim_is_reported_with_its_accepted_text_from_git() {
    let repo = example_in_git();
    reword(&repo);
    let out = repo.ok(&["check"], 1);
    assert!(out.contains(EXACT), "{out}");
    assert!(!out.contains("accepted text not available"), "{out}");
}

#[test]
fn a_fresh_clone_reads_the_accepted_text_from_history() {
    let repo = example_in_git();
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-q", "-m", "accept"]);
    let clone = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", repo.root().display());
    git(clone.path(), &["clone", "-q", &url, "r"]);
    let root = clone.path().join("r");
    common::edit(
        &root.join(PAGE),
        "has not yet demonstrated",
        "has demonstrated",
    );
    let (code, out, err) = common::run_in(&root, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(EXACT), "{out}");
}

#[test]
fn a_shallow_clone_without_the_accepted_page_counts_the_change_and_says_how_to_fetch_it() {
    let repo = example_in_git();
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-q", "-m", "accept"]);
    // The page moves on in a later commit, so a clone of depth 1 lacks the accepted blob.
    reword(&repo);
    git(repo.root(), &["commit", "-q", "-am", "reword"]);
    let clone = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", repo.root().display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "r"]);
    let root = clone.path().join("r");
    let (code, out, err) = common::run_in(&root, &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("accepted text not available"), "{out}");
    assert!(out.contains("fetch-depth: 0"), "{out}");
    // With the history fetched, the cause is the exact change.
    git(&root, &["fetch", "-q", "--unshallow"]);
    let (code, out, _) = common::run_in(&root, &["check"]);
    assert_eq!(code, 1);
    assert!(out.contains(EXACT), "{out}");
    assert!(!out.contains("accepted text not available"), "{out}");
}

#[test]
fn where_the_git_repo_is_gone_a_changed_claim_text_counts_and_an_unchanged_one_needs_nothing() {
    let repo = example_in_git();
    std::fs::remove_dir_all(repo.path(".git")).expect("no longer a git repo");
    // Unchanged canonical text needs no blob: a reflowed line stays clean.
    repo.edit(
        PAGE,
        "has not yet demonstrated hour-long",
        "has not yet demonstrated\n  hour-long",
    );
    repo.ok(&["check"], 0);
    reword(&repo);
    let out = repo.ok(&["check"], 1);
    assert!(out.contains("accepted text not available"), "{out}");
    assert!(
        out.contains("Consistency currently caps at minutes"),
        "{out}"
    );
    assert!(!out.contains(EXACT), "{out}");
}

#[test]
fn outside_git_the_lock_holds_claim_text_and_causes_stay_exact() {
    let repo = common::example_init();
    let lock = shards(&repo);
    assert!(lock.contains("hour-long coherent simulation"), "{lock}");
    assert!(!lock.contains(" h="), "{lock}");
    reword(&repo);
    let out = repo.ok(&["check"], 1);
    assert!(out.contains(EXACT), "{out}");
}

#[test]
fn a_format_2_lock_is_read_and_upgraded_keeping_its_texts() {
    let repo = common::example();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/world-models-v2");
    common::copy_dir(&fixture, repo.root());
    let v2 = rescore::lock::Lock::read(repo.root())
        .expect("parses")
        .expect("a lock");
    assert_eq!(v2.version, 2);
    repo.ok(&["check"], 0);
    repo.edit("theses/genie-platform.md", "score = 0.45", "score = 0.5");
    repo.ok(&["accept", "genie-platform", "--force"], 0);
    let v3 = rescore::lock::Lock::read(repo.root())
        .expect("parses")
        .expect("a lock");
    assert_eq!(v3.version, rescore::lock::VERSION);
    assert!(repo.path("rescore.lock.d/0.lock").is_file());
    assert!(!repo.path("rescore.lock.d/0.toml").exists());
    assert!(repo
        .read_str(".gitattributes")
        .contains("rescore.lock.d/* merge=union"));
    for (t, b) in &v2.thesis {
        if t != "genie-platform" {
            assert_eq!(&v3.thesis[t], b, "{t}");
        }
    }
    // Entries carried over from format 2 keep their text: no git needed to report a rewording.
    reword(&repo);
    let out = repo.ok(&["check"], 1);
    assert!(out.contains(EXACT), "{out}");
    assert!(!out.contains("accepted text not available"), "{out}");
}
