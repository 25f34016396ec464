//! `--base REF`: the research repo as it is at a git ref, read with gix into memory (nothing is
//! written, no `git` process is run), and the comparison that says what this branch newly flags.
//!
//! The git repo is discovered upward from the research root, so the root may sit in a subfolder
//! of it, and a linked worktree (`git worktree add`) reads the shared object store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::FILE_NAME as CONFIG;
use crate::diag::{Code, Diagnostic, Pos};
use crate::eval::{self, Evaluation};
use crate::load::{self, Repo};
use crate::lock::{self, Lock};

/// Files of the research root at a ref: path relative to the root → bytes.
pub type Files = BTreeMap<PathBuf, Vec<u8>>;

fn git_error(rev: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::GitRef, Path::new("."), Pos::at(1, 1), message).expected(format!(
        "`--base {rev}` to name a commit, branch or tag of the git repo holding the research repo"
    ))
}

fn fetch_hint(rev: &str) -> String {
    let remote_ref = rev.strip_prefix("origin/").unwrap_or(rev);
    format!(
        "this is a shallow clone without `{rev}`: fetch it (`git fetch origin {remote_ref}`), or \
         in GitHub Actions check out with `fetch-depth: 0` (actions/checkout)"
    )
}

/// Reads every file below the research `root` as it is at `rev`.
pub fn files_at(root: &Path, rev: &str) -> Result<Files, Diagnostic> {
    let started = std::time::Instant::now();
    let root_abs = std::fs::canonicalize(root).map_err(|e| {
        git_error(
            rev,
            format!("cannot resolve the research root {}: {e}", root.display()),
        )
    })?;
    let repo = gix::discover(&root_abs).map_err(|e| {
        git_error(
            rev,
            format!(
                "--base needs a git repo, and none holds {}: {e}",
                root_abs.display()
            ),
        )
        .hint("run rescore inside a git checkout of the research repo, or drop --base to compare against rescore.lock")
    })?;
    let workdir = repo
        .workdir()
        .and_then(|w| std::fs::canonicalize(w).ok())
        .ok_or_else(|| {
            git_error(
                rev,
                "the git repo is bare: --base compares a working tree with a ref",
            )
        })?;
    let prefix = root_abs
        .strip_prefix(&workdir)
        .map_err(|_| {
            git_error(
                rev,
                format!(
                    "the research root {} is not inside the git working tree {}",
                    root_abs.display(),
                    workdir.display()
                ),
            )
        })?
        .to_path_buf();
    let shallow = repo.is_shallow().unwrap_or(false);
    // In CI the base branch usually exists only as a remote-tracking branch.
    let remote = format!("origin/{rev}");
    let has_remote = !rev.contains('/') && repo.rev_parse_single(remote.as_str()).is_ok();
    let missing = |detail: String| {
        let e = git_error(rev, detail);
        if has_remote {
            e.hint(format!(
                "the branch exists as `{remote}`: use `--base {remote}` (a CI checkout has the base branch only as a remote branch)"
            ))
        } else if shallow {
            e.hint(fetch_hint(rev))
        } else {
            e.hint(format!(
                "check the name (`git branch -a`, `git tag`); a remote branch may need `git fetch origin {}`",
                rev.strip_prefix("origin/").unwrap_or(rev)
            ))
        }
    };
    let id = repo
        .rev_parse_single(rev)
        .map_err(|e| missing(format!("no ref or commit `{rev}` in the git repo: {e}")))?;
    let object = id
        .object()
        .map_err(|e| missing(format!("`{rev}` names a missing object: {e}")))?;
    let tree = object
        .peel_to_tree()
        .map_err(|e| missing(format!("`{rev}` does not lead to a tree: {e}")))?;
    let mut files = Files::new();
    let start = if prefix.as_os_str().is_empty() {
        Some(tree.id)
    } else {
        match tree
            .lookup_entry_by_path(&prefix)
            .map_err(|e| missing(format!("cannot read `{rev}`: {e}")))?
        {
            Some(entry) if entry.mode().is_tree() => Some(entry.object_id()),
            // The research root did not exist at the ref: everything is new on this branch.
            _ => None,
        }
    };
    if let Some(start) = start {
        collect(&repo, start, PathBuf::new(), &mut files)
            .map_err(|e| missing(format!("cannot read the tree of `{rev}`: {e}")))?;
    }
    tracing::debug!(
        rev,
        prefix = %prefix.display(),
        files = files.len(),
        ms = started.elapsed().as_millis() as u64,
        "read base tree"
    );
    Ok(files)
}

