//! The lock under real git: branches that accepted different theses merge, rebase and
//! cherry-pick without a conflict and keep every accept; a thesis accepted differently on two
//! branches is reported for re-scoring (also from a lock left with conflict markers) and one
//! accept settles it; older and newer lock formats.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{git_try, TempRepo};
use rescore::lock::{self, Baseline, Lock};
use rescore::trees::hex;

const JEPA: &str = "concepts/jepa.md";
const GWM: &str = "concepts/generative-world-models.md";

fn git(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = git_try(dir, args);
    assert!(ok, "git {args:?} failed:\n{text}");
    text
}

fn commit_all(repo: &TempRepo, message: &str) {
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-q", "-m", message]);
}

/// Paths git still calls unmerged.
fn unmerged(repo: &TempRepo) -> String {
    git(repo.root(), &["diff", "--name-only", "--diff-filter=U"])
}

fn baselines(repo: &TempRepo) -> BTreeMap<String, Baseline> {
    Lock::read(repo.root())
        .expect("the lock parses")
        .expect("a lock")
        .thesis
}

/// The example, initialised and committed on `main`; `union` says whether the `.gitattributes`
/// that `rescore init` writes is kept (without it, git leaves conflict markers).
fn repo_on_main(union: bool) -> TempRepo {
    let repo = common::example_init();
    if !union {
        std::fs::remove_file(repo.path(".gitattributes")).expect("init wrote .gitattributes");
    }
    git(repo.root(), &["init", "-q", "-b", "main"]);
    commit_all(&repo, "init");
    repo
}

/// Branch `a`: a JEPA claim weakened, and its re-scored theses accepted. Branch `b` (from
/// main): a Genie 3 claim weakened, and `b_accepts` accepted.
fn two_branches(repo: &TempRepo, a_accepts: &[&str], b_accepts: &[&str]) {
    let root = repo.root();
    git(root, &["checkout", "-q", "-b", "a"]);
    repo.edit(
        JEPA,
        "Evidence: moderate (two labs, small task set)",
        "Evidence: weak (two labs, small task set)",
    );
    repo.ok(&[&["accept", "--force"][..], a_accepts].concat(), 0);
    commit_all(repo, "a: weaker V-JEPA planning evidence");
    git(root, &["checkout", "-q", "-b", "b", "main"]);
    repo.edit(
        GWM,
        "Evidence: strong (vendor technical report) ([Genie 3]",
        "Evidence: moderate (vendor technical report) ([Genie 3]",
    );
    repo.ok(&[&["accept", "--force"][..], b_accepts].concat(), 0);
    commit_all(repo, "b: weaker Genie 3 evidence");
}

const A_THESES: [&str; 2] = ["hybrid-world-models", "latent-planning-wins"];
const B_THESES: [&str; 2] = ["scaling-is-not-enough", "world-model-agents"];

/// What the merge must hold: each branch's accepts, and main's baseline for the rest.
fn union_of(
    main: &BTreeMap<String, Baseline>,
    a: &BTreeMap<String, Baseline>,
    b: &BTreeMap<String, Baseline>,
) -> BTreeMap<String, Baseline> {
    let mut want = main.clone();
    for t in A_THESES {
        want.insert(t.into(), a[t].clone());
    }
    for t in B_THESES {
        want.insert(t.into(), b[t].clone());
    }
    want
}

/// Baselines of main, a and b, read from each branch.
fn branch_baselines(repo: &TempRepo) -> [BTreeMap<String, Baseline>; 3] {
    let mut out = Vec::new();
    for branch in ["main", "a", "b"] {
        git(repo.root(), &["checkout", "-q", branch]);
        out.push(baselines(repo));
    }
    out.try_into().expect("three")
}

/// After a merge of different accepts: nothing is conflicted or missing, and check reports
/// the theses the *other* branch's edit reached.
fn assert_merged_cleanly(repo: &TempRepo, want: &BTreeMap<String, Baseline>) {
    assert_eq!(unmerged(repo), "");
    let lock = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert!(lock.conflicted.is_empty(), "{:?}", lock.conflicted);
    assert_eq!(&lock.thesis, want);
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("missing from the lock"), "{out}");
    assert!(!out.contains("two branches"), "{out}");
}

