//! Links found by the interned text of their target, for a graph built from scratch. A link's
//! name or path is interned when its page is parsed (`Ustr`), so a page whose lowercase id or
//! whose path is that very text is found by the interned pointer, whose hash was taken once.
//! The index (`Index::page`) hashes the text again and checks the page it finds against it;
//! at 100k pages those reads of pages all over memory were most of the cost of resolving
//! links. A link this does not find (a name in capitals or a title, a path written otherwise)
//! goes to the index, so it finds a page only where the index finds the same one.

use rayon::prelude::*;
use ustr::{Ustr, UstrMap};

use super::{lower, lowers_to};
use crate::page::{Page, PageKind, Target};

/// Page places by the interned lowercase id (of each page the index finds by its id) and by
/// the interned path (of every page), as in the page list the index was built from.
pub struct Quick {
    ids: UstrMap<u32>,
    paths: UstrMap<u32>,
}

impl Quick {
    /// For `pages` as a fresh index holds them, where `live` marks each page the index has under
    /// its id. Only texts interned already are looked up: a page no link names by its exact id
    /// or path cannot be found here, and interning its id would only grow the interner.
    pub fn new(pages: &[Page], live: &[bool]) -> Quick {
        let keys: Vec<(Option<Ustr>, Option<Ustr>)> = pages
            .par_iter()
            .zip(live)
            .map(|(p, &live)| {
                let id = (live && p.kind != PageKind::Note)
                    .then(|| id_key(&p.id))
                    .flatten();
                (id, p.path.to_str().and_then(Ustr::from_existing))
            })
            .collect();
        let mut quick = Quick {
            ids: UstrMap::default(),
            paths: UstrMap::default(),
        };
        quick.ids.reserve(keys.len());
        quick.paths.reserve(keys.len());
        for (i, (id, path)) in keys.into_iter().enumerate() {
            let i = i as u32;
            if let Some(id) = id {
                quick.ids.insert(id, i);
            }
            if let Some(path) = path {
                quick.paths.insert(path, i);
            }
        }
        quick
    }

    /// The place of the page `target` names, when its text is a page's exactly; `None` says
    /// only that the index must be asked.
    pub fn page(&self, target: Target) -> Option<usize> {
        match target {
            Target::Wiki { name } => self.ids.get(&name),
            Target::Path { path } => self.paths.get(&path),
            Target::Here => None,
        }
        .map(|&i| i as usize)
    }
}

/// The interned text a link names the page with id `id` by, when `Index::by_name` would look
/// that text up as it is: trimmed, with nothing to lowercase, and the id lowercasing to it (as
/// the index's check of a page against a name has it).
fn id_key(id: &str) -> Option<Ustr> {
    let key = lower(id);
    let as_is = key.trim() == key && matches!(lower(&key), std::borrow::Cow::Borrowed(_));
    (as_is && lowers_to(id, &key))
        .then(|| Ustr::from_existing(&key))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::super::Index;
    use super::*;
    use crate::page::parsed_with_defaults as page;

    #[test]
    fn a_page_is_found_by_the_exact_text_of_its_id_or_path_and_as_the_index_finds_it() {
        let pages = vec![
            page("concepts/jepa.md", "+++\nkind = \"concept\"\n+++\n# JEPA\n"),
            page(
                "concepts/world.md",
                "+++\nkind = \"concept\"\nid = \"World-Models\"\n+++\n# World models\n",
            ),
            page("sources/s1.md", "+++\nkind = \"source\"\n+++\n# S1\n"),
            page("notes/readme.md", "+++\nkind = \"note\"\n+++\n# Readme\n"),
            // A second page with the id `jepa`: the index keeps the first.
            page(
                "theses/t.md",
                "+++\nkind = \"thesis\"\nid = \"jepa\"\n+++\n# T\n",
            ),
            // A file stem keeps its space, which the index's lookup of a name trims away.
            page("sources/s2 .md", "+++\nkind = \"source\"\n+++\n# S2\n"),
        ];
        let (index, live) = Index::new(&pages, &mut Vec::new());
        let wiki = |n: &str| Target::Wiki { name: n.into() };
        let path = |p: &str| Target::Path { path: p.into() };
        let targets = [
            wiki("jepa"),
            wiki("world-models"),
            wiki("World-Models"),
            wiki(" jepa"),
            wiki("JEPA"),
            wiki("s1"),
            wiki("readme"),
            wiki("world models"),
            wiki("nothing"),
            path("concepts/jepa.md"),
            path("sources/s1.md"),
            path("notes/readme.md"),
            path("concepts//jepa.md"),
            path("concepts/none.md"),
            wiki("s2 "),
        ];
        let quick = Quick::new(&pages, &live);
        let mut found = Vec::new();
        for t in targets {
            let q = quick.page(t);
            if q.is_some() {
                assert_eq!(q, index.page(&pages, &t, 0), "{t:?}");
            }
            found.push(q);
        }
        assert_eq!(
            found,
            [
                Some(0),
                Some(1),
                None,
                None,
                None,
                Some(2),
                // A note, by a title, by what is no page's, by a path written otherwise:
                // the index is asked.
                None,
                None,
                None,
                Some(0),
                Some(2),
                Some(3),
                None,
                None,
                None,
            ]
        );
        assert_eq!(quick.page(Target::Here), None);
    }

    proptest::proptest! {
        /// Over ids and titles that differ by case, by space around them, by letters whose
        /// lowercase is longer or that are title case, taken twice, on notes and other pages:
        /// whatever this finds, the index finds the same page.
        #[test]
        fn what_is_found_by_interned_text_is_what_the_index_finds(
            named in proptest::collection::vec((0usize..12, 0usize..12, 0usize..4), 1..8),
        ) {
            const NAMES: [&str; 12] =
                ["a", "A", " a", "a ", "b", "\u{c9}t\u{e9}", "\u{e9}t\u{e9}", "\u{1c5}",
                 "\u{1c6}", "stra\u{df}e", "STRASSE", "\u{130}x"];
            const KINDS: [&str; 4] = ["concept", "source", "thesis", "note"];
            let pages: Vec<Page> = named
                .iter()
                .enumerate()
                .map(|(i, &(id, title, kind))| {
                    let folder = ["concepts", "sources", "theses", "notes"][kind];
                    page(
                        &format!("{folder}/p{i}.md"),
                        &format!(
                            "+++\nkind = \"{}\"\nid = \"{}\"\n+++\n# {}\n",
                            KINDS[kind], NAMES[id], NAMES[title].trim()
                        ),
                    )
                })
                .collect();
            let mut targets: Vec<Target> = NAMES
                .iter()
                .map(|n| Target::Wiki { name: (*n).into() })
                .collect();
            targets.extend(pages.iter().map(|p| Target::Path {
                path: p.path.to_string_lossy().as_ref().into(),
            }));
            let (index, live) = Index::new(&pages, &mut Vec::new());
            let quick = Quick::new(&pages, &live);
            for t in targets {
                if let Some(found) = quick.page(t) {
                    proptest::prop_assert_eq!(Some(found), index.page(&pages, &t, 0), "{:?}", t);
                }
            }
        }
    }
}