fn collect(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    dir: PathBuf,
    out: &mut Files,
) -> Result<(), String> {
    let tree = repo.find_tree(tree).map_err(|e| e.to_string())?;
    let entries: Vec<(bool, bool, gix::ObjectId, String)> = tree
        .decode()
        .map_err(|e| e.to_string())?
        .entries
        .iter()
        .map(|e| {
            (
                e.mode.is_tree(),
                e.mode.is_blob(),
                e.oid.to_owned(),
                e.filename.to_string(),
            )
        })
        .collect();
    for (is_tree, is_blob, oid, name) in entries {
        let path = dir.join(&name);
        if is_tree {
            // `.git`-like and hidden folders are skipped, as the disk walk skips them.
            if !name.starts_with('.') {
                collect(repo, oid, path, out)?;
            }
        } else if is_blob && wanted(&path) {
            let blob = repo.find_blob(oid).map_err(|e| e.to_string())?;
            out.insert(path, blob.data.clone());
        }
    }
    Ok(())
}

/// Pages, config, rule files (any `.toml`) and the lock; nothing else is read.
fn wanted(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    !hidden
        && path
            .extension()
            .is_some_and(|x| x == "md" || x == "toml" || x == "lock")
}

/// A base repo and lock built from in-memory files.
pub struct Base {
    pub repo: Repo,
    pub lock: Lock,
}

/// Builds the research repo as it was at `rev` from `files` (see [`files_at`]).
pub fn build_base(root: &Path, rev: &str, files: &Files) -> Result<Base, Vec<Diagnostic>> {
    let text = |p: &Path| -> Option<Result<String, Diagnostic>> {
        files.get(p).map(|b| load::decode(p, b.clone()))
    };
    let config_text = text(Path::new(CONFIG)).transpose().map_err(|d| vec![d])?;
    let read = |p: &Path| text(p).and_then(Result::ok);
    let (config, rules) = load::settings(config_text.as_deref(), &read)?;
    let exclude = exclude_matcher(root, &config).map_err(|d| vec![d])?;
    let pages: Vec<(PathBuf, Result<String, Diagnostic>)> = files
        .keys()
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| !exclude.matched(p, false).is_ignore() && !excluded_dir(&exclude, p))
        .map(|p| (p.clone(), load::decode(p, files[p].clone())))
        .collect();
    let lock = match text(Path::new(lock::FILE_NAME)) {
        None => Lock::new(),
        Some(t) => {
            let shards = lock::shard_paths()
                .iter()
                .map(|p| text(p).unwrap_or(Ok(String::new())))
                .collect::<Result<Vec<String>, Diagnostic>>()
                .map_err(|d| vec![d])?;
            let main = t.map_err(|d| vec![d])?;
            Lock::parse(&lock::Files { main, shards })
        }
        .map_err(|d| {
            vec![Diagnostic {
                message: format!("at `{rev}`: {}", d.message),
                ..d
            }]
        })?,
    };
    let mut repo = load::build(root.to_path_buf(), config, rules, pages);
    repo.settle_dangling(&lock);
    Ok(Base { repo, lock })
}

fn exclude_matcher(
    root: &Path,
    config: &crate::config::Config,
) -> Result<ignore::overrides::Override, Diagnostic> {
    let mut b = ignore::overrides::OverrideBuilder::new(root);
    for (i, glob) in config.exclude.iter().enumerate() {
        b.add(&format!("!{glob}")).map_err(|e| {
            Diagnostic::bad_exclude(
                Path::new(CONFIG),
                config.spans.of(&format!("exclude[{i}]")),
                format!("exclude glob `{glob}`: {e}"),
            )
        })?;
    }
    b.build().map_err(|e| {
        Diagnostic::bad_exclude(
            Path::new(CONFIG),
            config.spans.of("exclude"),
            format!("exclude globs: {e}"),
        )
    })
}

/// Whether a folder above `p` is excluded (the disk walk never enters it).
fn excluded_dir(ov: &ignore::overrides::Override, p: &Path) -> bool {
    p.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .any(|a| ov.matched(a, true).is_ignore())
}

