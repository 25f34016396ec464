//! Warnings about the repo's layout: a folder whose name looks like a kind folder (`thesis/`,
//! `Theses/`, `02-theses/`) but is not one. Folder names are matched exactly, so its pages are
//! notes; rather than guess (which would turn notes of an existing repo into theses without a
//! score), rescore says so once per folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::Folders;
use crate::diag::{Code, Diagnostic, Pos};
use crate::page::{Page, PageKind};

/// One warning per look-alike folder that holds notes, at its first page.
pub fn folder_warnings(pages: &[Page], folders: &Folders) -> Vec<Diagnostic> {
    let kinds = [
        ("concept", &folders.concept),
        ("thesis", &folders.thesis),
        ("source", &folders.source),
    ];
    let exact = |d: &str| kinds.iter().any(|(_, names)| names.iter().any(|n| n == d));
    let mut warned: BTreeSet<PathBuf> = BTreeSet::new();
    let mut out = Vec::new();
    for p in pages
        .iter()
        .filter(|p| p.kind == PageKind::Note && !p.kind_written)
    {
        let mut folder = PathBuf::new();
        for dir in p.path.parent().into_iter().flat_map(Path::components) {
            let dir = dir.as_os_str().to_string_lossy();
            folder.push(dir.as_ref());
            if exact(&dir) {
                continue;
            }
            let Some((kind, name)) = kinds
                .iter()
                .flat_map(|(k, names)| names.iter().map(move |n| (*k, n)))
                .find(|(_, n)| looks_like(&dir, n))
            else {
                continue;
            };
            if !warned.insert(folder.clone()) {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    Code::KindFolderLookAlike,
                    &p.path,
                    Pos::at(1, 1),
                    format!(
                        "folder `{}/` looks like the {kind} folder `{name}/`, but folder names match exactly: its pages are notes",
                        folder.display()
                    ),
                )
                .expected(format!("a folder named `{name}`, or one listed in `[folders] {kind}`"))
                .hint(format!(
                    "rename the folder to `{name}`, or add `\"{dir}\"` to `[folders] {kind}` in rescore.toml"
                )),
            );
        }
    }
    out
}

/// Whether a folder name is a kind folder's name written another way: other case, a number
/// prefix (`02-`), singular for plural or the reverse.
fn looks_like(dir: &str, name: &str) -> bool {
    let (a, b) = (base(dir), base(name));
    !a.is_empty() && forms(&a).iter().any(|f| forms(&b).iter().any(|g| f == g))
}

/// Lowercase, without a leading ordering number and its separator.
fn base(s: &str) -> String {
    s.to_lowercase()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['-', '_', '.', ' '])
        .to_string()
}

/// The word and its possible singulars: `theses` → `thesis`, `concepts` → `concept`.
fn forms(w: &str) -> Vec<String> {
    let mut out = vec![w.to_string()];
    if let Some(stem) = w.strip_suffix("es") {
        out.push(format!("{stem}is"));
    }
    if let Some(stem) = w.strip_suffix('s') {
        out.push(stem.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::looks_like;

    #[test]
    fn look_alikes_of_kind_folders() {
        for dir in [
            "thesis",
            "Theses",
            "02-theses",
            "2_Thesis",
            "Concepts",
            "source",
        ] {
            let hit = ["theses", "concepts", "sources"]
                .iter()
                .any(|n| looks_like(dir, n));
            assert!(hit, "{dir}");
        }
        for dir in ["notes", "archive", "hypotheses", "02", "resources"] {
            let hit = ["theses", "concepts", "sources"]
                .iter()
                .any(|n| looks_like(dir, n));
            assert!(!hit, "{dir}");
        }
    }
}
