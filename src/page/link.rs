//! Where a link points: wikilinks by name, relative markdown links by path, anchors on this page.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::LinkType;
use ustr::Ustr;

use super::{Link, Target};

/// Where a link with destination `dest` on a page in folder `dir` points, and the anchor it
/// names.
pub(super) fn link_target(
    link_type: LinkType,
    dest: &str,
    dir: &Path,
) -> Option<(Target, Option<Ustr>)> {
    let dest = dest.trim();
    if let LinkType::WikiLink { .. } = link_type {
        let (name, anchor) = split_anchor(dest);
        if name.is_empty() {
            return Some((Target::Here, anchor));
        }
        return Some((Target::Wiki { name: name.into() }, anchor));
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
    Some((
        Target::Path {
            path: joined(dir, Path::new(file.as_ref())).as_str().into(),
        },
        anchor,
    ))
}

/// `dir.join(file)`, normalised, without building the joined path first: a relative `file` is
/// the components of both in turn (a rooted one replaces `dir`, as `join` does).
fn joined(dir: &Path, file: &Path) -> String {
    let rooted = file.has_root() || matches!(file.components().next(), Some(Component::Prefix(_)));
    if rooted {
        let path = dir.join(file);
        return normalised(path.components(), path.as_os_str().len());
    }
    let room = dir.as_os_str().len() + 1 + file.as_os_str().len();
    normalised(dir.components().chain(file.components()), room)
}

fn split_anchor(dest: &str) -> (&str, Option<Ustr>) {
    match dest.split_once('#') {
        Some((a, b)) => (
            a.trim(),
            Some(b.trim()).filter(|s| !s.is_empty()).map(Ustr::from),
        ),
        None => (dest, None),
    }
}

impl Link {
    /// The link as written on the page at `page`, for messages, rebuilt from what it keeps:
    /// `[[name#anchor]]`, or a markdown link's destination relative to the page's folder (its
    /// text is not kept: `[…](../concepts/x.md#k1)`).
    pub fn as_written(&self, page: &Path) -> String {
        let anchor = self.anchor.map(|a| format!("#{a}")).unwrap_or_default();
        match self.target() {
            Target::Wiki { name } => format!("[[{name}{anchor}]]"),
            Target::Path { path } => {
                let from = page.parent().unwrap_or(Path::new(""));
                format!(
                    "[…]({}{anchor})",
                    relative_to(from, Path::new(path.as_str()))
                )
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
    PathBuf::from(normalised(p.components(), p.as_os_str().len()))
}

/// `normalise_path` of a path's components, as the text it is built from, in a text with room
/// for `room` bytes (no normalised path is longer than the path).
fn normalised<'a>(components: impl Iterator<Item = Component<'a>>, room: usize) -> String {
    // Built in place: a `..` takes the last component off the end (a component's name holds
    // no separator), and one with nothing before it is kept.
    let mut out = String::with_capacity(room);
    for c in components {
        match c {
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => match out.rfind(std::path::MAIN_SEPARATOR) {
                Some(at) => out.truncate(at),
                None if out.is_empty() => out.push_str(".."),
                None => out.clear(),
            },
            Component::Normal(s) => {
                if !out.is_empty() {
                    out.push(std::path::MAIN_SEPARATOR);
                }
                out.push_str(&s.to_string_lossy());
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
            let (dir, file) = (Path::new(&dir), Path::new(&file));
            proptest::prop_assert_eq!(
                PathBuf::from(joined(dir, file)),
                normalise_path(&dir.join(file))
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
        let link = |target, anchor: Option<&str>| {
            let role = super::super::Role::Body;
            Link::new(
                target,
                anchor.map(Ustr::from),
                role,
                crate::diag::Pos::at(1, 1),
            )
        };
        let page = Path::new("theses/t.md");
        let wiki = Target::Wiki { name: "gwm".into() };
        let path = Target::Path {
            path: "concepts/gwm.md".into(),
        };
        assert_eq!(link(wiki, None).as_written(page), "[[gwm]]");
        assert_eq!(link(wiki, Some("k1")).as_written(page), "[[gwm#k1]]");
        assert_eq!(
            link(path, Some("k1")).as_written(page),
            "[…](../concepts/gwm.md#k1)"
        );
        assert_eq!(link(Target::Here, Some("k1")).as_written(page), "[…](#k1)");
    }

    #[test]
    fn links_to_one_target_share_one_copy_of_its_text() {
        let dir = Path::new("theses");
        let wiki = |dest| link_target(LinkType::WikiLink { has_pothole: false }, dest, dir);
        let md = |dest| link_target(LinkType::Inline, dest, dir);
        let text = |t: Option<(Target, Option<Ustr>)>| match t {
            Some((Target::Wiki { name: s } | Target::Path { path: s }, anchor)) => {
                (s.as_ptr(), anchor.map(|a| a.as_ptr()))
            }
            other => panic!("no name: {other:?}"),
        };
        assert_eq!(text(wiki("gwm#k1")), text(wiki(" gwm # k1 ")));
        assert_eq!(
            text(md("../concepts/gwm.md")),
            text(md("./../concepts/./gwm.md"))
        );
    }

    #[test]
    fn a_link_gives_back_the_target_and_role_it_was_made_with() {
        use super::super::Role;
        let targets = [
            Target::Wiki { name: "gwm".into() },
            Target::Path {
                path: "concepts/gwm.md".into(),
            },
            Target::Here,
        ];
        let roles = [
            Role::Body,
            Role::Related,
            Role::ClaimSource(7),
            Role::RowSource(u32::MAX),
        ];
        for target in targets {
            for role in roles {
                let mut link = Link::new(target, None, Role::Body, crate::diag::Pos::at(1, 1));
                link.set_role(role);
                assert_eq!((link.target(), link.role()), (target, role));
            }
        }
    }

    #[test]
    fn a_link_owns_no_text() {
        // Every page's links are kept by the watcher: 80 bytes and three strings apiece
        // before targets and anchors were interned, 48 before the target and role were packed.
        assert_eq!(std::mem::size_of::<Link>(), 40);
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("my%20page.md"), "my page.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
