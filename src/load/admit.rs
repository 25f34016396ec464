//! Whether one path is a page, decided the way `walk` decides it but without reading any
//! folder: the watcher asks this of every page file that appears, and reading the folder it
//! appears in (60k entries at 100k pages, each stat'ed and matched) costs tens of ms.
//!
//! The walk skips an entry when the `exclude` overrides say so, else when the ignore files of
//! its folder and the folders above it say so (`.ignore` before `.gitignore` before
//! `.git/info/exclude` before the global gitignore, the deepest file that has a say winning
//! within each), else when it is hidden; a page is kept when none of the folders on its way
//! was skipped. This module applies the same matchers (`ignore`'s own `Gitignore`, built from
//! the same files with the same roots) in the same order to the path and to each of its
//! folders. Where that model is not sure to hold — a symlink on the way, ignore files above
//! the root, a `.git` file (a worktree), an ignore file or glob with errors, something other
//! than a regular file — it says `Unknown` and the caller walks.

use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::overrides::Override;
use ignore::Match;

use crate::config::Config;

/// What the walk would make of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Page,
    NotPage,
    /// Outside what this check models: ask the walk.
    Unknown,
}

/// The ignore files of one folder on the way to the path.
struct FolderRules {
    ignore: Gitignore,
    git_ignore: Gitignore,
    git_exclude: Gitignore,
}

/// Whether `walk(root, config)` would list `rel` (a path below the root) as a page.
pub fn admit(root: &Path, config: &Config, rel: &Path) -> Admit {
    let names: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect::<Option<_>>()
        .unwrap_or_default();
    if names.is_empty() {
        return Admit::Unknown;
    }
    // A folder (or anything not named as a page) is the walk's to enter.
    if rel.extension().is_none_or(|x| x != "md") {
        return Admit::Unknown;
    }
    let mut diags = Vec::new();
    let overrides = super::exclude_overrides(root, config, &mut diags);
    if !diags.is_empty() || rules_above(root) {
        return Admit::Unknown;
    }
    // The folders on the way (root first), each checked to be a real folder, with its rules.
    let mut folders: Vec<FolderRules> = Vec::with_capacity(names.len());
    let mut here = root.to_path_buf();
    let Some(rules) = folder_rules(&here) else {
        return Admit::Unknown;
    };
    folders.push(rules);
    let global = Gitignore::global().0;
    for (depth, name) in names.iter().enumerate() {
        here.push(name);
        let is_dir = depth + 1 < names.len();
        match here.symlink_metadata() {
            Err(_) => return Admit::NotPage,
            Ok(md) if md.file_type().is_symlink() => return Admit::Unknown,
            Ok(md) if is_dir && !md.is_dir() => return Admit::NotPage,
            Ok(md) if !is_dir && !md.is_file() => return Admit::Unknown,
            Ok(_) => {}
        }
        if skipped(&here, is_dir, name, &overrides, &folders, &global) {
            return Admit::NotPage;
        }
        if is_dir {
            let Some(rules) = folder_rules(&here) else {
                return Admit::Unknown;
            };
            folders.push(rules);
        }
    }
    Admit::Page
}

/// Whether the walk skips the entry at `path` (and, for a folder, all below it).
fn skipped(
    path: &Path,
    is_dir: bool,
    name: &std::ffi::OsStr,
    overrides: &Override,
    folders: &[FolderRules],
    global: &Gitignore,
) -> bool {
    match overrides.matched(path, is_dir) {
        Match::Ignore(_) => return true,
        Match::Whitelist(_) => return false,
        Match::None => {}
    }
    let deepest = |pick: fn(&FolderRules) -> &Gitignore| {
        folders
            .iter()
            .rev()
            .map(|f| pick(f).matched(path, is_dir))
            .find(|m| !m.is_none())
            .unwrap_or(Match::None)
    };
    let m = deepest(|f| &f.ignore)
        .or(deepest(|f| &f.git_ignore))
        .or(deepest(|f| &f.git_exclude))
        .or(global.matched(path, is_dir));
    match m {
        Match::Ignore(_) => true,
        Match::Whitelist(_) => false,
        Match::None => name.to_string_lossy().starts_with('.'),
    }
}

