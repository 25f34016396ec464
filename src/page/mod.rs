//! One markdown page parsed on its own: kind, id, title, claims, benchmark rows and links.
//! Nothing here looks at other pages; resolving links across the repo is `resolve`'s job.

mod body;
mod claim;
mod fit;
mod link;
mod links;
mod table;

use std::path::Path;

use rescore_graph::quantity::{Quantity, Value};
use serde::Serialize;
use ustr::Ustr;

use crate::config::Folders;
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Pos};
use crate::frontmatter::{self, FrontMatter};
use crate::rules::Scale;

use body::Body;
pub use link::normalise_path;
pub use links::{Link, Links, Role, Target};
pub(crate) use links::{Packed, TargetKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Concept,
    Thesis,
    Source,
    /// Any other markdown page: resolvable as a link target, never a node.
    Note,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Concept => "concept",
            PageKind::Thesis => "thesis",
            PageKind::Source => "source",
            PageKind::Note => "note",
        }
    }
}

/// A claim as parsed. The watcher keeps every page, so what a claim holds once its material has
/// moved into the graph (`Page::material_in_graph`) is kept small: its structure and position,
/// and one empty pointer for the material.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: Box<str>,
    pub explicit_id: bool,
    /// Source names written without a link; resolved against source pages later.
    pub bare_sources: Box<[Box<str>]>,
    /// `None` once the material is held by the claim's node instead.
    pub material: Option<Box<ClaimMaterial>>,
    pub pos: Pos,
}

/// What a claim says, as its node's state holds it: what a change to the claim is judged on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimMaterial {
    /// Canonical evidence level (scale aliases applied).
    pub level: Box<str>,
    pub qualifier: Option<Box<str>>,
    pub text: Box<str>,
    pub quantities: Box<[Quantity]>,
}

/// A benchmark row: one value of a metric (for a system), keyed `metric@system`.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Box<str>,
    /// `None` once the value is held by the row's node instead.
    pub value: Option<Box<Value>>,
    pub pos: Pos,
}

/// A parsed page. The watcher keeps every page of the repo for as long as it runs, so a page is
/// kept small: texts and lists are boxed to their size (none grows after parsing), and what only
/// some pages have sits behind one pointer (`Page::score` and the other accessors read it).
/// The front matter's informational keys (`scored`, `url`, `published`) are checked as it is
/// read and not kept: nothing reads them.
#[derive(Debug, Clone)]
pub struct Page {
    pub path: Box<Path>,
    pub kind: PageKind,
    /// The kind was written in the front matter (not taken from the folder).
    pub kind_written: bool,
    /// The material of some of its claims and rows is held by the graph's node states, not
    /// here (the watcher's pages, see `resolve::build_parts_moving`).
    pub material_in_graph: bool,
    pub id: Box<str>,
    pub title: Option<Box<str>>,
    /// Interned: a repo uses a few statuses on many concepts.
    pub status: Option<Ustr>,
    pub part_of: Box<[Box<str>]>,
    pub claims: Box<[Claim]>,
    pub rows: Box<[Row]>,
    pub links: Links,
    /// Where the page's title (or first line) is, for reports that point at the page.
    pub head: Pos,
    /// Where the `part_of` key is written.
    pub part_of_at: Pos,
    /// `None` when the page has none of it (every concept and note, most sources); set through
    /// `Page::set_rare`.
    pub(crate) rare: Option<Box<Rare>>,
}

/// What only some pages have: a thesis's score and `depends_on`, a source's retraction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rare {
    pub score: Option<f64>,
    pub depends_on: Box<[Box<str>]>,
    /// Where the `depends_on` key is written.
    pub depends_on_at: Pos,
    pub retracted: bool,
    pub superseded_by: Option<Box<str>>,
}

impl Rare {
    fn is_none(&self) -> bool {
        self.score.is_none()
            && self.depends_on.is_empty()
            && !self.retracted
            && self.superseded_by.is_none()
    }
}

impl Page {
    /// Sets what only some pages have, keeping no box when the page has none of it.
    pub(crate) fn set_rare(&mut self, rare: Rare) {
        self.rare = (!rare.is_none()).then(|| Box::new(rare));
    }

