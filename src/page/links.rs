//! A page's links as kept: each one packed, and the names, paths and anchors of all of them in
//! one text the page owns. A large repo holds every page's links until the graph is built, and
//! the watcher for as long as it runs, so a link owns no text of its own. Nor is its text
//! interned: at 100k pages, looking each of a million link texts up in a table shared by all
//! threads was a sixth of the parse (two cache misses apiece), where appending it to its
//! page's text costs next to nothing; the graph build hashes each text once as it resolves it.

use std::ops::Range;

use crate::diag::Pos;

/// Where a link points, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `[[name]]`: a page id or title, case-insensitive.
    Wiki { name: &'a str },
    /// `[text](../concepts/x.md)`: a path, already joined to the page's folder and normalised
    /// (so always UTF-8; `Path::new` reads it as a path).
    Path { path: &'a str },
    /// `[text](#anchor)`: this page.
    Here,
}

/// What part of the page a link sits in, which decides the edge it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Body,
    Related,
    /// The index of the claim (of the row) on its page: `u32`, as every parsed link holds one.
    ClaimSource(u32),
    RowSource(u32),
}

/// One link as stored: where its target's text and then its anchor's sit in the page's link
/// text, whether it has an anchor (a front matter value's `c#` has an empty one, which names no
/// claim), its position, and its target kind and role as two bytes and the role's index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packed {
    pub(crate) at: u32,
    pub(crate) to_len: u32,
    pub(crate) anchor_len: u32,
    pub(crate) anchored: bool,
    pub(crate) pos: Pos,
    /// The claim's or row's index, for a source link.
    pub(crate) index: u32,
    pub(crate) kind: TargetKind,
    pub(crate) role_kind: RoleKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Wiki,
    Path,
    Here,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleKind {
    Body,
    Related,
    ClaimSource,
    RowSource,
}

impl Packed {
    /// A link whose target's text sits at `at` in its page's link text, its anchor's (if
    /// `anchor_len` is `Some`) after it.
    pub(crate) fn new(
        kind: TargetKind,
        (at, to_len, anchor_len): (u32, u32, Option<u32>),
        role: Role,
        pos: Pos,
    ) -> Packed {
        let mut packed = Packed {
            at,
            to_len,
            anchor_len: anchor_len.unwrap_or(0),
            anchored: anchor_len.is_some(),
            pos,
            index: 0,
            kind,
            role_kind: RoleKind::Body,
        };
        packed.set_role(role);
        packed
    }

    pub(crate) fn role(&self) -> Role {
        match self.role_kind {
            RoleKind::Body => Role::Body,
            RoleKind::Related => Role::Related,
            RoleKind::ClaimSource => Role::ClaimSource(self.index),
            RoleKind::RowSource => Role::RowSource(self.index),
        }
    }

    fn set_role(&mut self, role: Role) {
        (self.role_kind, self.index) = match role {
            Role::Body => (RoleKind::Body, 0),
            Role::Related => (RoleKind::Related, 0),
            Role::ClaimSource(i) => (RoleKind::ClaimSource, i),
            Role::RowSource(i) => (RoleKind::RowSource, i),
        };
    }

    fn to(&self) -> Range<usize> {
        let at = self.at as usize;
        at..at.saturating_add(self.to_len as usize)
    }

    fn anchor(&self) -> Range<usize> {
        let at = self.to().end;
        at..at.saturating_add(self.anchor_len as usize)
    }
}

/// A page's links, in the order they are written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    list: Box<[Packed]>,
    text: Box<str>,
}

impl Links {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Link<'_>> + '_ {
        self.list.iter().map(|packed| Link {
            packed,
            text: &self.text,
        })
    }

    /// Whether both hold the same links in the same order: targets, anchors and roles, wherever
    /// they are written.
    pub fn same_targets(&self, other: &Links) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| {
                (a.target(), a.anchor(), a.role()) == (b.target(), b.anchor(), b.role())
            })
    }

    /// One link on its own, as a front matter key's value makes one.
    pub fn one(target: Target, anchor: Option<&str>, role: Role, pos: Pos) -> Links {
        let mut list = LinkList::default();
        list.push(target, anchor, role, pos);
        list.finish()
    }

    /// The stored parts, for the parse cache.
    pub(crate) fn parts(&self) -> (&[Packed], &str) {
        (&self.list, &self.text)
    }

    /// Links from stored parts; `None` when a link's text is not in `text` (a damaged store).
    pub(crate) fn from_parts(list: Vec<Packed>, text: String) -> Option<Links> {
        let fits = |r: Range<usize>| text.get(r).is_some();
        list.iter()
            .all(|p| {
                fits(p.to())
                    && fits(p.anchor())
                    && (p.anchored || p.anchor_len == 0)
                    && (p.kind != TargetKind::Here || p.to_len == 0)
            })
            .then(|| Links {
                list: super::fit::boxed(list),
                text: text.into_boxed_str(),
            })
    }
}