/// The rules of one folder as the walk reads them; `None` when reading them found errors or a
/// `.git` that is not a folder.
fn folder_rules(dir: &Path) -> Option<FolderRules> {
    let git_exclude = match dir.join(".git").metadata() {
        Ok(md) if md.is_dir() => one_file(dir, &dir.join(".git/info/exclude"))?,
        Ok(_) => return None,
        Err(_) => Gitignore::empty(),
    };
    Some(FolderRules {
        ignore: one_file(dir, &dir.join(".ignore"))?,
        git_ignore: one_file(dir, &dir.join(".gitignore"))?,
        git_exclude,
    })
}

/// The matcher of one ignore file, rooted at `dir`; empty when the file does not exist, `None`
/// when it has errors.
fn one_file(dir: &Path, file: &Path) -> Option<Gitignore> {
    if !file.exists() {
        return Some(Gitignore::empty());
    }
    let mut builder = GitignoreBuilder::new(dir);
    if builder.add(file).is_some() {
        return None;
    }
    builder.build().ok()
}

/// Whether a folder above the root holds ignore files or a `.git`: the walk reads those too,
/// matched against absolute paths, which this check does not model.
fn rules_above(root: &Path) -> bool {
    let Ok(real) = root.canonicalize() else {
        return true;
    };
    real.ancestors().skip(1).any(|dir| {
        super::IGNORE_FILES
            .iter()
            .chain(&[".git"])
            .any(|f| dir.join(f).exists())
    })
}