    fn rare(&self) -> Option<&Rare> {
        self.rare.as_deref()
    }

    /// A thesis's score (`None` on other pages, and on a thesis whose score is missing or bad).
    pub fn score(&self) -> Option<f64> {
        self.rare().and_then(|r| r.score)
    }

    pub fn depends_on(&self) -> &[Box<str>] {
        self.rare().map_or(&[], |r| &r.depends_on)
    }

    /// Where the `depends_on` key is written (read only when the page has `depends_on`).
    pub fn depends_on_at(&self) -> &Pos {
        self.rare().map_or(&self.head, |r| &r.depends_on_at)
    }

    pub fn retracted(&self) -> bool {
        self.rare().is_some_and(|r| r.retracted)
    }

    pub fn superseded_by(&self) -> Option<&str> {
        self.rare().and_then(|r| r.superseded_by.as_deref())
    }
}

/// What parsing a page needs from the repo's settings.
pub struct ParseContext<'a> {
    pub folders: &'a Folders,
    pub scale: &'a Scale,
}

/// `parse` with the shipped rules and the default folders, for tests.
#[cfg(test)]
pub(crate) fn parse_with_defaults(path: &str, text: &str) -> (Option<Page>, Vec<Diagnostic>) {
    let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
    let cx = ParseContext {
        folders: &Folders::default(),
        scale: &rules.scale,
    };
    parse(Path::new(path), text, &cx)
}

/// `parse_with_defaults` for tests of what a page becomes further on; the page must parse.
#[cfg(test)]
pub(crate) fn parsed_with_defaults(path: &str, text: &str) -> Page {
    parse_with_defaults(path, text).0.expect("the page parses")
}