/// What `--base` reports: the head evaluation filtered to what the branch newly flags.
pub struct Comparison {
    pub newly: Evaluation,
    pub head: Evaluation,
}

/// Evaluates the base (with its lock) and the working tree (with its own lock, or the base's
/// when the working tree has none), and keeps the head verdicts that are not clean and whose
/// thesis does not already have that status at the base.
pub fn compare(base: &Base, head: &Repo, head_lock: Option<&Lock>) -> Comparison {
    let base_eval = eval::evaluate(&base.repo, &base.lock);
    let head_eval = eval::evaluate(head, head_lock.unwrap_or(&base.lock));
    let newly = newly_flagged(&base_eval, &head_eval);
    Comparison {
        newly,
        head: head_eval,
    }
}

/// Head verdicts that need attention and did not have the same status at the base. Clean
/// verdicts are kept (so reports count them) only where the thesis is clean on this branch.
pub fn newly_flagged(base: &Evaluation, head: &Evaluation) -> Evaluation {
    let verdicts = head
        .verdicts
        .iter()
        .filter(|v| {
            v.status == eval::Status::Clean
                || base.get(&v.thesis).is_none_or(|b| b.status != v.status)
        })
        .cloned()
        .collect();
    Evaluation {
        verdicts,
        ..Evaluation::default()
    }
}

/// Loads both sides for `--base`: the working tree must load cleanly (its errors stop the
/// command); the base's input errors are reported as one warning, and compared anyway.
pub fn load_base(root: &Path, rev: &str) -> Result<Base, Vec<Diagnostic>> {
    let files = files_at(root, rev).map_err(|d| vec![d])?;
    let base = build_base(root, rev, &files)?;
    Ok(base)
}

/// A warning when the base itself has input errors (the comparison still runs).
pub fn base_errors(base: &Base, rev: &str) -> Option<Diagnostic> {
    let n = base.repo.diags.iter().filter(|d| d.is_error()).count();
    (n > 0).then(|| {
        let first = base.repo.diags.iter().find(|d| d.is_error());
        Diagnostic::warning(
            Code::GitRef,
            Path::new("."),
            Pos::at(1, 1),
            format!(
                "the research repo at `{rev}` has {n} input error(s){}; compared anyway",
                first
                    .map(|d| format!(", first: {}: {}", d.location(), d.message))
                    .unwrap_or_default()
            ),
        )
        .expected(format!("a research repo at `{rev}` that loads cleanly"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Status, Verdict};

    fn v(t: &str, status: Status) -> Verdict {
        Verdict {
            thesis: t.into(),
            path: format!("theses/{t}.md"),
            line: 1,
            status,
            causes: vec![],
            waiting_on: vec![],
            ix: None,
        }
    }

    #[test]
    fn newly_flagged_keeps_only_new_statuses() {
        let base = Evaluation {
            verdicts: vec![
                v("a", Status::Stale),
                v("b", Status::Clean),
                v("c", Status::Unscored),
                v("d", Status::Clean),
            ],
            ..Evaluation::default()
        };
        let head = Evaluation {
            verdicts: vec![
                v("a", Status::Stale),
                v("b", Status::Stale),
                v("c", Status::Pending),
                v("d", Status::Clean),
                v("e", Status::Unscored),
            ],
            ..Evaluation::default()
        };
        let n = newly_flagged(&base, &head);
        let flagged: Vec<_> = n
            .verdicts
            .iter()
            .filter(|v| v.status != Status::Clean)
            .map(|v| v.thesis.as_str())
            .collect();
        assert_eq!(flagged, ["b", "c", "e"]);
        assert_eq!(n.with(Status::Clean).count(), 1);
    }

    #[test]
    fn wanted_files() {
        assert!(wanted(Path::new("concepts/a.md")));
        assert!(wanted(Path::new("rescore.toml")));
        assert!(wanted(Path::new("rescore.lock")));
        assert!(!wanted(Path::new("img/a.png")));
        assert!(!wanted(Path::new(".hidden.md")));
    }

    #[test]
    fn shallow_hint_names_the_fetch() {
        let h = fetch_hint("origin/main");
        assert!(h.contains("git fetch origin main"));
        assert!(h.contains("fetch-depth: 0"));
    }
}
