//! A parsed page as the parse cache stores it. The page types are not serde types (and their
//! links' serde attributes skip positions and tag enums internally, which a compact binary
//! format cannot read back); these mirrors hold every field, positions included, in a shape
//! postcard round-trips. Conversions destructure every struct, so a field
//! added to a page type fails to compile here until it is stored too.
//!
//! A mirror made to be encoded borrows the page's texts (`Cow::Borrowed`); one decoded owns
//! them. Copying every text of every page before encoding it was about 3% of a first check's
//! CPU at 100k pages.

use std::borrow::Cow;
use std::path::PathBuf;

use rescore_graph::quantity::{canonical_unit, Quantity, Value};
use serde::{Deserialize, Serialize};
use ustr::Ustr;

use crate::diag::Pos;
use crate::page::{
    Claim, ClaimMaterial, Links, Packed, Page, PageKind, Rare, Role, Row, TargetKind,
};

#[derive(Serialize, Deserialize)]
pub struct StoredPage<'a> {
    kind: u8,
    kind_written: bool,
    id: Cow<'a, str>,
    title: Option<Cow<'a, str>>,
    status: Option<Ustr>,
    part_of: Cow<'a, [Box<str>]>,
    claims: Vec<StoredClaim<'a>>,
    rows: Vec<StoredRow<'a>>,
    links: Vec<StoredLink>,
    /// The names, paths and anchors the links read, as `Links` keeps them.
    link_text: Cow<'a, str>,
    head: StoredPos,
    part_of_at: StoredPos,
    rare: Option<StoredRare<'a>>,
}

#[derive(Serialize, Deserialize)]
struct StoredRare<'a> {
    score: Option<f64>,
    depends_on: Cow<'a, [Box<str>]>,
    depends_on_at: StoredPos,
    retracted: bool,
    superseded_by: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct StoredPos {
    line: u32,
    col: u32,
    span: Option<(usize, usize)>,
}

#[derive(Serialize, Deserialize)]
struct StoredClaim<'a> {
    id: Cow<'a, str>,
    explicit_id: bool,
    bare_sources: Cow<'a, [Box<str>]>,
    material: Option<StoredClaimMaterial<'a>>,
    pos: StoredPos,
}

#[derive(Serialize, Deserialize)]
struct StoredClaimMaterial<'a> {
    level: Cow<'a, str>,
    qualifier: Option<Cow<'a, str>>,
    text: Cow<'a, str>,
    quantities: Vec<StoredQuantity<'a>>,
}

#[derive(Serialize, Deserialize)]
struct StoredRow<'a> {
    id: Cow<'a, str>,
    value: Option<StoredValue<'a>>,
    pos: StoredPos,
}

/// A link as `Packed` holds it: where its texts sit in the page's link text.
#[derive(Serialize, Deserialize)]
struct StoredLink {
    target: StoredTarget,
    at: u32,
    to_len: u32,
    anchor_len: Option<u32>,
    role: StoredRole,
    pos: StoredPos,
}

#[derive(Serialize, Deserialize)]
enum StoredTarget {
    Wiki,
    Path,
    Here,
}

#[derive(Serialize, Deserialize)]
enum StoredRole {
    Body,
    Related,
    ClaimSource(u32),
    RowSource(u32),
}

#[derive(Serialize, Deserialize)]
struct StoredQuantity<'a> {
    value: f64,
    high: Option<f64>,
    unit: Option<Cow<'a, str>>,
    approx: bool,
}

