//! Which paths of a batch matter, and how: settings that reload everything, the lock, and the
//! page files to read again. A path that is not tracked yet is a page only when the loader's
//! walk would take it (`load::pages_among`: the same `exclude` globs, ignore files and symlink
//! rules, decided path by path where it can, else by walking), and whatever that walk cannot
//! read is a diagnostic.

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::cache;
use crate::config::FILE_NAME as CONFIG_FILE;
use crate::diag::Diagnostic;
use crate::load;
use crate::lock;
use crate::page;

use super::engine::Engine;
use super::intake::{under_git, Batch};

/// What a batch asks for.
#[derive(Default)]
pub struct Plan {
    /// Settings, rules or ignore files changed (or events were lost): reload everything.
    pub reload: bool,
    pub lock_changed: bool,
    /// Page files to read again, relative to the root.
    pub pages: BTreeSet<PathBuf>,
    /// What the walk of new paths found wrong.
    pub diags: Vec<Diagnostic>,
    /// Write temp files (`.rescore-*.tmp`) that came or went: the next write sweeps those that
    /// are left.
    pub temps: Vec<PathBuf>,
}

pub fn classify(batch: &Batch, abs_root: &Path, engine: &Engine) -> Plan {
    let repo = engine.repo();
    let mut plan = Plan {
        reload: batch.rescan || engine.reload_pending(),
        ..Plan::default()
    };
    let rule_files: HashSet<PathBuf> = repo
        .config
        .rules
        .files
        .iter()
        .map(|f| page::normalise_path(f))
        .collect();
    let mut new: Vec<PathBuf> = Vec::new();
    for abs in &batch.paths {
        let Ok(rel) = abs.strip_prefix(abs_root) else {
            continue;
        };
        // rescore's own folder (the caches) holds no settings, lock or page: its writes, the
        // watcher's own included, change nothing watched.
        if rel.as_os_str().is_empty() || under_git(rel) || rel.starts_with(cache::DIR) {
            continue;
        }
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
        if rel == Path::new(CONFIG_FILE)
            || rule_files.contains(&page::normalise_path(rel))
            || name
                .as_deref()
                .is_some_and(|n| load::IGNORE_FILES.contains(&n))
        {
            tracing::debug!(path = %rel.display(), "watch: settings changed: reload");
            plan.reload = true;
            continue;
        }
        // Entries are read back from the shards on demand, from the files read last: a shard
        // changed alone (a merge or checkout that touched only the shards) is a changed lock.
        if rel == Path::new(lock::FILE_NAME)
            || (rel.starts_with(lock::DIR) && !name.as_deref().is_some_and(lock::is_temp_name))
        {
            plan.lock_changed = true;
            continue;
        }
        if name.as_deref().is_some_and(lock::is_temp_name) {
            plan.temps.push(abs.clone());
            continue;
        }
        if hidden(rel) {
            continue;
        }
        if rel.extension().is_some_and(|x| x == "md") {
            if engine.tracks(rel) {
                plan.pages.insert(rel.to_path_buf());
            } else {
                new.push(rel.to_path_buf());
            }
            continue;
        }
        // A folder created, moved or removed: its pages come and go without events of their
        // own. (Anything else, such as a folder's metadata, is no page.)
        if !batch.moved.contains(abs) {
            continue;
        }
        if abs.is_dir() {
            new.push(rel.to_path_buf());
        }
        plan.pages.extend(engine.tracked_under(rel));
    }
    if plan.reload || new.is_empty() {
        return plan;
    }
    let (found, diags) = load::pages_among(&repo.root, &repo.config, &new);
    plan.pages.extend(found);
    plan.diags = diags;
    plan
}

fn hidden(rel: &Path) -> bool {
    rel.components().any(|c| match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        _ => false,
    })
}
