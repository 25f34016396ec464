//! Shared helpers for the integration tests: temp copies of the example repo, tiny repos built
//! from (path, text) pairs, running the real binary, and byte-exact file edits.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The shipped example research repo.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models")
}

/// A research repo in a temp dir, removed on drop.
pub struct TempRepo {
    pub dir: TempDir,
}

impl TempRepo {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The binary with `--root` set to this repo.
    pub fn cmd(&self) -> Command {
        rescore_in(self.root())
    }

    /// Runs `rescore ARGS --root THIS` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        run_in(self.root(), args)
    }

    /// Runs and asserts the exit code; returns stdout.
    pub fn ok(&self, args: &[&str], code: i32) -> String {
        let (got, out, err) = self.run(args);
        assert_eq!(
            got, code,
            "rescore {args:?} exited {got}, expected {code}\nstdout:\n{out}\nstderr:\n{err}"
        );
        out
    }

    /// `check --format json`, parsed.
    pub fn check_json(&self) -> serde_json::Value {
        let (_, out, err) = self.run(&["check", "--format", "json"]);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("check json did not parse: {e}\n{out}\nstderr:\n{err}"))
    }

    /// Sorted thesis ids under one status key (`stale`, `pending`, `unscored`) of `check --format json`.
    pub fn ids(&self, status: &str) -> Vec<String> {
        ids(&self.check_json(), status)
    }

    /// Replaces `find` by `replace` in one file (first occurrence), asserting the needle exists.
    pub fn edit(&self, rel: &str, find: &str, replace: &str) {
        edit(&self.path(rel), find, replace);
    }

    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn read_str(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).expect("utf-8")
    }

    /// Every file below the root, relative path → bytes.
    pub fn tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        tree(self.root())
    }
}

/// Sorted thesis ids under one status key of a `check --format json` document.
pub fn ids(doc: &serde_json::Value, status: &str) -> Vec<String> {
    let mut v: Vec<String> = doc[status]
        .as_array()
        .unwrap_or_else(|| panic!("no `{status}` array in {doc}"))
        .iter()
        .map(|t| t["thesis"].as_str().expect("thesis id").to_string())
        .collect();
    v.sort();
    v
}

/// A temp copy of examples/world-models.
pub fn example() -> TempRepo {
    let dir = tempfile::Builder::new()
        .prefix("rescore-test-")
        .tempdir()
        .expect("tempdir");
    copy_example(dir.path());
    TempRepo { dir }
}

/// Makes `dir` a git repo (on `main`), as a team's research repo is: the lock names a claim's
/// accepted text by its page's git blob, and `check` reads it from there.
pub fn git_init(dir: &Path) {
    let (ok, out) = git_try(dir, &["init", "-q", "-b", "main"]);
    assert!(ok, "git init: {out}");
}

/// Copies the example research repo without its shipped lock, so each test sets its own
/// baseline.
pub fn copy_example(to: &Path) {
    copy_dir(&example_dir(), to);
    let _ = std::fs::remove_file(to.join("rescore.lock"));
    let _ = std::fs::remove_dir_all(to.join("rescore.lock.d"));
}

/// A temp copy of the example after a successful `rescore init`.
pub fn example_init() -> TempRepo {
    let repo = example();
    repo.ok(&["init"], 0);
    assert!(repo.path("rescore.lock").is_file(), "init wrote no lock");
    repo
}

/// A temp repo from (relative path, text) pairs.
pub fn tiny(files: &[(&str, &str)]) -> TempRepo {
    let dir = tempfile::Builder::new()
        .prefix("rescore-test-")
        .tempdir()
        .expect("tempdir");
    let repo = TempRepo { dir };
    for (rel, text) in files {
        repo.write(rel, text);
    }
    repo
}

/// `tiny` in a git repo, where `check` reads the accepted text of a reworded claim back.
pub fn tiny_git(files: &[(&str, &str)]) -> TempRepo {
    let repo = tiny(files);
    git_init(repo.root());
    repo
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        // A check run in place leaves its cache; a copy starts without one.
        if entry.file_name() == ".rescore" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The binary, with `--root ROOT`, no colour and no inherited log filter.
pub fn rescore_in(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rescore").expect("the rescore binary");
    cmd.arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        // Hermetic under GitHub Actions: no job summary appended by the tests' runs.
        .env_remove("GITHUB_STEP_SUMMARY")
        .current_dir(root);
    cmd
}

pub fn run_in(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = rescore_in(root).args(args).output().expect("run rescore");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replaces the first `find` in a file, asserting it was there.
pub fn edit(path: &Path, find: &str, replace: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"));
    assert!(
        text.contains(find),
        "needle {find:?} not found in {}",
        path.display()
    );
    std::fs::write(path, text.replacen(find, replace, 1)).expect("write");
}

pub fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let p = entry.path();
            if entry.file_type().expect("type").is_dir() {
                if entry.file_name() != ".git" {
                    walk(root, &p, out);
                }
            } else {
                let rel = p.strip_prefix(root).expect("below root").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Runs git in `dir` with a fixed identity and no user or system configuration; returns
/// (success, stdout + stderr).
pub fn git_try(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "rescore test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "rescore test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A research repo loaded in memory from (path, text) pages, with the default settings.
pub fn load_pages(pages: &[(PathBuf, String)]) -> rescore::load::Repo {
    load_pages_at(Path::new("."), pages)
}

/// `load_pages` for a repo rooted at `root` (where `check` would look for its git repo).
pub fn load_pages_at(root: &Path, pages: &[(PathBuf, String)]) -> rescore::load::Repo {
    let (config, rules) =
        rescore::load::settings(None, &|_| None).unwrap_or_else(|d| panic!("settings: {d:?}"));
    let files = pages
        .iter()
        .map(|(p, t)| (p.clone(), Ok(t.clone())))
        .collect();
    rescore::load::build(root.to_path_buf(), config, rules, files)
}

/// A page's text with its backlinks block (and the blank line before it) taken out, as the
/// page was before `rescore backlinks --write`. Panics when the page has none.
pub fn without_backlinks(text: &str) -> String {
    let begin = text
        .find("\n<!-- rescore:backlinks:begin")
        .expect("the page has a backlinks block");
    let end_marker = "<!-- rescore:backlinks:end -->\n";
    let end = text.find(end_marker).expect("end marker") + end_marker.len();
    format!("{}{}", &text[..begin], &text[end..])
}

/// The names of rescore's temp files (`.rescore-*.tmp`) directly in `dir`.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            (name.starts_with(".rescore-") && name.ends_with(".tmp")).then_some(name)
        })
        .collect()
}
