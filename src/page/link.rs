//! Where a link points: wikilinks by name, relative markdown links by path, anchors on this page.

use std::path::{Path, PathBuf};

use pulldown_cmark::LinkType;

use super::Target;

pub(super) fn link_target(
    link_type: LinkType,
    dest: &str,
    page: &Path,
) -> Option<(Target, Option<String>)> {
    let dest = dest.trim();
    if let LinkType::WikiLink { .. } = link_type {
        let (name, anchor) = split_anchor(dest);
        if name.is_empty() {
            return Some((Target::Here, anchor));
        }
        return Some((
            Target::Wiki {
                name: name.to_string(),
            },
            anchor,
        ));
    }
    if matches!(link_type, LinkType::Autolink | LinkType::Email)
        || dest.contains("://")
        || dest.starts_with("mailto:")
    {
        return None;
    }
    let (file, anchor) = split_anchor(dest);
    if file.is_empty() {
        return anchor.map(|a| (Target::Here, Some(a)));
    }
    let file = percent_decode(file);
    if !file.ends_with(".md") {
        return None;
    }
    let joined = page.parent().unwrap_or(Path::new("")).join(&file);
    Some((
        Target::Path {
            path: normalise_path(&joined),
        },
        anchor,
    ))
}

fn split_anchor(dest: &str) -> (&str, Option<String>) {
    match dest.split_once('#') {
        Some((a, b)) => (
            a.trim(),
            Some(b.trim().to_string()).filter(|s| !s.is_empty()),
        ),
        None => (dest, None),
    }
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Folds `.` and `..` out of a relative path without touching the filesystem.
pub fn normalise_path(p: &Path) -> PathBuf {
    let mut parts: Vec<std::borrow::Cow<str>> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir
            | std::path::Component::RootDir
            | std::path::Component::Prefix(_) => {}
            std::path::Component::ParentDir => {
                if parts.pop().is_none() {
                    parts.push("..".into());
                }
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy()),
        }
    }
    // One allocation of the joined length, not a push (and a regrowth) per component.
    let len = parts.iter().map(|p| p.len() + 1).sum();
    let mut out = String::with_capacity(len);
    for p in &parts {
        if !out.is_empty() {
            out.push(std::path::MAIN_SEPARATOR);
        }
        out.push_str(p);
    }
    PathBuf::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_without_the_filesystem() {
        assert_eq!(
            normalise_path(Path::new("theses/../concepts/./x.md")),
            PathBuf::from("concepts/x.md")
        );
    }

    proptest::proptest! {
        #[test]
        fn normalised_paths_are_the_components_collected(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["..", ".", "", "a", "b.md", "c d", "é"]),
                0..8,
            ),
            absolute in proptest::bool::ANY,
        ) {
            let written = format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"));
            let path = Path::new(&written);
            let mut kept: Vec<String> = Vec::new();
            for c in path.components() {
                match c {
                    std::path::Component::ParentDir if kept.pop().is_none() => {
                        kept.push("..".into());
                    }
                    std::path::Component::Normal(s) => kept.push(s.to_string_lossy().into()),
                    _ => {}
                }
            }
            let collected: PathBuf = kept.iter().map(Path::new).collect();
            proptest::prop_assert_eq!(normalise_path(path), collected);
        }
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("my%20page.md"), "my page.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
