//! Where a link points: wikilinks by name, relative markdown links by path, anchors on this page.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::LinkType;

use super::{Link, Target};

/// A link's destination as parsed: its target (a path joined to the page's folder, so owned)
/// and the anchor it names.
#[derive(Debug, PartialEq)]
pub(super) enum Dest<'a> {
    Wiki(&'a str),
    Path(String),
    Here,
}

impl Dest<'_> {
    pub(super) fn target(&self) -> Target<'_> {
        match self {
            Dest::Wiki(name) => Target::Wiki { name },
            Dest::Path(path) => Target::Path { path },
            Dest::Here => Target::Here,
        }
    }
}

/// Where a link with destination `dest` on a page in folder `dir` points, and the anchor it
/// names.
pub(super) fn link_target<'a>(
    link_type: LinkType,
    dest: &'a str,
    dir: &Path,
) -> Option<(Dest<'a>, Option<&'a str>)> {
    let dest = dest.trim();
    if let LinkType::WikiLink { .. } = link_type {
        let (name, anchor) = split_anchor(dest);
        if name.is_empty() {
            return Some((Dest::Here, anchor));
        }
        return Some((Dest::Wiki(name), anchor));
    }
    if matches!(link_type, LinkType::Autolink | LinkType::Email)
        || dest.contains("://")
        || dest.starts_with("mailto:")
    {
        return None;
    }
    let (file, anchor) = split_anchor(dest);
    if file.is_empty() {
        return anchor.map(|a| (Dest::Here, Some(a)));
    }
    let file = percent_decode(file);
    if !file.ends_with(".md") {
        return None;
    }
    Some((Dest::Path(joined(dir, &file)), anchor))
}

/// `dir.join(file)`, normalised, without building the joined path first: a relative `file` is
/// the components of both in turn (a rooted one replaces `dir`, as `join` does).
fn joined(dir: &Path, file: &str) -> String {
    // On Unix a path's components are the texts between its slashes, less the empty ones and
    // `.`: read so, as text, a link skips the parsing `Components` does for every one.
    #[cfg(unix)]
    if let Some(dir) = dir.to_str() {
        let dir = if file.starts_with('/') { "" } else { dir };
        fn text_part(s: &str) -> Option<Cow<'_, str>> {
            (s != "..").then_some(Cow::Borrowed(if s == "." { "" } else { s }))
        }
        return normalised(
            dir.split('/').chain(file.split('/')).map(text_part),
            dir.len() + 1 + file.len(),
        );
    }
    let file = Path::new(file);
    let rooted = file.has_root() || matches!(file.components().next(), Some(Component::Prefix(_)));
    if rooted {
        let path = dir.join(file);
        return normalised(path.components().map(part), path.as_os_str().len());
    }
    let room = dir.as_os_str().len() + 1 + file.as_os_str().len();
    normalised(dir.components().chain(file.components()).map(part), room)
}

fn split_anchor(dest: &str) -> (&str, Option<&str>) {
    match dest.split_once('#') {
        Some((a, b)) => (a.trim(), Some(b.trim()).filter(|s| !s.is_empty())),
        None => (dest, None),
    }
}

impl Link<'_> {
    /// The link as written on the page at `page`, for messages, rebuilt from what it keeps:
    /// `[[name#anchor]]`, or a markdown link's destination relative to the page's folder (its
    /// text is not kept: `[…](../concepts/x.md#k1)`).
    pub fn as_written(&self, page: &Path) -> String {
        let anchor = self.anchor().map(|a| format!("#{a}")).unwrap_or_default();
        match self.target() {
            Target::Wiki { name } => format!("[[{name}{anchor}]]"),
            Target::Path { path } => {
                let from = page.parent().unwrap_or(Path::new(""));
                format!("[…]({}{anchor})", relative_to(from, Path::new(path)))
            }
            Target::Here => format!("[…]({anchor})"),
        }
    }
}

