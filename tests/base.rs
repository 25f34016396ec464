//! `--base REF`: the working tree compared with the research repo at a git ref, read with gix.
//! The fixtures are real git repos made with the `git` CLI (allowed in tests; rescore itself
//! never runs git).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use tempfile::TempDir;

fn edit(path: &Path, find: &str, replace: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"));
    assert!(text.contains(find), "{find:?} not in {}", path.display());
    std::fs::write(path, text.replacen(find, replace, 1)).expect("write");
}

/// Runs git in `dir` with a fixed identity and no user or system config; returns stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .args([
            "-c",
            "user.name=rescore test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rescore ARGS` with cwd `dir` (no `--root` unless given in `args`).
fn rescore(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rescore")
        .expect("binary")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("run rescore");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ids(doc: &serde_json::Value, status: &str) -> Vec<String> {
    let mut v: Vec<String> = doc[status]
        .as_array()
        .unwrap_or_else(|| panic!("no `{status}` in {doc}"))
        .iter()
        .map(|t| t["thesis"].as_str().expect("thesis").to_string())
        .collect();
    v.sort();
    v
}

/// A git repo whose research repo is `sub` (""= the git root):
/// on `main`, the example accepted by `rescore init`, then a commit that leaves
/// `latent-planning-wins`, `hybrid-world-models` and `world-model-agents` stale (jepa's planning
/// claim weakened without a re-score). Returns (temp dir, git root).
fn fixture(sub: &str) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("rescore-base-")
        .tempdir()
        .expect("tempdir");
    let git_root = tmp.path().join("repo");
    let research = git_root.join(sub);
    common::copy_example(&research);
    git(&git_root, &["init", "-q", "-b", "main"]);
    let (code, _, err) = rescore(&research, &["init"]);
    assert_eq!(code, 0, "init: {err}");
    git(&git_root, &["add", "-A"]);
    git(
        &git_root,
        &["commit", "-q", "-m", "research repo, accepted"],
    );
    edit(
        &research.join("concepts/jepa.md"),
        "Evidence: moderate (two labs, small task set)",
        "Evidence: weak (two labs, small task set)",
    );
    git(
        &git_root,
        &["commit", "-q", "-am", "weaker planning evidence on main"],
    );
    (tmp, git_root)
}

/// The branch's edit: the videoscience claim drops from strong to weak.
fn branch_edit(research: &Path) {
    edit(
        &research.join("concepts/generative-world-models.md"),
        "Evidence: strong ([[VideoScience-Bench]])",
        "Evidence: weak ([[VideoScience-Bench]])",
    );
}

/// What the branch newly flags: only the theses the videoscience claim reaches that were not
/// already stale on main (`world-model-agents` and `latent-planning-wins` were).
const NEWLY: [&str; 2] = ["physics-wall", "scaling-is-not-enough"];