#[derive(Serialize, Deserialize)]
enum StoredValue<'a> {
    Numbers(Vec<StoredQuantity<'a>>),
    Quantity(StoredQuantity<'a>),
    Text(Cow<'a, str>),
}

const KINDS: [PageKind; 4] = [
    PageKind::Concept,
    PageKind::Thesis,
    PageKind::Source,
    PageKind::Note,
];

impl<'a> StoredPage<'a> {
    pub fn of(page: &'a Page) -> StoredPage<'a> {
        let Page {
            path: _,
            kind,
            kind_written,
            // Set on no page stored: the watcher hands the cache whole pages.
            material_in_graph: _,
            id,
            title,
            status,
            part_of,
            claims,
            rows,
            links,
            head,
            part_of_at,
            rare,
        } = page;
        let (link_parts, link_text) = links.parts();
        StoredPage {
            kind: KINDS.iter().position(|k| k == kind).unwrap_or(3) as u8,
            kind_written: *kind_written,
            id: Cow::Borrowed(id),
            title: title.as_deref().map(Cow::Borrowed),
            status: *status,
            part_of: Cow::Borrowed(part_of),
            claims: claims.iter().map(StoredClaim::of).collect(),
            rows: rows.iter().map(StoredRow::of).collect(),
            links: link_parts.iter().map(StoredLink::of).collect(),
            link_text: Cow::Borrowed(link_text),
            head: StoredPos::of(head),
            part_of_at: StoredPos::of(part_of_at),
            rare: rare.as_deref().map(StoredRare::of),
        }
    }

    /// The page at `path`; `None` when the stored kind is none this build knows, or a link's
    /// text is not in the stored link text.
    pub fn into_page(self, path: PathBuf) -> Option<Page> {
        let StoredPage {
            kind,
            kind_written,
            id,
            title,
            status,
            part_of,
            claims,
            rows,
            links,
            link_text,
            head,
            part_of_at,
            rare,
        } = self;
        let links = Links::from_parts(
            links.into_iter().map(StoredLink::into_packed).collect(),
            link_text.into_owned(),
        )?;
        let mut page = Page {
            path: path.into(),
            kind: *KINDS.get(usize::from(kind))?,
            kind_written,
            material_in_graph: false,
            id: boxed(id),
            title: title.map(boxed),
            status,
            part_of: part_of.into_owned().into(),
            claims: claims.into_iter().map(StoredClaim::into_claim).collect(),
            rows: rows.into_iter().map(StoredRow::into_row).collect(),
            links,
            head: head.into_pos(),
            part_of_at: part_of_at.into_pos(),
            rare: None,
        };
        page.set_rare(rare.map(StoredRare::into_rare).unwrap_or_default());
        Some(page)
    }
}

/// A decoded text as the page holds it (a decoded `Cow` owns its text: this moves it).
fn boxed(text: Cow<'_, str>) -> Box<str> {
    text.into_owned().into_boxed_str()
}

impl<'a> StoredRare<'a> {
    fn of(rare: &'a Rare) -> StoredRare<'a> {
        let Rare {
            score,
            depends_on,
            depends_on_at,
            retracted,
            superseded_by,
        } = rare;
        StoredRare {
            score: *score,
            depends_on: Cow::Borrowed(depends_on),
            depends_on_at: StoredPos::of(depends_on_at),
            retracted: *retracted,
            superseded_by: superseded_by.as_deref().map(Cow::Borrowed),
        }
    }

    fn into_rare(self) -> Rare {
        Rare {
            score: self.score,
            depends_on: self.depends_on.into_owned().into(),
            depends_on_at: self.depends_on_at.into_pos(),
            retracted: self.retracted,
            superseded_by: self.superseded_by.map(boxed),
        }
    }
}

impl StoredPos {
    fn of(pos: &Pos) -> StoredPos {
        StoredPos {
            line: pos.line,
            col: pos.col,
            span: pos.span().map(|r| (r.start, r.end)),
        }
    }

    fn into_pos(self) -> Pos {
        Pos::spanning(
            self.line,
            self.col,
            self.span.map(|(start, end)| start..end),
        )
    }
}

impl<'a> StoredClaim<'a> {
    fn of(claim: &'a Claim) -> StoredClaim<'a> {
        let Claim {
            id,
            explicit_id,
            bare_sources,
            material,
            pos,
        } = claim;
        StoredClaim {
            id: Cow::Borrowed(id),
            explicit_id: *explicit_id,
            bare_sources: Cow::Borrowed(bare_sources),
            material: material.as_deref().map(StoredClaimMaterial::of),
            pos: StoredPos::of(pos),
        }
    }

    fn into_claim(self) -> Claim {
        Claim {
            id: boxed(self.id),
            explicit_id: self.explicit_id,
            bare_sources: self.bare_sources.into_owned().into(),
            material: self
                .material
                .map(|m| Box::new(StoredClaimMaterial::into_material(m))),
            pos: self.pos.into_pos(),
        }
    }
}

impl<'a> StoredClaimMaterial<'a> {
    fn of(material: &'a ClaimMaterial) -> StoredClaimMaterial<'a> {
        let ClaimMaterial {
            level,
            qualifier,
            text,
            quantities,
        } = material;
        StoredClaimMaterial {
            level: Cow::Borrowed(level),
            qualifier: qualifier.as_deref().map(Cow::Borrowed),
            text: Cow::Borrowed(text),
            quantities: quantities.iter().map(StoredQuantity::of).collect(),
        }
    }

    fn into_material(self) -> ClaimMaterial {
        ClaimMaterial {
            level: boxed(self.level),
            qualifier: self.qualifier.map(boxed),
            text: boxed(self.text),
            quantities: self
                .quantities
                .into_iter()
                .map(StoredQuantity::into_quantity)
                .collect(),
        }
    }
}

impl<'a> StoredRow<'a> {
    fn of(row: &'a Row) -> StoredRow<'a> {
        let Row { id, value, pos } = row;
        StoredRow {
            id: Cow::Borrowed(id),
            value: value.as_deref().map(StoredValue::of),
            pos: StoredPos::of(pos),
        }
    }

    fn into_row(self) -> Row {
        Row {
            id: boxed(self.id),
            value: self.value.map(|v| Box::new(v.into_value())),
            pos: self.pos.into_pos(),
        }
    }
}

impl StoredLink {
    fn of(link: &Packed) -> StoredLink {
        // The role holds the index and the role's kind.
        let Packed {
            at,
            to_len,
            anchor_len,
            anchored,
            pos,
            index: _,
            kind,
            role_kind: _,
        } = link;
        StoredLink {
            target: match kind {
                TargetKind::Wiki => StoredTarget::Wiki,
                TargetKind::Path => StoredTarget::Path,
                TargetKind::Here => StoredTarget::Here,
            },
            at: *at,
            to_len: *to_len,
            anchor_len: anchored.then_some(*anchor_len),
            role: match link.role() {
                Role::Body => StoredRole::Body,
                Role::Related => StoredRole::Related,
                Role::ClaimSource(i) => StoredRole::ClaimSource(i),
                Role::RowSource(i) => StoredRole::RowSource(i),
            },
            pos: StoredPos::of(pos),
        }
    }

    fn into_packed(self) -> Packed {
        Packed::new(
            match self.target {
                StoredTarget::Wiki => TargetKind::Wiki,
                StoredTarget::Path => TargetKind::Path,
                StoredTarget::Here => TargetKind::Here,
            },
            (self.at, self.to_len, self.anchor_len),
            match self.role {
                StoredRole::Body => Role::Body,
                StoredRole::Related => Role::Related,
                StoredRole::ClaimSource(i) => Role::ClaimSource(i),
                StoredRole::RowSource(i) => Role::RowSource(i),
            },
            self.pos.into_pos(),
        )
    }
}

impl<'a> StoredQuantity<'a> {
    fn of(q: &'a Quantity) -> StoredQuantity<'a> {
        let Quantity {
            value,
            high,
            unit,
            approx,
        } = q;
        StoredQuantity {
            value: *value,
            high: *high,
            unit: unit.as_deref().map(Cow::Borrowed),
            approx: *approx,
        }
    }

    fn into_quantity(self) -> Quantity {
        Quantity {
            value: self.value,
            high: self.high,
            unit: self.unit.map(|u| canonical_unit(u.into_owned())),
            approx: self.approx,
        }
    }
}

impl<'a> StoredValue<'a> {
    fn of(v: &'a Value) -> StoredValue<'a> {
        match v {
            Value::Numbers { numbers } => {
                StoredValue::Numbers(numbers.iter().map(StoredQuantity::of).collect())
            }
            Value::Quantity(q) => StoredValue::Quantity(StoredQuantity::of(q)),
            Value::Text { text } => StoredValue::Text(Cow::Borrowed(text)),
        }
    }

    fn into_value(self) -> Value {
        match self {
            StoredValue::Numbers(numbers) => Value::Numbers {
                numbers: numbers
                    .into_iter()
                    .map(StoredQuantity::into_quantity)
                    .collect(),
            },
            StoredValue::Quantity(q) => Value::Quantity(q.into_quantity()),
            StoredValue::Text(text) => Value::Text {
                text: text.into_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_page_of_the_example_round_trips_field_for_field() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models");
        let repo = crate::load::load(&root).expect("the example loads");
        assert!(repo.pages.iter().any(|p| !p.rows.is_empty()));
        assert!(repo.pages.iter().any(|p| !p.links.is_empty()));
        for page in &repo.pages {
            let bytes = postcard::to_allocvec(&StoredPage::of(page)).expect("encodes");
            let back = postcard::from_bytes::<StoredPage>(&bytes)
                .expect("decodes")
                .into_page(page.path.to_path_buf())
                .expect("a known kind");
            assert_eq!(format!("{back:?}"), format!("{page:?}"), "{:?}", page.path);
        }
    }

    #[test]
    fn a_page_whose_material_is_in_a_graph_round_trips_without_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models");
        let mut pages = crate::load::load(&root).expect("the example loads").pages;
        crate::resolve::build_parts_moving(&mut pages, &[], &mut Vec::new());
        let lean = pages.iter().filter(|p| p.material_in_graph);
        let mut lean = lean.peekable();
        assert!(lean.peek().is_some());
        for page in lean {
            let bytes = postcard::to_allocvec(&StoredPage::of(page)).expect("encodes");
            let back = postcard::from_bytes::<StoredPage>(&bytes)
                .expect("decodes")
                .into_page(page.path.to_path_buf())
                .expect("a known kind");
            assert!(back.claims.iter().any(|c| c.material.is_none()));
            let held = |p: &Page| {
                let claims = p.claims.iter().map(|c| c.material.is_some());
                let rows = p.rows.iter().map(|r| r.value.is_some());
                (claims.collect::<Vec<_>>(), rows.collect::<Vec<_>>())
            };
            assert_eq!(held(&back), held(page), "{:?}", page.path);
        }
    }

    #[test]
    fn what_only_some_pages_have_round_trips() {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = crate::config::Folders::default();
        let cx = crate::page::ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let pages = [
            (
                "theses/t.md",
                "+++\nscore = 0.5\ndepends_on = [\"c\", \"d#k\"]\n+++\n# T\n",
            ),
            (
                "sources/s.md",
                "+++\nretracted = true\nsuperseded_by = \"s2\"\n+++\n# S\n",
            ),
            (
                "concepts/c.md",
                "+++\nstatus = \"Done\"\npart_of = [\"w\"]\n+++\n# C\n",
            ),
        ];
        for (path, text) in pages {
            let (page, _) = crate::page::parse(Path::new(path), text, &cx);
            let page = page.expect("a page");
            let bytes = postcard::to_allocvec(&StoredPage::of(&page)).expect("encodes");
            let back = postcard::from_bytes::<StoredPage>(&bytes)
                .expect("decodes")
                .into_page(page.path.to_path_buf())
                .expect("a known kind");
            assert_eq!(format!("{back:?}"), format!("{page:?}"), "{path}");
        }
    }

    #[test]
    fn an_unknown_kind_is_no_page() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models");
        let repo = crate::load::load(&root).expect("the example loads");
        let mut stored = StoredPage::of(&repo.pages[0]);
        stored.kind = 9;
        assert!(stored.into_page(PathBuf::from("x.md")).is_none());
    }

    #[test]
    fn a_link_text_that_misses_a_link_is_no_page() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/world-models");
        let repo = crate::load::load(&root).expect("the example loads");
        let page = repo.pages.iter().find(|p| !p.links.is_empty());
        let page = page.expect("a page with links");
        let whole = StoredPage::of(page);
        assert!(whole.into_page(page.path.to_path_buf()).is_some());
        let mut cut = StoredPage::of(page);
        cut.link_text.to_mut().pop();
        assert!(cut.into_page(page.path.to_path_buf()).is_none());
    }
}