/// The pages among `targets` (paths below the root: pages that appeared, or folders), as
/// `walk_toward(root, config, targets)` finds them: each decided alone where `admit` can, the
/// rest walked.
pub fn pages_among(
    root: &Path,
    config: &Config,
    targets: &[PathBuf],
) -> (Vec<PathBuf>, Vec<crate::diag::Diagnostic>) {
    let mut pages = Vec::new();
    let mut unknown = Vec::new();
    for t in targets {
        match admit(root, config, t) {
            Admit::Page => pages.push(t.clone()),
            Admit::NotPage => {}
            Admit::Unknown => unknown.push(t.clone()),
        }
    }
    let mut diags = Vec::new();
    if !unknown.is_empty() {
        let (walked, found) = super::walk_toward(root, config, &unknown);
        pages.extend(walked);
        diags = found;
    }
    pages.sort();
    pages.dedup();
    (pages, diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const FOLDERS: &[&str] = &["a", "b", ".h", "a/sub", "b/sub", ".h/sub", "a/sub/deep"];
    const NAMES: &[&str] = &["x.md", "y.md", ".z.md", "n.txt"];
    const PATTERNS: &[&str] = &[
        "x.md", "!x.md", "a/", "*.md", "!y.md", "b", "/a", "sub/x.md", ".h", "!.h", "!.h/",
        "**/y.md", "sub", "!sub", "deep/", "/x.md", "!*.md", ".z.md", "!.z.md",
    ];
    const EXCLUDES: &[&str] = &["b/**", "**/sub/x.md", "a/sub", "*.txt", "y.md", "!a/x.md"];
    /// Where ignore files may go: a folder and the file's name (`.git/info/exclude` at the root).
    const RULE_FILES: &[(&str, &str)] = &[
        ("", ".gitignore"),
        ("", ".ignore"),
        ("", ".git/info/exclude"),
        ("a", ".gitignore"),
        ("a", ".ignore"),
        ("a/sub", ".gitignore"),
        ("b", ".gitignore"),
        (".h", ".gitignore"),
    ];

    /// A tree: which files exist, the ignore files' lines, the config's exclude globs.
    #[derive(Debug, Clone)]
    struct Tree {
        files: Vec<(usize, usize)>,
        rules: Vec<(usize, Vec<usize>)>,
        exclude: Vec<usize>,
    }

    fn tree() -> impl Strategy<Value = Tree> {
        (
            proptest::collection::vec((0..=FOLDERS.len(), 0..NAMES.len()), 1..16),
            proptest::collection::vec(
                (
                    0..RULE_FILES.len(),
                    proptest::collection::vec(0..PATTERNS.len(), 1..4),
                ),
                0..5,
            ),
            proptest::collection::vec(0..EXCLUDES.len(), 0..3),
        )
            .prop_map(|(files, rules, exclude)| Tree {
                files,
                rules,
                exclude,
            })
    }

    /// The folder of index `i` (one past the list: the root).
    fn folder(i: usize) -> &'static str {
        FOLDERS.get(i).copied().unwrap_or("")
    }

    fn build(t: &Tree) -> (tempfile::TempDir, Config, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in FOLDERS {
            std::fs::create_dir_all(root.join(f)).unwrap();
        }
        let mut candidates = BTreeSet::new();
        for &(f, n) in &t.files {
            let rel = Path::new(folder(f)).join(NAMES[n]);
            std::fs::write(root.join(&rel), "# page\n").unwrap();
            candidates.insert(rel);
        }
        // Paths with no file behind them are no pages either way.
        candidates.insert(PathBuf::from("a/missing.md"));
        candidates.insert(PathBuf::from("nowhere/missing.md"));
        for (at, lines) in &t.rules {
            let (f, name) = RULE_FILES[*at];
            let path = root.join(f).join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text: String = lines
                .iter()
                .map(|&l| format!("{}\n", PATTERNS[l]))
                .collect();
            std::fs::write(path, text).unwrap();
        }
        let config = Config {
            exclude: t.exclude.iter().map(|&e| EXCLUDES[e].to_string()).collect(),
            ..Config::default()
        };
        let pages = candidates
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        (dir, config, pages)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every page path is decided alone as the full walk decides it.
        #[test]
        fn admit_agrees_with_the_walk(t in tree()) {
            let (dir, config, candidates) = build(&t);
            let root = dir.path();
            prop_assume!(!rules_above(root));
            let (walked, _) = super::super::walk(root, &config);
            let walked: BTreeSet<PathBuf> = walked.into_iter().collect();
            for rel in &candidates {
                let want = if walked.contains(rel) { Admit::Page } else { Admit::NotPage };
                prop_assert_eq!(admit(root, &config, rel), want, "{}", rel.display());
            }
            let (found, _) = pages_among(root, &config, &candidates);
            let want: Vec<PathBuf> = candidates.iter().filter(|p| walked.contains(*p)).cloned().collect();
            prop_assert_eq!(found, want);
        }
    }

    #[test]
    fn a_symlink_on_the_way_is_left_to_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("real")).unwrap();
        std::fs::write(root.join("real/p.md"), "# p\n").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("alias")).unwrap();
        let config = Config::default();
        assert_eq!(
            admit(root, &config, Path::new("alias/p.md")),
            Admit::Unknown
        );
        if !rules_above(root) {
            assert_eq!(admit(root, &config, Path::new("real/p.md")), Admit::Page);
        }
        let targets = [PathBuf::from("alias/p.md")];
        let (found, _) = pages_among(root, &config, &targets);
        assert_eq!(found, super::super::walk_toward(root, &config, &targets).0);
    }

    #[test]
    fn a_folder_or_a_bad_glob_is_left_to_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("new.md")).unwrap();
        let config = Config::default();
        assert_eq!(admit(root, &config, Path::new("new.md")), Admit::Unknown);
        assert_eq!(admit(root, &config, Path::new("new")), Admit::Unknown);
        std::fs::write(root.join("p.md"), "# p\n").unwrap();
        let bad = Config {
            exclude: vec!["a/{b".into()],
            ..Config::default()
        };
        assert_eq!(admit(root, &bad, Path::new("p.md")), Admit::Unknown);
        let (found, diags) = pages_among(root, &bad, &[PathBuf::from("p.md")]);
        assert_eq!(found, [PathBuf::from("p.md")]);
        assert!(!diags.is_empty(), "the walk reports the bad glob");
    }
}
