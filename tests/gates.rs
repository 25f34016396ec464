//! No gate passes on what it could not read (issue 10): unreadable folders and files, a
//! settings file that is not a file, symlinks, thresholds that would switch a rule off, and
//! every error of one run reported together, each located where it is written.

mod common;

use std::os::unix::fs::symlink;

use common::{tiny, TempRepo};

const CONCEPT: &str = "+++\nkind = \"concept\"\n+++\n# A\n\n- Widgets run at 5 units. {#w}\n  Evidence: strong ([[Source S]])\n";
const SOURCE: &str = "+++\nkind = \"source\"\n+++\n# Source S\n";
const THESIS: &str = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n## Evidence\n- [[a#w]]\n";

fn repo() -> TempRepo {
    tiny(&[
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        ("theses/t.md", THESIS),
    ])
}

/// Runs `check`, which must fail with exit 2 and report no verdicts; returns stderr.
fn fails(repo: &TempRepo) -> String {
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "expected exit 2\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.is_empty(), "verdicts despite a failed load:\n{out}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The `LEVEL[CODE]: LOC: …` header line in stderr.
fn header<'a>(err: &'a str, level: &str, code: &str, loc: &str) -> &'a str {
    let want = format!("{level}[{code}]: {loc}: ");
    err.lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no `{want}` line in stderr:\n{err}"))
}

fn error_count(err: &str) -> usize {
    err.lines().filter(|l| l.starts_with("error[")).count()
}

/// Stderr with the temp dir (and any other absolute path) out of it, for snapshots.
fn redacted(repo: &TempRepo, err: &str) -> String {
    let root = repo.root().display().to_string();
    let real = repo
        .root()
        .canonicalize()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| root.clone());
    err.replace(&real, "[ROOT]").replace(&root, "[ROOT]")
}

#[test]
fn the_base_repo_loads() {
    // The repos below differ from this one only by what each test breaks.
    let r = repo();
    let (code, _, err) = r.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(r.ids("unscored"), ["t"]);
}

#[test]
fn rescore_toml_that_is_a_folder_fails_the_gate() {
    let r = repo();
    std::fs::create_dir(r.path("rescore.toml")).expect("mkdir");
    let err = fails(&r);
    let h = header(&err, "error", "unreadable", "rescore.toml:1:1");
    assert!(h.contains("cannot read rescore.toml"), "{h}");
    assert!(err.contains("rescore.toml is a folder"), "{err}");
}

/// chmod 000 only stops a process without root's override; as root this test checks the
/// permission change had no effect and leaves the refusal to the root-proof tests below.
fn unreadable_for_us(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let blocked = if path.is_dir() {
        std::fs::read_dir(path).is_err()
    } else {
        std::fs::read(path).is_err()
    };
    if !blocked {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod back");
    }
    blocked
}