/// Parses one page. Problems that make the page unusable come back as `Err`; problems with one
/// claim or key ride along in the second vector and leave the rest of the page intact.
pub fn parse(path: &Path, text: &str, cx: &ParseContext) -> (Option<Page>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let mut diags = Vec::new();
    let split = match frontmatter::split(text, path, &lines) {
        Ok(s) => s,
        Err(d) => return (None, vec![d]),
    };
    let fm = &split.front;
    let key = |k: &str| {
        frontmatter::key_pos(split.front_text, split.front_start, text, k, &lines)
            .unwrap_or_else(|| lines.span(text, 0..0))
    };
    let kind = match fm.kind.as_deref().map(str::trim) {
        Some(k) => match k.to_lowercase().as_str() {
            "concept" => PageKind::Concept,
            "thesis" => PageKind::Thesis,
            "source" => PageKind::Source,
            "note" => PageKind::Note,
            other => {
                let kinds = ["concept", "thesis", "source", "note"];
                let mut d = Diagnostic::error(
                    Code::UnknownKind,
                    path,
                    key("kind"),
                    format!("unknown page kind `{other}`"),
                )
                .expected("kind = \"concept\", \"thesis\" or \"source\" (or \"note\")");
                d = match did_you_mean(other, kinds) {
                    Some(near) => d.hint(format!("did you mean `{near}`?")),
                    None => d.hint("remove `kind` to take the kind from the page's folder"),
                };
                return (None, vec![d]);
            }
        },
        // A folder's README or index describes the folder: a note, wherever it sits.
        None if is_folder_page(path) => PageKind::Note,
        None => kind_from_folder(path, cx.folders),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = fm.id.clone().map(|s| s.trim().to_string()).unwrap_or(stem);

    let mut body = Body::parse(
        split.body,
        split.body_start,
        text,
        &lines,
        path,
        kind,
        cx,
        &mut diags,
    );
    let title = fm.title.clone().or(body.h1.take());
    let head = body.head.clone().unwrap_or_else(|| lines.span(text, 0..0));

    let mut score = None;
    if kind == PageKind::Thesis {
        score = thesis_score(fm, path, &key, &head, &mut diags);
    } else if kind == PageKind::Note && fm.kind.is_none() && fm.score.is_some() {
        diags.push(
            Diagnostic::warning(
                Code::ScoreOnNote,
                path,
                key("score"),
                "page has a `score` but no kind, so it is a note and no thesis",
            )
            .expected("a thesis: `kind = \"thesis\"`, or a page in a theses folder")
            .hint("add `kind = \"thesis\"` to the front matter, or move the page into a folder named in `[folders] thesis` of rescore.toml"),
        );
    }
    let mut page = Page {
        path: path.into(),
        kind,
        kind_written: fm.kind.is_some(),
        material_in_graph: false,
        id: fit::boxed_str(id),
        title: title.map(fit::boxed_str),
        // "Active Frontier" and "active-frontier" are one status.
        status: fm
            .status
            .as_deref()
            .map(slug)
            .filter(|s| !s.is_empty())
            .map(|s| Ustr::from(&s)),
        part_of: boxed_names(&fm.part_of),
        claims: fit::boxed(body.claims),
        rows: fit::boxed(body.rows),
        links: body.links.finish(),
        head,
        part_of_at: key("part_of"),
        rare: None,
    };
    page.set_rare(Rare {
        score,
        depends_on: boxed_names(&fm.depends_on),
        depends_on_at: key("depends_on"),
        retracted: fm.retracted.unwrap_or(false),
        superseded_by: fm
            .superseded_by
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(Box::from),
    });
    fit::fit(&mut page);
    (Some(page), diags)
}

/// A front matter list of page names, each boxed to its size.
fn boxed_names(names: &[String]) -> Box<[Box<str>]> {
    names.iter().map(|n| Box::from(n.as_str())).collect()
}

fn thesis_score(
    fm: &FrontMatter,
    path: &Path,
    key: &dyn Fn(&str) -> Pos,
    head: &Pos,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let bad = |pos: Pos, what: String| {
        Diagnostic::error(Code::ThesisWithoutScore, path, pos, what)
            .expected("a numeric `score` in the thesis's front matter, e.g. score = 0.62")
            .hint("write the researcher's current confidence as a number (quotes make it text)")
    };
    match &fm.score {
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                diags.push(bad(
                    key("score"),
                    "thesis score is not a finite number".into(),
                ));
                None
            }
        },
        Some(other) => {
            diags.push(bad(
                key("score"),
                format!("thesis score is {other}, not a number"),
            ));
            None
        }
        None => {
            diags.push(bad(head.clone(), "thesis has no score".into()));
            None
        }
    }
}

/// `README.md` or `index.md` (any case).
fn is_folder_page(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("readme") || s.eq_ignore_ascii_case("index"))
}

fn kind_from_folder(path: &Path, folders: &Folders) -> PageKind {
    let dirs: Vec<String> = path
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let has = |names: &[String]| dirs.iter().any(|d| names.iter().any(|n| n == d));
    if has(&folders.thesis) {
        PageKind::Thesis
    } else if has(&folders.concept) {
        PageKind::Concept
    } else if has(&folders.source) {
        PageKind::Source
    } else {
        PageKind::Note
    }
}

/// A slug: lowercase alphanumerics joined by single hyphens.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_slug(s, &mut out);
    out
}

/// Appends `slug(s)` to `out`, so that an id of several slugs is built in one text.
pub(crate) fn push_slug(s: &str, out: &mut String) {
    if s.is_ascii() {
        push_ascii_slug(s, out);
    } else {
        push_unicode_slug(s, out);
    }
}

fn push_unicode_slug(s: &str, out: &mut String) {
    let start = out.len();
    let mut dash = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && out.len() > start {
                out.push('-');
            }
            out.push(c);
            dash = false;
        } else {
            dash = true;
        }
    }
}