fn assert_newly(doc: &serde_json::Value) {
    assert_eq!(ids(doc, "stale"), NEWLY, "{doc:#}");
    assert!(ids(doc, "pending").is_empty(), "{doc:#}");
    assert!(ids(doc, "unscored").is_empty(), "{doc:#}");
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

#[test]
fn dry_run_base_names_exactly_the_newly_flagged_theses() {
    let (_tmp, root) = fixture("");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    branch_edit(&root);
    git(
        &root,
        &["commit", "-q", "-am", "weaker videoscience evidence"],
    );
    let before = git(&root, &["status", "--porcelain", "--ignored"]);

    // Without --base, everything stale relative to the lock shows.
    let (_, out, _) = rescore(&root, &["check", "--format", "json"]);
    let all = ids(&json(&out), "stale");
    assert!(all.len() > NEWLY.len(), "{all:?}");

    let (code, out, err) = rescore(&root, &["--dry-run", "--base", "main", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_newly(&json(&out));

    // `check --base` is the gate on the same set.
    let (code, out, err) = rescore(&root, &["check", "--base", "main", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_newly(&json(&out));

    // Uncommitted edits count too: the working tree is compared, not the branch tip.
    git(&root, &["checkout", "-q", "main"]);
    let (code, out, _) = rescore(&root, &["check", "--base", "main", "--format", "json"]);
    assert_eq!(code, 0, "main against itself flags nothing new:\n{out}");
    branch_edit(&root);
    let (_, out, _) = rescore(&root, &["check", "--base", "main", "--format", "json"]);
    assert_newly(&json(&out));
    edit(
        &root.join("concepts/generative-world-models.md"),
        "Evidence: weak ([[VideoScience-Bench]])",
        "Evidence: strong ([[VideoScience-Bench]])",
    );
    git(&root, &["checkout", "-q", "feature"]);

    // Reading the base writes nothing: not a file, not the index, not a ref; and the default
    // command with --base (even without --dry-run) writes no warning blocks either.
    let (code, out, err) = rescore(&root, &["--base", "main", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_newly(&json(&out));
    // The plain `check` above left only its own cache, which git ignores.
    let after = git(&root, &["status", "--porcelain", "--ignored"]);
    assert_eq!(after.replacen("!! .rescore/\n", "", 1), before);
}

#[test]
fn human_output_is_stable() {
    let (_tmp, root) = fixture("");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    branch_edit(&root);
    let (code, out, err) = rescore(&root, &["--dry-run", "--base", "main"]);
    assert_eq!(code, 0, "{err}");
    let tmp = root.to_string_lossy().into_owned();
    insta::with_settings!({ filters => vec![(tmp.as_str(), "[ROOT]")] }, {
        insta::assert_snapshot!("dry_run_base_main_human", out);
    });
    // --exit-code turns newly flagged theses into exit 1.
    let (code, _, _) = rescore(&root, &["--dry-run", "--base", "main", "--exit-code"]);
    assert_eq!(code, 1);
}

#[test]
fn works_from_a_subfolder_with_root_discovery() {
    let (_tmp, git_root) = fixture("research");
    git(&git_root, &["checkout", "-q", "-b", "feature"]);
    let research = git_root.join("research");
    branch_edit(&research);
    git(
        &git_root,
        &["commit", "-q", "-am", "weaker videoscience evidence"],
    );
    // cwd deep inside the research repo; no --root: rescore.toml is found upward, and the git
    // repo upward from there.
    let (code, out, err) = rescore(
        &research.join("concepts"),
        &["--dry-run", "--base", "main", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert_newly(&json(&out));
}

#[test]
fn works_in_a_linked_worktree() {
    let (tmp, main_root) = fixture("research");
    let wt = tmp.path().join("wt");
    git(
        &main_root,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            wt.to_str().expect("utf-8"),
            "main",
        ],
    );
    let research = wt.join("research");
    branch_edit(&research);
    git(
        &wt,
        &["commit", "-q", "-am", "weaker videoscience evidence"],
    );
    let (code, out, err) = rescore(&research, &["check", "--base", "main", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_newly(&json(&out));
}

#[test]
fn a_missing_ref_exits_2_with_a_hint() {
    let (_tmp, root) = fixture("");
    let (code, out, err) = rescore(&root, &["check", "--base", "no-such-branch"]);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("git-ref"), "{err}");
    assert!(err.contains("no-such-branch"), "{err}");
    assert!(err.contains("hint:"), "{err}");

    // As JSON, the diagnostic is machine-readable.
    let (code, _, err) = rescore(&root, &["--dry-run", "--base", "nope", "--format", "json"]);
    assert_eq!(code, 2);
    let d = json(err.lines().next().expect("a line"));
    assert_eq!(d["diagnostic"]["code"], "git-ref");
}

#[test]
fn a_shallow_clone_without_the_ref_says_to_fetch_it() {
    let (tmp, root) = fixture("");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    branch_edit(&root);
    git(
        &root,
        &["commit", "-q", "-am", "weaker videoscience evidence"],
    );
    let url = format!("file://{}", root.display());
    git(
        tmp.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "shallow",
        ],
    );
    let shallow = tmp.path().join("shallow");
    let (code, _, err) = rescore(&shallow, &["check", "--base", "origin/main"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shallow"), "{err}");
    assert!(err.contains("git fetch origin main"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");

    // Naming the local branch where only the remote one exists: the hint says which to use.
    git(
        &shallow,
        &["fetch", "-q", "origin", "main:refs/remotes/origin/main"],
    );
    let (code, _, err) = rescore(&shallow, &["check", "--base", "main"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use `--base origin/main`"), "{err}");

    // Once fetched, `--base origin/main` works.
    let (code, out, err) = rescore(
        &shallow,
        &["check", "--base", "origin/main", "--format", "json"],
    );
    assert_eq!(code, 1, "{err}");
    assert_newly(&json(&out));
}

#[test]
fn outside_a_git_repo_is_a_git_ref_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    common::copy_example(tmp.path());
    let (code, _, err) = rescore(
        tmp.path(),
        &[
            "check",
            "--base",
            "main",
            "--root",
            tmp.path().to_str().expect("utf-8"),
        ],
    );
    // A temp dir can sit inside some git checkout on a developer machine; then the ref may
    // still be missing. Either way it is a git-ref error, exit 2.
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("git-ref"), "{err}");
}

#[test]
fn job_summary_is_appended_in_github_actions() {
    let (tmp, root) = fixture("");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    branch_edit(&root);
    let summary = tmp.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let out = Command::cargo_bin("rescore")
        .expect("binary")
        .args(["check", "--base", "main", "--format", "github"])
        .current_dir(&root)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::error file=theses/physics-wall.md,line="),
        "{stdout}"
    );
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        md.starts_with("earlier step\n"),
        "appended, not replaced:\n{md}"
    );
    assert!(
        md.contains("### rescore: 2 stale, 0 pending, 0 unscored"),
        "{md}"
    );
    assert!(md.contains("Compared with `main`"), "{md}");
    assert!(
        md.contains("| Thesis | Status | Page | Why, and the next step |"),
        "{md}"
    );
    for t in NEWLY {
        assert!(
            md.contains(&format!("| `{t}` | stale | `theses/{t}.md:")),
            "{md}"
        );
    }
    assert!(
        md.contains("generative-world-models#videoscience-bench"),
        "{md}"
    );
}

// ---- CI outputs: JUnit XML, the example workflow, the pre-commit hooks ----

/// A parsed XML element: name, attributes, children, and text.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: std::collections::BTreeMap<String, String>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn attr(&self, k: &str) -> &str {
        self.attrs
            .get(k)
            .unwrap_or_else(|| panic!("<{}> has no {k}", self.name))
    }
    fn all(&self, name: &str) -> Vec<&El> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// Parses a whole document with quick-xml (well-formedness is checked: mismatched or unclosed
/// tags and bad escapes are errors).
fn parse_xml(text: &str) -> El {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![El::default()];
    let attrs = |e: &quick_xml::events::BytesStart| {
        e.attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8"),
                    a.unescape_value().expect("escaped value").into_owned(),
                )
            })
            .collect()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(El {
                name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8"),
                attrs: attrs(&e),
                ..El::default()
            }),
            Event::Empty(e) => {
                let el = El {
                    name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8"),
                    attrs: attrs(&e),
                    ..El::default()
                };
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Text(t) => {
                let s = t.decode().expect("text");
                let s = quick_xml::escape::unescape(&s)
                    .expect("escapes")
                    .into_owned();
                stack.last_mut().expect("element").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().expect("ref");
                let ch = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unknown entity &{other};"),
                };
                stack.last_mut().expect("element").text.push_str(ch);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().expect("document");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().expect("root")
}

#[test]
fn junit_has_the_common_shape_and_counts() {
    let (_tmp, root) = fixture("");
    let (code, out, err) = rescore(&root, &["check", "--format", "junit"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let suites = parse_xml(&out);
    assert_eq!(suites.name, "testsuites");
    let suite = suites.all("testsuite");
    assert_eq!(suite.len(), 1);
    let suite = suite[0];
    let cases = suite.all("testcase");
    assert_eq!(cases.len(), 7, "one test case per thesis");
    let failing: Vec<&str> = cases
        .iter()
        .filter(|c| !c.all("failure").is_empty())
        .map(|c| c.attr("name"))
        .collect();
    // jepa's planning claim was weakened on main without a re-score.
    assert_eq!(
        failing,
        [
            "hybrid-world-models",
            "latent-planning-wins",
            "world-model-agents"
        ]
    );
    for el in [&suites, suite] {
        assert_eq!(el.attr("tests"), "7");
        assert_eq!(el.attr("failures"), "3");
    }
    let f = &cases
        .iter()
        .find(|c| c.attr("name") == "latent-planning-wins")
        .expect("case")
        .all("failure")[0];
    assert_eq!(f.attr("type"), "stale");
    assert!(f.attr("message").contains("latent-planning-wins is stale"));
    assert!(
        f.text
            .contains("jepa#vjepa2-ac-planning: evidence moderate → weak"),
        "{}",
        f.text
    );
    for c in &cases {
        assert_eq!(c.attr("classname"), "rescore.thesis");
        assert!(c.attr("file").starts_with("theses/"));
        assert!(c.attr("line").parse::<u32>().is_ok());
    }

    // Clean: still a valid document, zero failures.
    let (_tmp2, clean) = fixture("");
    git(&clean, &["checkout", "-q", "HEAD~1"]);
    let (code, out, _) = rescore(&clean, &["check", "--format", "junit"]);
    assert_eq!(code, 0);
    let suites = parse_xml(&out);
    assert_eq!(suites.attr("failures"), "0");
    assert_eq!(suites.all("testsuite")[0].all("testcase").len(), 7);
}