/// The path from folder `from` to `to`, both relative to the repo root and normalised, with
/// `/` between components.
fn relative_to(from: &Path, to: &Path) -> String {
    let (from, to): (Vec<Component>, Vec<Component>) =
        (from.components().collect(), to.components().collect());
    let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let up = std::iter::repeat_n("..".into(), from.len() - shared);
    let down = to[shared..].iter().map(|c| c.as_os_str().to_string_lossy());
    up.chain(down).collect::<Vec<_>>().join("/")
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
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
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Folds `.` and `..` out of a relative path without touching the filesystem.
pub fn normalise_path(p: &Path) -> PathBuf {
    PathBuf::from(normalised(p.components().map(part), p.as_os_str().len()))
}

/// A component as `normalised` reads it: `None` for `..`, an empty name for one it leaves out.
fn part(c: Component<'_>) -> Option<Cow<'_, str>> {
    match c {
        Component::CurDir | Component::RootDir | Component::Prefix(_) => Some(Cow::Borrowed("")),
        Component::ParentDir => None,
        Component::Normal(s) => Some(s.to_string_lossy()),
    }
}

/// A path's parts (see `part`) folded into its normalised text, in a text with room for `room`
/// bytes (no normalised path is longer than the path).
fn normalised<'a>(parts: impl Iterator<Item = Option<Cow<'a, str>>>, room: usize) -> String {
    // Built in place: a `..` takes the last component off the end (a component's name holds
    // no separator), and one with nothing before it is kept.
    let mut out = String::with_capacity(room);
    for p in parts {
        match p {
            None => match out.rfind(std::path::MAIN_SEPARATOR) {
                Some(at) => out.truncate(at),
                None if out.is_empty() => out.push_str(".."),
                None => out.clear(),
            },
            Some(name) if name.is_empty() => {}
            Some(name) => {
                if !out.is_empty() {
                    out.push(std::path::MAIN_SEPARATOR);
                }
                out.push_str(&name);
            }
        }
    }
    out
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

    #[test]
    fn a_link_path_is_joined_without_its_dots_and_empty_parts() {
        let dir = Path::new("theses/sub");
        assert_eq!(joined(dir, "."), "theses/sub");
        assert_eq!(joined(dir, "./../x.md"), "theses/x.md");
        assert_eq!(joined(dir, "..//../concepts/./x.md"), "concepts/x.md");
        assert_eq!(joined(dir, "../../../x.md"), "../x.md");
        assert_eq!(joined(dir, "/concepts/x.md"), "concepts/x.md");
        assert_eq!(joined(Path::new(""), "x.md/"), "x.md");
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

    proptest::proptest! {
        #[test]
        fn a_destination_joins_the_page_folder_as_path_join_and_normalise_do(
            dir in proptest::collection::vec(
                proptest::sample::select(vec!["..", ".", "", "a", "b c", "é"]),
                0..4,
            ),
            file in proptest::collection::vec(
                proptest::sample::select(vec!["..", ".", "", "x", "y.md", "é"]),
                0..5,
            ),
            rooted in proptest::bool::ANY,
        ) {
            let dir = dir.join("/");
            let file = format!("{}{}", if rooted { "/" } else { "" }, file.join("/"));
            let dir = Path::new(&dir);
            proptest::prop_assert_eq!(
                PathBuf::from(joined(dir, &file)),
                normalise_path(&dir.join(&file))
            );
        }
    }

    #[test]
    fn a_markdown_destination_is_shown_relative_to_the_page() {
        let shown = |from: &str, to: &str| relative_to(Path::new(from), Path::new(to));
        assert_eq!(shown("theses", "theses/x.md"), "x.md");
        assert_eq!(shown("theses", "concepts/x.md"), "../concepts/x.md");
        assert_eq!(shown("a/b", "a/c/x.md"), "../c/x.md");
        assert_eq!(shown("", "x.md"), "x.md");
        assert_eq!(shown("theses", "../x.md"), "../../x.md");
    }

    #[test]
    fn a_link_is_rebuilt_as_written_from_its_target_and_anchor() {
        let shown = |target, anchor: Option<&str>| {
            let links = super::super::Links::one(
                target,
                anchor,
                super::super::Role::Body,
                crate::diag::Pos::at(1, 1),
            );
            let link = links
                .iter()
                .next()
                .map(|l| l.as_written(Path::new("theses/t.md")));
            link.unwrap_or_default()
        };
        let wiki = Target::Wiki { name: "gwm" };
        let path = Target::Path {
            path: "concepts/gwm.md",
        };
        assert_eq!(shown(wiki, None), "[[gwm]]");
        assert_eq!(shown(wiki, Some("k1")), "[[gwm#k1]]");
        assert_eq!(shown(path, Some("k1")), "[…](../concepts/gwm.md#k1)");
        assert_eq!(shown(Target::Here, Some("k1")), "[…](#k1)");
    }

    #[test]
    fn a_destination_is_trimmed_and_split_at_its_anchor() {
        let dir = Path::new("theses");
        let wiki = |dest| link_target(LinkType::WikiLink { has_pothole: false }, dest, dir);
        let md = |dest| link_target(LinkType::Inline, dest, dir);
        assert_eq!(wiki(" gwm # k1 "), Some((Dest::Wiki("gwm"), Some("k1"))));
        assert_eq!(wiki("gwm#"), Some((Dest::Wiki("gwm"), None)));
        assert_eq!(wiki("#k1"), Some((Dest::Here, Some("k1"))));
        assert_eq!(
            md("./../concepts/./gwm.md#k2"),
            Some((Dest::Path("concepts/gwm.md".into()), Some("k2")))
        );
        assert_eq!(md("#k3"), Some((Dest::Here, Some("k3"))));
        assert_eq!(md("#"), None);
        assert_eq!(md("https://x.org/a.md"), None);
        assert_eq!(md("notes.txt"), None);
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("my%20page.md"), "my page.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