/// `push_slug` of ASCII text, byte by byte: nearly every slug is ASCII, and this skips
/// decoding and the Unicode case and class tables.
fn push_ascii_slug(s: &str, out: &mut String) {
    let start = out.len();
    let mut dash = false;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            if dash && out.len() > start {
                out.push('-');
            }
            out.push(char::from(b.to_ascii_lowercase()));
            dash = false;
        } else {
            dash = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_slug_is_slug_of_ascii(s in "[ -~\t\n]{0,40}", before in "[a-z-]{0,3}") {
            let (mut ascii, mut unicode) = (before.clone(), before);
            push_ascii_slug(&s, &mut ascii);
            push_unicode_slug(&s, &mut unicode);
            proptest::prop_assert_eq!(ascii, unicode);
        }
    }

    #[test]
    fn slug_folds_case_and_punctuation() {
        assert_eq!(slug("Consistency horizon"), "consistency-horizon");
        assert_eq!(slug("  Genie 3 — 11B!"), "genie-3-11b");
    }

    /// The watcher keeps every page, and a concept's claims and rows without their material:
    /// each word here is paid once per claim or row of the repo.
    #[test]
    fn a_claim_and_a_row_are_small_without_their_material() {
        assert_eq!(std::mem::size_of::<Claim>(), 64);
        assert_eq!(std::mem::size_of::<Row>(), 40);
    }

    /// The watcher keeps every page: each word here is paid once per page of the repo (it was
    /// 400 bytes with every field inline, 168 before its links' texts moved from the interner
    /// into a text of the page's own).
    #[test]
    fn a_page_is_small() {
        assert_eq!(std::mem::size_of::<Page>(), 184);
    }

    #[test]
    fn a_link_past_the_room_of_the_page_link_text_is_an_error_and_the_links_before_it_are_kept() {
        let text = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n\
                    - [[abc]] and [[abcdef]], then [[ab]]\n";
        links::ROOM.with(|r| r.set(6));
        let (page, diags) = parse_with_defaults("theses/t.md", text);
        links::ROOM.with(|r| r.set(u32::MAX as usize));
        let page = page.expect("the page parses");
        let names: Vec<_> = page.links.iter().map(|l| l.target()).collect();
        assert_eq!(
            names,
            [Target::Wiki { name: "abc" }, Target::Wiki { name: "ab" }]
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Code::Unreadable);
        assert!(diags[0].is_error());
        assert_eq!((diags[0].line, diags[0].col), (7, 15));
    }

    fn parsed(path: &str, text: &str) -> Page {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = Folders::default();
        let cx = ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let (page, diags) = parse(Path::new(path), text, &cx);
        assert!(diags.is_empty(), "{diags:?}");
        page.expect("a page")
    }

    #[test]
    fn only_a_page_with_a_score_a_retraction_or_depends_on_holds_the_rare_box() {
        let concept = parsed(
            "concepts/c.md",
            "+++\nstatus = \"Active Frontier\"\npart_of = [\"w\"]\n+++\n# C\n",
        );
        assert!(concept.rare.is_none());
        assert_eq!(concept.status.as_deref(), Some("active-frontier"));
        assert_eq!(concept.score(), None);
        assert!(concept.depends_on().is_empty());

        let source = parsed(
            "sources/s.md",
            "+++\nurl = \"https://x.org\"\npublished = 2025-06-11\n+++\n# S\n",
        );
        assert!(source.rare.is_none());
        assert!(!source.retracted());

        let thesis = parsed(
            "theses/t.md",
            "+++\nscore = 0.62\ndepends_on = [\"c#k\"]\n+++\n# T\n",
        );
        assert!(thesis.rare.is_some());
        assert_eq!(thesis.score(), Some(0.62));
        assert_eq!(thesis.depends_on(), [Box::from("c#k")]);
        assert_eq!(thesis.depends_on_at().line, 3);

        let gone = parsed(
            "sources/g.md",
            "+++\nretracted = true\nsuperseded_by = \"g2\"\n+++\n# G\n",
        );
        assert!(gone.retracted());
        assert_eq!(gone.superseded_by(), Some("g2"));
    }

    fn said(c: &Claim) -> &ClaimMaterial {
        c.material
            .as_deref()
            .expect("a parsed claim holds its material")
    }

    fn claims_of(page: &str) -> Vec<Claim> {
        parsed("concepts/c.md", page).claims.into()
    }

    #[test]
    fn a_claim_is_its_whole_item() {
        let claims = claims_of(
            "# C\n\n- The tool shall `link` items. {#a}\n  Evidence: strong (s)\n  \
             - Links point up.\n  - A sub-claim.\n    Evidence: weak (s)\n\n  \
             More text.\n\n  | K | V |\n  |---|---|\n  | x | 1 |\n\n  \
             ```\n  doorstop link A B\n  ```\n",
        );
        assert_eq!(claims.len(), 2);
        assert_eq!(&*said(&claims[0]).text, "A sub-claim.");
        assert_eq!(
            &*said(&claims[1]).text,
            "The tool shall `link` items.\nLinks point up.\nMore text.\nk | v\nx | 1\n`doorstop link A B`"
        );
        assert_eq!(&*claims[1].id, "a");
    }

    #[test]
    fn a_code_block_in_a_tight_item_is_not_read_as_the_evidence_line() {
        let claims = claims_of(
            "# C\n\n- Run it:\n  Evidence: strong (s)\n  ```\n  doorstop new REQ\n  ```\n",
        );
        assert_eq!(&*said(&claims[0]).text, "Run it:\n`doorstop new REQ`");
        assert_eq!(claims[0].bare_sources, [Box::from("s")].into());
        assert_eq!(&*claims[0].id, "run-it");
    }

    #[test]
    fn links_part_the_bare_source_names_as_commas_do() {
        let claims = claims_of(
            "# C\n\n- A claim.\n  Evidence: strong ([[a]], b; c [S](../sources/s.md) d, , e)\n",
        );
        let names: Vec<&str> = claims[0].bare_sources.iter().map(|n| &**n).collect();
        assert_eq!(names, ["b", "c", "d", "e"]);
    }

    #[test]
    fn numbers_in_marks_and_link_text_are_no_quantities() {
        let claims = claims_of(
            "# C\n\n- [[V-JEPA 2]] scores 64% [12] on it[^3] (#776).\n  Evidence: strong (s)\n",
        );
        let quantities = &said(&claims[0]).quantities;
        assert_eq!(quantities.len(), 1, "{quantities:?}");
    }

    fn concept(body: &str) -> Page {
        let folders = Folders::default();
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let cx = ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let text = format!("+++\nkind = \"concept\"\n+++\n# C\n\n{body}");
        let (page, diags) = parse(Path::new("concepts/c.md"), &text, &cx);
        assert!(diags.is_empty(), "{diags:?}");
        page.expect("a page")
    }

    fn shown(qs: &[Quantity]) -> Vec<String> {
        qs.iter().map(Quantity::to_string).collect()
    }

    #[test]
    fn link_text_and_code_hold_no_quantity() {
        let page = concept(
            "- [Genie 3](../sources/g.md) and [#776](https://x.org/776) run `--steps 3000` at\n  \
             [[Genie 3]] 24 fps, see <https://x.org/2> and [4 GB](https://x.org). {#a}\n  \
             Evidence: strong ([[S]])\n",
        );
        assert_eq!(shown(&said(&page.claims[0]).quantities), ["24 fps"]);
    }

    #[test]
    fn a_cell_reads_every_number_but_not_its_links() {
        let page = concept(
            "| Metric | Value |\n|---|---|\n\
             | Memory | 47.14GB GPU / 2.96GB CPU |\n\
             | Params | 11 B [^3] |\n\
             | Model | [Genie 3](../sources/g.md) |\n\
             | Size | 7 [B](https://x.org) |\n\
             | Score | 64.2[^7] |\n\n\
             [^7]: https://x.org/note\n",
        );
        let value = |r: &Row| {
            r.value
                .as_deref()
                .expect("a parsed row holds its value")
                .to_string()
        };
        let values: Vec<String> = page.rows.iter().map(value).collect();
        assert_eq!(
            values,
            ["47.14 gb / 2.96 gb", "11B", "\"genie 3\"", "7", "64.2"]
        );
    }

    #[test]
    fn readme_and_index_pages_are_folder_pages() {
        assert!(is_folder_page(Path::new("theses/README.md")));
        assert!(is_folder_page(Path::new("concepts/Index.md")));
        assert!(!is_folder_page(Path::new("concepts/readme-notes.md")));
    }
}
