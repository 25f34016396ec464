//! What CI tools read: GitHub workflow commands (escaped as GitHub specifies) and paths relative
//! to the git repository's root, which is where a runner resolves them when the research repo is
//! a subfolder of the git repo.

use std::path::{Path, PathBuf};

/// Escapes a workflow command's message (the text after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (`file=`, `title=`): also `:` and `,`, which
/// would otherwise end the property or the property list.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Where an annotation points.
pub struct Place<'a> {
    pub file: &'a str,
    pub line: u32,
    pub col: Option<u32>,
}

/// One `::error` / `::warning` workflow command.
pub fn annotation(error: bool, place: &Place, title: &str, message: &str) -> String {
    let col = place.col.map(|c| format!(",col={c}")).unwrap_or_default();
    format!(
        "::{} file={},line={}{col},title={}::{}",
        if error { "error" } else { "warning" },
        escape_property(place.file),
        place.line,
        escape_property(title),
        escape_data(message)
    )
}

/// The research root's path inside its git repository (empty when the root is the git root or
/// no git repository holds it): the prefix CI paths need. A `.git` file (worktree, submodule)
/// marks a root as a `.git` folder does.
pub fn git_prefix(root: &Path) -> PathBuf {
    let Ok(abs) = std::fs::canonicalize(root) else {
        return PathBuf::new();
    };
    abs.ancestors()
        .find(|dir| dir.join(".git").exists())
        .and_then(|git_root| abs.strip_prefix(git_root).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A root-relative path as CI sees it: under `prefix`, with `/` separators.
pub fn ci_path(prefix: &Path, rel: &str) -> String {
    let rel = rel.replace('\\', "/");
    let prefix = prefix.to_string_lossy().replace('\\', "/");
    match (prefix.as_str(), rel.as_str()) {
        ("", r) => r.to_string(),
        (p, "" | ".") => p.to_string(),
        (p, r) => format!("{p}/{r}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_escape_colons_and_commas_and_messages_do_not() {
        assert_eq!(escape_property("a:b,c%d\r\ne"), "a%3Ab%2Cc%25d%0D%0Ae");
        assert_eq!(escape_data("a:b,c%d\r\ne"), "a:b,c%25d%0D%0Ae");
    }

    #[test]
    fn an_annotation_escapes_each_part_by_its_rules() {
        let place = Place {
            file: "theses/a,b.md",
            line: 3,
            col: Some(2),
        };
        assert_eq!(
            annotation(false, &place, "x: y", "50% down\nnow"),
            "::warning file=theses/a%2Cb.md,line=3,col=2,title=x%3A y::50%25 down%0Anow"
        );
    }

    #[test]
    fn ci_paths_join_the_prefix_with_slashes() {
        assert_eq!(ci_path(Path::new(""), "theses/a.md"), "theses/a.md");
        assert_eq!(
            ci_path(Path::new("research"), "theses\\a.md"),
            "research/theses/a.md"
        );
        assert_eq!(ci_path(Path::new("research"), "."), "research");
    }

    #[test]
    fn the_prefix_is_the_root_below_the_folder_holding_git() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("docs/research")).expect("mkdir");
        assert_eq!(
            git_prefix(&tmp.path().join("docs/research")),
            PathBuf::new()
        );
        std::fs::write(tmp.path().join(".git"), "gitdir: elsewhere\n").expect("write");
        assert_eq!(
            git_prefix(&tmp.path().join("docs/research")),
            Path::new("docs/research")
        );
        assert_eq!(git_prefix(tmp.path()), PathBuf::new());
    }
}