/// A link of a page, with the page's link text it reads its target and anchor from.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    packed: &'a Packed,
    text: &'a str,
}

impl<'a> Link<'a> {
    fn slice(&self, r: Range<usize>) -> &'a str {
        // `Links` is only made with every range in its text (`LinkList::push`, `from_parts`).
        self.text.get(r).unwrap_or_default()
    }

    pub fn target(&self) -> Target<'a> {
        let to = self.slice(self.packed.to());
        match self.packed.kind {
            TargetKind::Wiki => Target::Wiki { name: to },
            TargetKind::Path => Target::Path { path: to },
            TargetKind::Here => Target::Here,
        }
    }

    pub fn anchor(&self) -> Option<&'a str> {
        self.packed
            .anchored
            .then(|| self.slice(self.packed.anchor()))
    }

    pub fn role(&self) -> Role {
        self.packed.role()
    }

    pub fn pos(&self) -> &'a Pos {
        &self.packed.pos
    }
}

/// A page's links as its parse finds them.
#[derive(Debug)]
pub(super) struct LinkList {
    list: Vec<Packed>,
    text: String,
    /// How long the link text may grow: its offsets are `u32`.
    room: usize,
}

impl Default for LinkList {
    fn default() -> LinkList {
        LinkList {
            list: Vec::new(),
            text: String::new(),
            room: room(),
        }
    }
}

/// The most link text a page holds: what `u32` offsets reach.
#[cfg(not(test))]
fn room() -> usize {
    u32::MAX as usize
}

// A test cannot write a page with 4 GiB of links, so it sets the room of the lists its thread
// makes.
#[cfg(test)]
thread_local! {
    pub(super) static ROOM: std::cell::Cell<usize> = const { std::cell::Cell::new(u32::MAX as usize) };
}

#[cfg(test)]
fn room() -> usize {
    ROOM.with(std::cell::Cell::get)
}

impl LinkList {
    /// Adds a link and returns its index; `None` (and nothing added) when its text would take
    /// the page's link text past the 4 GiB its offsets reach.
    pub(super) fn push(
        &mut self,
        target: Target,
        anchor: Option<&str>,
        role: Role,
        pos: Pos,
    ) -> Option<usize> {
        let (kind, to) = match target {
            Target::Wiki { name } => (TargetKind::Wiki, name),
            Target::Path { path } => (TargetKind::Path, path),
            Target::Here => (TargetKind::Here, ""),
        };
        if self.text.len() + to.len() + anchor.map_or(0, str::len) > self.room {
            return None;
        }
        // Within `room`, which is at most `u32::MAX`.
        let len = |s: &str| s.len() as u32;
        let at = (len(&self.text), len(to), anchor.map(len));
        let packed = Packed::new(kind, at, role, pos);
        self.text.push_str(to);
        self.text.push_str(anchor.unwrap_or_default());
        self.list.push(packed);
        Some(self.list.len() - 1)
    }

    pub(super) fn set_role(&mut self, i: usize, role: Role) {
        if let Some(l) = self.list.get_mut(i) {
            l.set_role(role);
        }
    }