#[test]
fn branches_that_accepted_different_theses_merge_cleanly() {
    let repo = repo_on_main(true);
    two_branches(&repo, &A_THESES, &B_THESES);
    let [main, a, b] = branch_baselines(&repo);
    git(repo.root(), &["checkout", "-q", "a"]);
    let (ok, text) = git_try(repo.root(), &["merge", "-q", "--no-edit", "b"]);
    assert!(ok, "{text}");
    assert_merged_cleanly(&repo, &union_of(&main, &a, &b));
    // Each branch's edit reaches theses the other accepted; re-accepting them settles all.
    let stale = repo.ids("stale");
    assert!(
        stale.contains(&"hybrid-world-models".to_string()),
        "{stale:?}"
    );
    repo.ok(&["accept", "--all"], 0);
    assert_eq!(repo.ids("stale"), Vec::<String>::new());
}

#[test]
fn branches_that_reworded_claims_of_one_concept_page_merge_cleanly() {
    // Each branch writes its own version of the page's lock line; the merge keeps both, and
    // every thesis finds the version it was accepted against.
    let repo = repo_on_main(true);
    let root = repo.root();
    let main = baselines(&repo);
    git(root, &["checkout", "-q", "-b", "a"]);
    repo.edit(GWM, "has not yet demonstrated", "has demonstrated");
    repo.ok(&["accept", "--force", "scaling-is-not-enough"], 0);
    commit_all(&repo, "a: the generative camp has demonstrated it");
    let a = baselines(&repo);
    git(root, &["checkout", "-q", "-b", "b", "main"]);
    repo.edit(GWM, "promptable world events", "no promptable world events");
    repo.ok(&["accept", "--force", "world-model-agents"], 0);
    commit_all(&repo, "b: no promptable world events");
    let b = baselines(&repo);
    assert_ne!(a["scaling-is-not-enough"], main["scaling-is-not-enough"]);
    assert_ne!(b["world-model-agents"], main["world-model-agents"]);
    git(root, &["checkout", "-q", "a"]);
    let (ok, text) = git_try(root, &["merge", "-q", "--no-edit", "b"]);
    assert!(ok, "{text}");
    assert_eq!(unmerged(&repo), "");
    let mut want = main.clone();
    want.insert(
        "scaling-is-not-enough".into(),
        a["scaling-is-not-enough"].clone(),
    );
    want.insert("world-model-agents".into(), b["world-model-agents"].clone());
    let lock = Lock::read(root).expect("parses").expect("a lock");
    assert!(lock.conflicted.is_empty(), "{:?}", lock.conflicted);
    assert_eq!(lock.thesis, want);
    let page_lines = (0..16)
        .map(|i| repo.read_str(&format!("rescore.lock.d/{i:x}.lock")))
        .map(|t| t.matches(" concept generative-world-models ").count())
        .sum::<usize>();
    assert!(
        page_lines >= 2,
        "both branches' versions of the page: {page_lines}"
    );
    // Each branch's rewording reaches the thesis the other accepted, read from git exactly.
    let out = repo.ok(&["check"], 1);
    assert!(!out.contains("missing from the lock"), "{out}");
    assert!(!out.contains("not available"), "{out}");
    assert!(out.contains(r#""has not yet" → "has""#), "{out}");
    repo.ok(&["accept", "--all"], 0);
    repo.ok(&["check"], 0);
}

#[test]
fn rebase_and_cherry_pick_of_an_accept_commit_are_clean_too() {
    let repo = repo_on_main(true);
    two_branches(&repo, &A_THESES, &B_THESES);
    let [main, a, b] = branch_baselines(&repo);
    let want = union_of(&main, &a, &b);
    let root = repo.root();
    git(root, &["checkout", "-q", "-b", "picked", "a"]);
    let (ok, text) = git_try(root, &["cherry-pick", "b"]);
    assert!(ok, "{text}");
    assert_merged_cleanly(&repo, &want);
    git(root, &["checkout", "-q", "b"]);
    let (ok, text) = git_try(root, &["rebase", "-q", "a"]);
    assert!(ok, "{text}");
    assert_merged_cleanly(&repo, &want);
}

#[test]
fn without_the_attribute_a_conflicted_lock_is_read_and_accept_cleans_it() {
    let repo = repo_on_main(false);
    two_branches(&repo, &A_THESES, &B_THESES);
    let [main, a, b] = branch_baselines(&repo);
    git(repo.root(), &["checkout", "-q", "a"]);
    // Plain git may or may not leave markers here, depending on where new entries land.
    git_try(repo.root(), &["merge", "-q", "--no-edit", "b"]);
    let lock = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert_eq!(lock.thesis, union_of(&main, &a, &b));
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    repo.ok(&["accept", "--all"], 0);
    let tree = repo.tree();
    for (path, bytes) in tree.iter().filter(|(p, _)| p.starts_with("rescore.lock")) {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("<<<<<<<"), "{}: {text}", path.display());
    }
    assert_eq!(repo.ids("stale"), Vec::<String>::new());
    commit_all(&repo, "merge b");
}

/// Both branches accepted hybrid-world-models, each against its own edit. (Branch b also
/// accepts world-model-agents, which both edits reach: left stale on both, its page would get
/// a different warning block on each side, a page conflict that is not the lock's.)
fn same_thesis_twice(union: bool) -> TempRepo {
    let repo = repo_on_main(union);
    two_branches(
        &repo,
        &["hybrid-world-models"],
        &[
            "hybrid-world-models",
            "scaling-is-not-enough",
            "world-model-agents",
        ],
    );
    git(repo.root(), &["checkout", "-q", "a"]);
    let (ok, text) = git_try(repo.root(), &["merge", "-q", "--no-edit", "b"]);
    assert_eq!(ok, union, "{text}");
    repo
}

fn assert_reported_then_settled(repo: &TempRepo) {
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("accepted differently on two branches: re-score"),
        "{out}"
    );
    let doc = repo.check_json();
    let stale = common::ids(&doc, "stale");
    assert!(stale.contains(&"hybrid-world-models".into()), "{stale:?}");
    assert!(!stale.contains(&"scaling-is-not-enough".into()), "{doc}");
    repo.ok(&["accept", "hybrid-world-models"], 0);
    let text = repo.read_str("rescore.lock");
    assert!(!text.contains("<<<<<<<"), "{text}");
    assert_eq!(
        text.matches("\nhybrid-world-models = {").count(),
        1,
        "{text}"
    );
    let lock = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert!(lock.conflicted.is_empty());
    assert!(!repo.ids("stale").contains(&"hybrid-world-models".into()));
}

