//! Loading (issue 3): the parsed model of the example repo, its drawings, and one test per input
//! diagnostic: each on a tiny repo, exit 2, located at `path:line:col` with its code.

mod common;

use common::{example_dir, rescore_in, tiny, TempRepo};

fn stdout_of(args: &[&str]) -> String {
    let out = rescore_in(&example_dir())
        .args(args)
        .output()
        .expect("run rescore");
    assert_eq!(
        out.status.code(),
        Some(0),
        "rescore {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

#[test]
fn ls_json_of_the_example() {
    let out = stdout_of(&["ls", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    // Every path is relative to the root: nothing machine-specific to redact.
    for n in doc["nodes"].as_array().expect("nodes") {
        let p = n["path"].as_str().expect("path");
        assert!(!p.starts_with('/') && !p.contains('\\'), "{p}");
    }
    insta::assert_json_snapshot!("ls_json", doc);
}

#[test]
fn ls_json_kind_filter_lists_only_that_kind() {
    let out = stdout_of(&["ls", "--kind", "thesis", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mut keys: Vec<&str> = doc["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .inspect(|n| assert_eq!(n["kind"], "thesis"))
        .map(|n| n["key"].as_str().expect("key"))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "genie-platform",
            "hybrid-world-models",
            "latent-planning-wins",
            "physics-wall",
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
}

#[test]
fn graph_mermaid_of_the_example() {
    insta::assert_snapshot!(
        "graph_mermaid",
        stdout_of(&["graph", "--format", "mermaid"])
    );
}

#[test]
fn graph_dot_of_the_example() {
    let dot = stdout_of(&["graph", "--format", "dot"]);
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'));
    insta::assert_snapshot!("graph_dot", dot);
}

/// Runs `check` on a repo that must not load: exit 2, nothing on stdout; returns stderr.
fn fails(repo: &TempRepo) -> String {
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "expected exit 2\nstdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.is_empty(),
        "a failed load reported verdicts anyway:\n{out}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Asserts a header line `error[CODE]: LOC: …` is in stderr and returns that line.
fn header<'a>(err: &'a str, code: &str, loc: &str) -> &'a str {
    let want = format!("error[{code}]: {loc}: ");
    err.lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no `{want}` line in stderr:\n{err}"))
}

const CONCEPT_A: &str = "+++\nkind = \"concept\"\n+++\n# A\n\n- Claim about widgets at 5 units. {#widgets}\n  Evidence: strong ([[S]])\n";
const SOURCE_S: &str = "+++\nkind = \"source\"\n+++\n# S\n";

fn thesis(body: &str) -> String {
    format!("+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n{body}\n")
}

#[test]
fn cycle_in_part_of_prints_every_hop() {
    let repo = tiny(&[
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\npart_of = [\"b\"]\n+++\n# A\n",
        ),
        (
            "concepts/b.md",
            "+++\nkind = \"concept\"\nstatus = \"open\"\npart_of = [\"a\"]\n+++\n# B\n",
        ),
    ]);
    let err = fails(&repo);
    let h = header(&err, "cycle", "concepts/a.md:3:1");
    assert!(h.contains("a → b → a"), "{h}");
    assert!(
        err.contains("note: concepts/a.md:3:1: a --part_of--> b"),
        "{err}"
    );
    assert!(
        err.contains("note: concepts/b.md:4:1: b --part_of--> a"),
        "{err}"
    );
}

#[test]
fn cycle_of_three_concepts_lists_three_hops() {
    let page = |id: &str, parent: &str| {
        format!("+++\nkind = \"concept\"\npart_of = [\"{parent}\"]\n+++\n# {id}\n")
    };
    let (a, b, c) = (page("a", "b"), page("b", "c"), page("c", "a"));
    let repo = tiny(&[
        ("concepts/a.md", &a),
        ("concepts/b.md", &b),
        ("concepts/c.md", &c),
    ]);
    let err = fails(&repo);
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("--part_of-->")).collect();
    assert_eq!(notes.len(), 3, "{err}");
    for hop in ["a --part_of--> b", "b --part_of--> c", "c --part_of--> a"] {
        let file = &hop[..1];
        assert!(
            err.contains(&format!("concepts/{file}.md:3:1: {hop}")),
            "missing hop {hop}:\n{err}"
        );
    }
}

#[test]
fn related_links_both_ways_are_not_a_cycle() {
    let repo = tiny(&[
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\n+++\n# A\n\n## Related Concepts\n\n- [[b]]\n",
        ),
        (
            "concepts/b.md",
            "+++\nkind = \"concept\"\n+++\n# B\n\n## Related Concepts\n\n- [[a]]\n",
        ),
    ]);
    repo.ok(&["check"], 0);
}

#[test]
fn link_to_no_page() {
    let body = "- Wiki: [[ghost]]\n- Path: [G](../concepts/ghost.md)";
    let t = thesis(body);
    let repo = tiny(&[("theses/t.md", &t), ("concepts/a.md", CONCEPT_A)]);
    let err = fails(&repo);
    header(&err, "link-to-no-page", "theses/t.md:7:9");
    header(&err, "link-to-no-page", "theses/t.md:8:9");
}

/// A link keeps no copy of its text: the message rebuilds it from the target and anchor (a
/// markdown link's destination relative to the page, its text left out), and names a front
/// matter value as written. The snippet under it shows the line itself.
#[test]
fn link_to_no_page_shows_the_link_as_written() {
    let t = "+++\nkind = \"thesis\"\nscore = 0.5\ndepends_on = [\"gone#k1\"]\n+++\n# T\n\n\
             - Wiki: [[ghost#k2|the ghost]]\n\
             - Here: [G](./ghost.md#k3)\n\
             - Up: [G](../concepts/../concepts/ghost%20page.md)\n";
    let repo = tiny(&[("theses/t.md", t), ("concepts/a.md", CONCEPT_A)]);
    let err = fails(&repo);
    let message = |loc| {
        let h = header(&err, "link-to-no-page", loc);
        h.split_once(": link ").map_or(h, |(_, m)| m)
    };
    assert_eq!(message("theses/t.md:4:1"), "gone#k1 resolves to no page");
    assert_eq!(
        message("theses/t.md:8:9"),
        "[[ghost#k2]] resolves to no page"
    );
    assert_eq!(
        message("theses/t.md:9:9"),
        "[…](ghost.md#k3) resolves to no page"
    );
    assert_eq!(
        message("theses/t.md:10:7"),
        "[…](../concepts/ghost page.md) resolves to no page"
    );
    assert!(
        err.contains("[G](./ghost.md#k3)"),
        "the snippet shows the line:\n{err}"
    );
}

#[test]
fn link_to_no_page_suggests_a_near_id() {
    let t = thesis("- [[conceptt-a]]");
    let repo = tiny(&[("theses/t.md", &t), ("concepts/concept-a.md", CONCEPT_A)]);
    let err = fails(&repo);
    header(&err, "link-to-no-page", "theses/t.md:7:3");
    assert!(err.contains("did you mean `concept-a`?"), "{err}");
}

#[test]
fn anchor_to_no_claim_or_row() {
    let t = thesis("- [[a#widgits]]\n- [[a#rows@none]]");
    let repo = tiny(&[
        ("theses/t.md", &t),
        ("concepts/a.md", CONCEPT_A),
        ("sources/s.md", SOURCE_S),
    ]);
    let err = fails(&repo);
    header(&err, "anchor-to-no-claim", "theses/t.md:7:3");
    header(&err, "anchor-to-no-claim", "theses/t.md:8:3");
    assert!(err.contains("did you mean `#widgets`?"), "{err}");
}

#[test]
fn bad_toml_front_matter() {
    let repo = tiny(&[(
        "concepts/a.md",
        "+++\nkind = \"concept\"\nstatus = active\n+++\n# A\n",
    )]);
    let err = fails(&repo);
    header(&err, "bad-front-matter", "concepts/a.md:3:10");
}

#[test]
fn bad_yaml_front_matter() {
    let repo = tiny(&[("theses/t.md", "---\nkind: thesis\nscore: [0.5\n---\n# T\n")]);
    let err = fails(&repo);
    // Located in the file (line 3, the bracket's column), not inside the front matter block.
    let h = header(&err, "bad-front-matter", "theses/t.md:3:8");
    assert!(
        !h.contains("line 2"),
        "a front-matter-relative line leaked: {h}"
    );
    // The snippet points where the header does.
    assert!(err.contains("╭─[theses/t.md:3:8]"), "{err}");
}

#[test]
fn bad_yaml_front_matter_unclosed_quote() {
    let repo = tiny(&[(
        "theses/t.md",
        "---\nkind: thesis\nscore: 0.5\ntitle: \"unterminated\n---\n# T\n",
    )]);
    let err = fails(&repo);
    header(&err, "bad-front-matter", "theses/t.md:4:8");
}

#[test]
fn unterminated_front_matter() {
    let repo = tiny(&[("concepts/a.md", "+++\nkind = \"concept\"\n# A\n")]);
    let err = fails(&repo);
    header(&err, "unterminated-front-matter", "concepts/a.md:1:1");
}

#[test]
fn unknown_kind_suggests_the_near_one() {
    let repo = tiny(&[(
        "notes/t.md",
        "+++\ntitle = \"T\"\nkind = \"thesys\"\n+++\n# T\n",
    )]);
    let err = fails(&repo);
    header(&err, "unknown-kind", "notes/t.md:3:1");
    assert!(err.contains("did you mean `thesis`?"), "{err}");
}

#[test]
fn two_pages_with_one_id_name_both_files() {
    let repo = tiny(&[
        ("concepts/a.md", CONCEPT_A),
        ("sources/s.md", SOURCE_S),
        (
            "sources/other.md",
            "+++\nkind = \"source\"\nid = \"a\"\n+++\n# Other\n",
        ),
    ]);
    let err = fails(&repo);
    // Pages load in path order: the source is the second holder of `a`.
    let h = header(&err, "duplicate-id", "sources/other.md:5:1");
    assert!(h.contains("concepts/a.md"), "{h}");
    assert!(err.contains("note: concepts/a.md:4:1"), "{err}");
}

#[test]
fn thesis_without_a_score() {
    let repo = tiny(&[(
        "theses/t.md",
        "+++\nkind = \"thesis\"\nscored = 2026-10-01\n+++\n# Missing score\n",
    )]);
    let err = fails(&repo);
    let h = header(&err, "thesis-without-score", "theses/t.md:5:1");
    assert!(h.contains("no score"), "{h}");
}

#[test]
fn thesis_with_a_quoted_score() {
    let repo = tiny(&[(
        "theses/t.md",
        "+++\nkind = \"thesis\"\nscore = \"0.62\"\n+++\n# Quoted\n",
    )]);
    let err = fails(&repo);
    let h = header(&err, "thesis-without-score", "theses/t.md:3:1");
    assert!(h.contains("not a number"), "{h}");
}

#[test]
fn thesis_with_a_yaml_string_score() {
    let repo = tiny(&[(
        "theses/t.md",
        "---\nkind: thesis\nscore: high\n---\n# Word\n",
    )]);
    let err = fails(&repo);
    header(&err, "thesis-without-score", "theses/t.md:3:1");
}

#[test]
fn thesis_with_a_nan_or_infinite_score() {
    for value in ["nan", "inf", "-inf"] {
        let page = format!("+++\nkind = \"thesis\"\nscore = {value}\n+++\n# Not finite\n");
        let repo = tiny(&[("theses/t.md", &page)]);
        let err = fails(&repo);
        // Reported at the score key, not as a missing score at the title.
        let h = header(&err, "thesis-without-score", "theses/t.md:3:1");
        assert!(h.contains("not a number"), "{value}: {h}");
    }
}

#[test]
fn unknown_evidence_level_says_did_you_mean() {
    let repo = tiny(&[
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\n+++\n# A\n\n- A claim about 5 widgets.\n  Evidence: strnog ([[s]])\n",
        ),
        ("sources/s.md", SOURCE_S),
    ]);
    let err = fails(&repo);
    let h = header(&err, "unknown-evidence-level", "concepts/a.md:7:13");
    assert!(h.contains("`strnog`"), "{h}");
    assert!(err.contains("did you mean `strong`?"), "{err}");
}

#[test]
fn unknown_key_in_rescore_toml() {
    let repo = tiny(&[
        (
            "rescore.toml",
            "exclude = []\n\n[rules]\nflag_att = \"major\"\n",
        ),
        ("concepts/a.md", CONCEPT_A),
    ]);
    let err = fails(&repo);
    let h = header(&err, "bad-toml", "rescore.toml:4:1");
    assert!(h.contains("flag_att"), "{h}");
    assert!(err.contains("did you mean `flag_at`?"), "{err}");
}

#[test]
fn every_diagnostic_of_one_run_is_reported() {
    let t = thesis("- [[ghost]]");
    let repo = tiny(&[
        ("theses/t.md", &t),
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\n+++\n# A\n\n- A claim about 5 widgets.\n  Evidence: strnog ([[s]])\n",
        ),
        ("sources/s.md", SOURCE_S),
        ("concepts/b.md", "+++\nkind = \"concept\"\nstatus = active\n+++\n# B\n"),
    ]);
    let err = fails(&repo);
    header(&err, "link-to-no-page", "theses/t.md:7:3");
    header(&err, "unknown-evidence-level", "concepts/a.md:7:13");
    header(&err, "bad-front-matter", "concepts/b.md:3:10");
    let n = err.lines().filter(|l| l.starts_with("error[")).count();
    assert_eq!(n, 3, "{err}");
}

#[test]
fn diagnostics_as_json_lines_carry_the_location() {
    let t = thesis("- [[ghost]]");
    let repo = tiny(&[("theses/t.md", &t)]);
    let (code, _, err) = repo.run(&["check", "--format", "json"]);
    assert_eq!(code, 2);
    let d: serde_json::Value =
        serde_json::from_str(err.lines().next().expect("a line")).expect("one JSON object a line");
    let d = &d["diagnostic"];
    assert_eq!(d["code"], "link-to-no-page");
    assert_eq!(d["path"], "theses/t.md");
    assert_eq!((d["line"].as_u64(), d["col"].as_u64()), (Some(7), Some(3)));
    assert!(!d["expected"].as_str().expect("expected").is_empty());
}

/// Full stderr, with the temp dir (should it ever appear) redacted.
fn snapshot_stderr(name: &str, repo: &TempRepo, err: &str) {
    let root = repo.root().display().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&root), "[ROOT]");
    settings.bind(|| insta::assert_snapshot!(name, err));
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[test]
fn cycle_stderr_snapshot() {
    let repo = tiny(&[
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\npart_of = [\"b\"]\n+++\n# A\n",
        ),
        (
            "concepts/b.md",
            "+++\nkind = \"concept\"\npart_of = [\"a\"]\n+++\n# B\n",
        ),
    ]);
    let err = fails(&repo);
    snapshot_stderr("cycle_stderr", &repo, &err);
}

#[test]
fn three_errors_stderr_snapshot() {
    let t = thesis("- [[ghost]]");
    let repo = tiny(&[
        ("theses/t.md", &t),
        (
            "concepts/a.md",
            "+++\nkind = \"concept\"\n+++\n# A\n\n- A claim about 5 widgets.\n  Evidence: strnog ([[s]])\n",
        ),
        ("sources/s.md", SOURCE_S),
        ("concepts/b.md", "+++\nkind = \"concept\"\nstatus = active\n+++\n# B\n"),
    ]);
    let err = fails(&repo);
    snapshot_stderr("three_errors_stderr", &repo, &err);
}

fn git(dir: &std::path::Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A git repo of the example whose HEAD has `committed` in place of a good evidence line, and
/// whose working tree has it fixed (plus a new unscored thesis when `new_thesis`).
fn git_repo(committed: &str, new_thesis: bool) -> Option<TempRepo> {
    const GOOD: &str = "Evidence: strong ([[AD Survey]])";
    let repo = common::example();
    if !git(repo.root(), &["init", "-q"]) {
        return None;
    }
    repo.ok(&["init", "-q"], 0);
    let gwm = "concepts/generative-world-models.md";
    repo.edit(gwm, GOOD, committed);
    assert!(git(repo.root(), &["add", "-A"]));
    assert!(git(repo.root(), &["commit", "-qm", "base"]));
    repo.edit(gwm, committed, GOOD);
    if new_thesis {
        repo.write(
            "theses/new.md",
            "+++\nkind = \"thesis\"\nscore = 0.3\n+++\n# New\n\n- [[jepa]]\n",
        );
    }
    Some(repo)
}

/// The one warning rescore has: `--base REF` whose tree has input errors. It is printed, and the
/// exit code is what it would be without it.
#[test]
fn warnings_do_not_change_the_exit_code() {
    for (new_thesis, code) in [(false, 0), (true, 1)] {
        let Some(broken) = git_repo("Evidence: strnog ([[AD Survey]])", new_thesis) else {
            eprintln!("skipped: no git");
            return;
        };
        let (got, out, err) = broken.run(&["check", "--base", "HEAD"]);
        assert!(err.contains("warning[git-ref]"), "no warning:\n{err}");
        assert!(!err.contains("error["), "{err}");
        assert_eq!(got, code, "with the warning:\n{out}\n{err}");
        // The same comparison against a clean base: no warning, same exit code.
        let clean = git_repo("Evidence: high ([[AD Survey]])", new_thesis).expect("git");
        let (got, out, err) = clean.run(&["check", "--base", "HEAD"]);
        assert!(!err.contains("warning["), "{err}");
        assert_eq!(got, code, "without the warning:\n{out}\n{err}");
    }
}