    pub(super) fn finish(self) -> Links {
        let mut text = self.text;
        super::fit::fit_string(&mut text);
        Links {
            list: super::fit::boxed(self.list),
            text: text.into_boxed_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Pos {
        Pos::at(1, 1)
    }

    #[test]
    fn a_link_gives_back_the_target_anchor_and_role_it_was_made_with() {
        let targets = [
            Target::Wiki { name: "gwm" },
            Target::Path {
                path: "concepts/gwm.md",
            },
            Target::Here,
        ];
        let roles = [
            Role::Body,
            Role::Related,
            Role::ClaimSource(7),
            Role::RowSource(u32::MAX),
        ];
        let mut list = LinkList::default();
        let mut made = Vec::new();
        for target in targets {
            for role in roles {
                for anchor in [None, Some("k1"), Some("ünïcode"), Some("")] {
                    let i = list.push(target, anchor, Role::Body, at());
                    assert_eq!(i, Some(made.len()));
                    list.set_role(made.len(), role);
                    made.push((target, anchor, role));
                }
            }
        }
        let links = list.finish();
        let read: Vec<_> = links
            .iter()
            .map(|l| (l.target(), l.anchor(), l.role()))
            .collect();
        assert_eq!(read, made);
    }

    #[test]
    fn links_are_the_same_by_target_anchor_and_role_wherever_they_are_written() {
        let one = |name, anchor, role, line| {
            Links::one(Target::Wiki { name }, anchor, role, Pos::at(line, 1))
        };
        let base = one("gwm", Some("k1"), Role::Body, 1);
        assert!(base.same_targets(&one("gwm", Some("k1"), Role::Body, 9)));
        assert!(!base.same_targets(&one("gwm", Some(""), Role::Body, 1)));
        assert!(!base.same_targets(&one("gwm", None, Role::Body, 1)));
        assert!(!base.same_targets(&one("gwn", Some("k1"), Role::Body, 1)));
        assert!(!base.same_targets(&one("gwm", Some("k1"), Role::Related, 1)));
        assert!(!base.same_targets(&Links::default()));
    }

    #[test]
    fn a_link_owns_no_text() {
        // Every page's links are kept by the watcher: 80 bytes and three strings apiece
        // before targets and anchors were interned, 48 before the target and role were packed,
        // 40 with two interned handles, 36 with offsets into the page's link text.
        assert_eq!(std::mem::size_of::<Packed>(), 36);
        let links = Links::one(Target::Wiki { name: "gwm" }, Some("k1"), Role::Body, at());
        assert_eq!(links.parts().1, "gwmk1");
    }

    #[test]
    fn a_link_past_the_room_of_the_link_text_is_refused_and_the_rest_kept() {
        let mut list = LinkList {
            room: 8,
            ..LinkList::default()
        };
        assert_eq!(
            list.push(Target::Wiki { name: "abc" }, None, Role::Body, at()),
            Some(0)
        );
        let long = Target::Path { path: "x/y.md" };
        assert_eq!(list.push(long, None, Role::Body, at()), None);
        assert_eq!(
            list.push(Target::Here, Some("k1"), Role::Body, at()),
            Some(1)
        );
        assert_eq!(
            list.push(Target::Wiki { name: "abc" }, None, Role::Body, at()),
            Some(2)
        );
        assert_eq!(list.push(Target::Here, Some("k"), Role::Body, at()), None);
        let links = list.finish();
        let read: Vec<_> = links.iter().map(|l| (l.target(), l.anchor())).collect();
        assert_eq!(
            read,
            [
                (Target::Wiki { name: "abc" }, None),
                (Target::Here, Some("k1")),
                (Target::Wiki { name: "abc" }, None),
            ]
        );
    }

    #[test]
    fn stored_parts_are_taken_back_only_when_every_text_is_in_the_link_text() {
        let mut list = LinkList::default();
        list.push(Target::Wiki { name: "gwm" }, Some("k1"), Role::Body, at());
        list.push(Target::Path { path: "é.md" }, None, Role::Related, at());
        let links = list.finish();
        let (packed, text) = links.parts();
        let back = Links::from_parts(packed.to_vec(), text.to_string());
        assert_eq!(back.as_ref(), Some(&links));
        // Cut short, or cut inside the `é`.
        assert_eq!(Links::from_parts(packed.to_vec(), "gwmk1é".into()), None);
        let mut inside = packed.to_vec();
        inside[1].to_len = 1;
        assert_eq!(Links::from_parts(inside, text.to_string()), None);
        // An anchor's text without an anchor.
        let mut unanchored = packed.to_vec();
        unanchored[0].anchored = false;
        assert_eq!(Links::from_parts(unanchored, text.to_string()), None);
        // Text given to a link to this page.
        let mut here = packed.to_vec();
        here[0].kind = TargetKind::Here;
        assert_eq!(Links::from_parts(here, text.to_string()), None);
    }
}