#[test]
fn a_thesis_accepted_on_both_branches_is_reported_after_a_union_merge() {
    let repo = same_thesis_twice(true);
    assert_reported_then_settled(&repo);
}

#[test]
fn a_thesis_accepted_on_both_branches_is_reported_from_conflict_markers() {
    let repo = same_thesis_twice(false);
    assert!(unmerged(&repo).contains("rescore.lock"));
    assert!(repo.read_str("rescore.lock").contains("<<<<<<<"));
    assert_reported_then_settled(&repo);
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-q", "--no-edit"]);
}

#[test]
fn init_writes_the_merge_attribute_once() {
    let repo = common::example();
    repo.write(".gitattributes", "*.png binary");
    repo.ok(&["init"], 0);
    let attrs = repo.read_str(".gitattributes");
    assert_eq!(
        attrs,
        "*.png binary\nrescore.lock merge=union\nrescore.lock.d/* merge=union\n"
    );
    repo.ok(&["init", "--force"], 0);
    assert_eq!(repo.read_str(".gitattributes"), attrs);
}

/// The example with the lock an older rescore wrote for it (format 1).
fn example_with_v1_lock() -> TempRepo {
    let repo = common::example();
    let old = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/world-models-v1.lock"),
    )
    .expect("fixture");
    repo.write("rescore.lock", old);
    repo
}