fn restore(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[test]
fn an_unreadable_theses_folder_fails_the_gate() {
    let r = repo();
    let dir = r.path("theses");
    if !unreadable_for_us(&dir) {
        // Running as root: the folder stays readable, and the run must see its thesis.
        assert_eq!(r.ids("unscored"), ["t"]);
        return;
    }
    let (code, out, err) = r.run(&["check"]);
    restore(&dir, 0o755);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    let h = header(&err, "error", "unreadable", "theses:1:1");
    assert!(h.contains("permission denied"), "{h}");
}

#[test]
fn an_unreadable_page_and_an_unreadable_rescore_toml_fail_together() {
    let r = repo();
    r.write("rescore.toml", "exclude = []\n");
    let (page, config) = (r.path("theses/t.md"), r.path("rescore.toml"));
    if !unreadable_for_us(&page) {
        assert_eq!(r.ids("unscored"), ["t"]);
        return;
    }
    assert!(unreadable_for_us(&config));
    let (code, _, err) = r.run(&["check"]);
    restore(&page, 0o644);
    restore(&config, 0o644);
    assert_eq!(code, 2, "{err}");
    header(&err, "error", "unreadable", "rescore.toml:1:1");
    header(&err, "error", "unreadable", "theses/t.md:1:1");
}

#[test]
fn a_dangling_symlink_in_place_of_the_theses_folder_fails_the_gate() {
    let r = tiny(&[("concepts/a.md", CONCEPT), ("sources/s.md", SOURCE)]);
    symlink(r.path("gone"), r.path("theses")).expect("symlink");
    let err = fails(&r);
    let h = header(&err, "error", "broken-symlink", "theses:1:1");
    assert!(h.contains("does not exist"), "{h}");
}

#[test]
fn a_dangling_symlinked_page_fails_and_a_dangling_image_link_only_warns() {
    let r = repo();
    symlink(r.path("nowhere.md"), r.path("theses/u.md")).expect("symlink");
    symlink(r.path("nowhere.png"), r.path("concepts/figure.png")).expect("symlink");
    let err = fails(&r);
    header(&err, "error", "broken-symlink", "theses/u.md:1:1");
    header(&err, "warning", "broken-symlink", "concepts/figure.png:1:1");
}

#[test]
fn a_symlink_loop_is_a_diagnostic_not_a_hang() {
    let r = repo();
    symlink(r.root(), r.path("theses/again")).expect("symlink");
    let err = fails(&r);
    let h = header(&err, "error", "symlink-loop", "theses/again:1:1");
    assert!(h.contains("symlink back to"), "{h}");
}

#[test]
fn a_page_that_is_a_pipe_is_reported_not_read() {
    let r = repo();
    let fifo = r.path("theses/pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let err = fails(&r);
    header(&err, "error", "not-a-file", "theses/pipe.md:1:1");
}

#[test]
fn a_symlinked_theses_folder_inside_the_root_is_walked() {
    let r = tiny(&[
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        (".vault/theses/t.md", THESIS),
    ]);
    symlink(r.path(".vault/theses"), r.path("theses")).expect("symlink");
    let (code, _, err) = r.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(r.ids("unscored"), ["t"]);
}

#[test]
fn a_page_reached_through_a_symlink_and_at_its_place_is_read_once() {
    let r = tiny(&[
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        ("archive/theses/t.md", THESIS),
    ]);
    symlink(r.path("archive/theses"), r.path("theses")).expect("symlink");
    let (code, _, err) = r.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("duplicate-id"), "{err}");
    let doc = r.check_json();
    assert_eq!(doc["unscored"][0]["path"], "archive/theses/t.md", "{doc}");
}

#[test]
fn a_symlink_out_of_the_root_is_reported() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("t.md"), THESIS).expect("write");
    let r = tiny(&[("concepts/a.md", CONCEPT), ("sources/s.md", SOURCE)]);
    symlink(outside.path(), r.path("theses")).expect("symlink");
    let err = fails(&r);
    let h = header(&err, "error", "symlink-outside-root", "theses:1:1");
    assert!(h.contains("outside the research repo"), "{h}");
    // Excluding it on purpose is the way out.
    r.write("rescore.toml", "exclude = [\"theses\"]\n");
    let (code, _, err) = r.run(&["check"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn config_page_and_lock_errors_are_reported_in_one_run() {
    let r = tiny(&[
        ("rescore.toml", "[rules]\nflag_att = \"major\"\n"),
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        (
            "theses/t.md",
            &THESIS.replace("score = 0.5", "score = \"high\""),
        ),
        ("rescore.lock", "this is not a lock\n"),
    ]);
    let err = fails(&r);
    header(&err, "error", "bad-toml", "rescore.toml:2:1");
    header(&err, "error", "thesis-without-score", "theses/t.md:3:1");
    assert!(
        err.lines()
            .any(|l| l.starts_with("error[") && l.contains(" rescore.lock:")),
        "{err}"
    );
}

#[test]
fn a_bad_folders_setting_falls_back_to_the_defaults_and_pages_still_report() {
    let r = tiny(&[
        ("rescore.toml", "[folders]\nthesis = 7\n"),
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        ("theses/t.md", &THESIS.replace("[[a#w]]", "[[a#nope]]")),
    ]);
    let err = fails(&r);
    header(&err, "error", "bad-toml", "rescore.toml:2:10");
    // The page is still read as a thesis of the default `theses/` folder.
    header(&err, "error", "anchor-to-no-claim", "theses/t.md:8:3");
    assert_eq!(error_count(&err), 2, "{err}");
}

#[test]
fn one_broken_source_page_adds_no_errors_about_pages_that_exist() {
    let concept = format!(
        "{CONCEPT}- Gadgets run at 7 units. {{#g}}\n  Evidence: weak ([S](../sources/s.md))\n"
    );
    let r = tiny(&[
        ("concepts/a.md", &concept),
        (
            "sources/s.md",
            "+++\nkind = \"source\"\nretracted = maybe\n+++\n# Source S\n",
        ),
        ("theses/t.md", &format!("{THESIS}- [[s]]\n- [[Source S]]\n")),
    ]);
    let err = fails(&r);
    header(&err, "error", "bad-front-matter", "sources/s.md:3:13");
    assert_eq!(error_count(&err), 1, "{err}");
}

#[test]
fn a_link_to_a_page_that_does_not_exist_is_still_reported_beside_a_broken_page() {
    let r = tiny(&[
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", "+++\nkind = \"sauce\"\n+++\n# Source S\n"),
        ("theses/t.md", &format!("{THESIS}- [[ghost]]\n")),
    ]);
    let err = fails(&r);
    header(&err, "error", "unknown-kind", "sources/s.md:2:1");
    header(&err, "error", "link-to-no-page", "theses/t.md:9:3");
    assert_eq!(error_count(&err), 2, "{err}");
}

#[test]
fn thresholds_that_would_switch_a_rule_off_are_rejected_at_their_key() {
    for (line, col, value) in [
        (2, 15, "nan"),
        (2, 15, "inf"),
        (2, 15, "-0.1"),
        (2, 15, "-inf"),
        (2, 15, "0"),
    ] {
        let r = repo();
        r.write(
            "rescore.toml",
            format!("[rules.threshold]\nvalue-shift = {value}\n"),
        );
        let err = fails(&r);
        let h = header(
            &err,
            "error",
            "bad-threshold",
            &format!("rescore.toml:{line}:{col}"),
        );
        assert!(h.contains("rule `value-shift`"), "{value}: {h}");
        if value == "0" {
            assert!(err.contains("0 makes every move material"), "{err}");
        }
    }
    for (setting, col) in [
        ("evidence-down = 0", 17),
        ("evidence-down = 1.5", 17),
        ("claim-reworded = 0", 18),
        ("claim-reworded = 2", 18),
        ("score-shift = -1", 15),
        ("unit-change = 0.5", 15),
    ] {
        let r = repo();
        r.write("rescore.toml", format!("[rules.threshold]\n{setting}\n"));
        let err = fails(&r);
        header(
            &err,
            "error",
            "bad-threshold",
            &format!("rescore.toml:2:{col}"),
        );
    }
    let r = repo();
    r.write("rescore.toml", "[rules]\nrename_similarity = nan\n");
    header(&fails(&r), "error", "bad-threshold", "rescore.toml:2:21");
}

#[test]
fn a_threshold_in_an_added_rule_is_checked_too() {
    let r = repo();
    r.write(
        "rescore.toml",
        "[[rules.rule]]\nname = \"drift\"\nnode = [\"claim\"]\nfield = \"value\"\ncompare = \"relative-change\"\nthreshold = nan\nseverity = \"major\"\n",
    );
    header(&fails(&r), "error", "bad-threshold", "rescore.toml:6:13");
}

#[test]
fn a_bad_rule_is_explained_in_words_at_its_place() {
    let r = repo();
    r.write(
        "rescore.toml",
        "[rules]\nflag_at = \"major\"\n\n[[rules.rule]]\nname = \"odd\"\nnode = [\"source\"]\nfield = \"value\"\ncompare = \"relative-change\"\nseverity = \"major\"\n\n[[rules.rule]]\nname = \"odder\"\nnode = [\"claim\"]\nfield = \"status\"\ncompare = \"level-down\"\nseverity = \"minor\"\n",
    );
    let err = fails(&r);
    let odd = header(&err, "error", "bad-rule", "rescore.toml:4:1");
    assert!(
        odd.contains("compare `relative-change` on field `value` does not apply to source nodes"),
        "{odd}"
    );
    let odder = err
        .lines()
        .find(|l| l.contains("rule `odder`"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        odder.starts_with("error[bad-rule]: rescore.toml:11:"),
        "{odder}"
    );
    assert!(!err.contains("Some("), "Rust debug text in:\n{err}");
    assert!(!err.contains("[Source]"), "Rust debug text in:\n{err}");
    insta::assert_snapshot!("bad_rules_stderr", redacted(&r, &err));
}

#[test]
fn scale_and_rule_name_errors_point_at_their_entries() {
    let r = repo();
    r.write(
        "rescore.toml",
        "[rules]\ndisable = [\"claim-added\", \"claim-addd\"]\nfiles = [\"rules/mine.toml\"]\n\n[scale]\nlevels = [\"weak\", \"strong\"]\naliases = { solid = \"strong\", firm = \"stronk\" }\n",
    );
    let err = fails(&r);
    let h = header(&err, "error", "unknown-rule", "rescore.toml:2:27");
    assert!(h.contains("claim-addd"), "{h}");
    header(&err, "error", "missing-rule-file", "rescore.toml:3:10");
    header(&err, "error", "bad-scale", "rescore.toml:7:38");
    insta::assert_snapshot!("scale_and_names_stderr", redacted(&r, &err));
}

#[test]
fn every_error_of_one_run_snapshot() {
    let r = tiny(&[
        (
            "rescore.toml",
            "exclude = []\n[rules]\nflag_att = \"major\"\n[rules.threshold]\nvalue-shift = nan\n",
        ),
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        ("theses/t.md", &format!("{THESIS}- [[ghost]]\n")),
    ]);
    symlink(r.path("gone"), r.path("notes")).expect("symlink");
    let err = fails(&r);
    insta::assert_snapshot!("every_error_stderr", redacted(&r, &err));
}

#[test]
fn check_against_a_base_reports_page_and_lock_errors_together() {
    let r = repo();
    r.ok(&["init"], 0);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(r.root())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    r.write("rescore.lock", "this is not a lock\n");
    r.edit("theses/t.md", "[[a#w]]", "[[a#nope]]");
    let (code, out, err) = r.run(&["check", "--base", "main"]);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    header(&err, "error", "anchor-to-no-claim", "theses/t.md:8:3");
    assert!(
        err.lines()
            .any(|l| l.starts_with("error[") && l.contains(" rescore.lock:")),
        "{err}"
    );
}

#[test]
fn a_bad_exclude_glob_is_located_and_pages_are_still_read() {
    let r = tiny(&[
        ("rescore.toml", "exclude = [\"drafts/**\", \"a[\"]\n"),
        ("concepts/a.md", CONCEPT),
        ("sources/s.md", SOURCE),
        ("theses/t.md", &format!("{THESIS}- [[ghost]]\n")),
    ]);
    let err = fails(&r);
    header(&err, "error", "bad-exclude", "rescore.toml:1:25");
    header(&err, "error", "link-to-no-page", "theses/t.md:9:3");
}

#[test]
fn a_rule_file_is_read_rule_by_rule_and_each_problem_located_in_it() {
    let r = repo();
    r.write("rescore.toml", "[rules]\nfiles = [\"rules/team.toml\"]\n");
    r.write(
        "rules/team.toml",
        "extra = 1\n\n[[rule]]\nname = \"good\"\nnode = [\"claim\"]\nfield = \"value\"\ncompare = \"unit-changed\"\nseverity = \"major\"\n\n[[rule]]\nname = \"typo\"\nnode = [\"claim\"]\ncompare = \"removed\"\nseverity = \"majr\"\n\n[[rule]]\nname = \"drift\"\nnode = [\"claim\"]\nfield = \"value\"\ncompare = \"relative-change\"\nthreshold = -0.5\nseverity = \"major\"\n",
    );
    let err = fails(&r);
    header(&err, "error", "bad-toml", "rules/team.toml:1:1");
    let typo = header(&err, "error", "bad-toml", "rules/team.toml:14:12");
    assert!(typo.contains("majr"), "{typo}");
    header(&err, "error", "bad-threshold", "rules/team.toml:21:13");
    assert_eq!(error_count(&err), 3, "{err}");
}

#[test]
fn a_link_to_an_image_outside_the_root_is_no_page_and_no_error() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("logo.png"), b"\x89PNG").expect("write");
    let r = repo();
    symlink(outside.path().join("logo.png"), r.path("concepts/logo.png")).expect("symlink");
    let (code, _, err) = r.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
}