#[test]
fn a_format_1_lock_is_read_and_upgraded_on_the_next_write() {
    let repo = example_with_v1_lock();
    let v1 = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert_eq!(v1.version, 1);
    assert_eq!(v1.thesis.len(), 7);
    // An unchanged repo is clean under the old lock, and stays clean through the upgrade.
    repo.ok(&["check"], 0);
    repo.edit("theses/genie-platform.md", "score = 0.45", "score = 0.5");
    repo.ok(&["accept", "genie-platform", "--force"], 0);
    let v2 = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert_eq!(v2.version, lock::VERSION);
    assert!(repo.read_str("rescore.lock").contains("version = 3"));
    assert!(repo.path("rescore.lock.d/0.lock").is_file());
    for (t, b) in &v1.thesis {
        if t != "genie-platform" {
            assert_eq!(&v2.thesis[t], b, "{t}");
        }
    }
    assert!(repo.read_str(".gitattributes").contains("merge=union"));
    repo.ok(&["check"], 0);
}

#[test]
fn a_newer_lock_asks_for_an_upgrade_naming_both_versions() {
    let repo = common::example_init();
    let text = repo
        .read_str("rescore.lock")
        .replace("version = 3", "version = 4");
    repo.write("rescore.lock", &text);
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("version 4") && err.contains("1 to 3"), "{err}");
    assert!(err.contains("upgrade rescore"), "{err}");
    assert!(!err.contains("git checkout"), "{err}");
}

#[test]
fn a_damaged_line_is_named_with_a_way_to_keep_the_other_accepts() {
    let repo = common::example_init();
    let shard = "rescore.lock.d/0.lock";
    let text = repo.read_str(shard);
    let line = text
        .lines()
        .position(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("an entry")
        + 1;
    // A hand edit that clipped the entry's tree id.
    let damaged: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { &l[3..] } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    repo.write(shard, &damaged);
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{shard}:{line}")), "{err}");
    assert!(err.contains("delete that line"), "{err}");
    assert!(!err.contains("git checkout"), "{err}");
    // Following the hint keeps every accept: only what relied on the line is reported.
    let fixed: Vec<&str> = damaged
        .lines()
        .enumerate()
        .filter(|(i, _)| i + 1 != line)
        .map(|(_, l)| l)
        .collect();
    repo.write(shard, fixed.join("\n"));
    let (code, out, err) = repo.run(&["check"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert_eq!(baselines(&repo).len(), 7);
}

#[test]
fn a_deleted_thesis_leaves_the_lock_on_the_next_accept() {
    let repo = common::example_init();
    std::fs::remove_file(repo.path("theses/genie-platform.md")).expect("rm");
    repo.edit("theses/physics-wall.md", "score = 0.62", "score = 0.6");
    repo.ok(&["accept", "physics-wall", "--force"], 0);
    let lock = baselines(&repo);
    assert!(!lock.contains_key("genie-platform"));
    assert_eq!(lock.len(), 6);
    // Its entries went with it: the genie-3 source is cited by nothing else directly.
    assert!(!repo.read_str("rescore.lock").contains("genie-platform"));
}

#[test]
fn the_lock_at_a_git_ref_includes_its_entries() {
    let repo = repo_on_main(true);
    let files = rescore::git::files_at(repo.root(), "main").expect("files at main");
    let base =
        rescore::git::build_base(repo.root(), "main", &files).unwrap_or_else(|d| panic!("{d:?}"));
    let now = Lock::read(repo.root()).expect("parses").expect("a lock");
    assert_eq!(base.lock.thesis, now.thesis);
    for b in base.lock.thesis.values() {
        for id in b.against.values().map(hex) {
            let id = id.as_str();
            assert_eq!(
                base.lock.entry(id).expect("parses"),
                now.entry(id).expect("parses")
            );
            assert!(base.lock.entry(id).expect("parses").is_some(), "{id}");
        }
    }
}

#[test]
fn a_temp_file_left_in_the_shard_folder_is_swept_by_the_next_write() {
    let repo = common::example_init();
    let stray = "rescore.lock.d/.rescore-AbC123.tmp";
    repo.write(stray, "half an entry");
    repo.edit("theses/physics-wall.md", "score = 0.62", "score = 0.6");
    repo.ok(&["accept", "physics-wall", "--force"], 0);
    assert!(!repo.path(stray).exists());
    repo.ok(&["check"], 0);
}
