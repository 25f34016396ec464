//! Links found by the exact text of their target, for a graph built from scratch. A page whose
//! lowercase id or whose path is the very text a link names is found by one hash of that text
//! in a map of those texts. The index (`Index::page`) lowercases and trims the name first and
//! checks the page it finds against it; at 100k pages those reads of pages all over memory were
//! most of the cost of resolving links. A link this does not find (a name in capitals or a
//! title, a path written otherwise) goes to the index, so it finds a page only where the index
//! finds the same one.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use super::{lower, lowers_to};
use crate::page::{Page, PageKind, Target};

/// Page places by lowercase id (of each page the index finds by its id) and by path (of every
/// page), as in the page list the index was built from. The texts are copied into one string,
/// so checking a text found against the text asked for reads there, not pages all over memory.
pub struct Quick {
    texts: String,
    ids: HashTable<Key>,
    paths: HashTable<Key>,
}

/// A text of `Quick::texts` and the place of its page.
#[derive(Clone, Copy)]
struct Key {
    at: u32,
    len: u32,
    page: u32,
}

fn hash(text: &str) -> u64 {
    FxBuildHasher.hash_one(text)
}

impl Quick {
    /// For `pages` as a fresh index holds them, where `live` marks each page the index has under
    /// its id.
    pub fn new(pages: &[Page], live: &[bool]) -> Quick {
        let keys: Vec<(Option<Cow<str>>, Option<&str>)> = pages
            .par_iter()
            .zip(live)
            .map(|(p, &live)| {
                let id = (live && p.kind != PageKind::Note)
                    .then(|| id_key(&p.id))
                    .flatten();
                (id, p.path.to_str())
            })
            .collect();
        let room: usize = keys
            .iter()
            .map(|(id, path)| id.as_ref().map_or(0, |k| k.len()) + path.map_or(0, str::len))
            .sum();
        let mut quick = Quick {
            texts: String::with_capacity(room),
            ids: HashTable::with_capacity(keys.len()),
            paths: HashTable::with_capacity(keys.len()),
        };
        // No key is taken twice: the index leaves a second page with an id (by its lowercase)
        // out of `live`, and the pages of a walk have a path each.
        for (i, (id, path)) in keys.iter().enumerate() {
            if let Some(id) = id {
                Quick::add(&mut quick.texts, &mut quick.ids, id, i);
            }
            if let Some(path) = path {
                Quick::add(&mut quick.texts, &mut quick.paths, path, i);
            }
        }
        quick
    }

    /// Adds `text` for page `page`, unless the texts would outgrow their `u32` offsets (a text
    /// left out is only asked of the index).
    fn add(texts: &mut String, table: &mut HashTable<Key>, text: &str, page: usize) {
        let (Ok(at), Ok(len), Ok(page)) = (
            u32::try_from(texts.len()),
            u32::try_from(text.len()),
            u32::try_from(page),
        ) else {
            return;
        };
        if at.checked_add(len).is_none() {
            return;
        }
        let of = |k: &Key| texts.get(k.at as usize..(k.at + k.len) as usize);
        let rehash = |k: &Key| of(k).map_or(0, hash);
        table.insert_unique(hash(text), Key { at, len, page }, rehash);
        texts.push_str(text);
    }

    /// The place of the page `target` names, when its text is a page's exactly; `None` says
    /// only that the index must be asked.
    pub fn page(&self, target: Target) -> Option<usize> {
        let (table, text) = match target {
            Target::Wiki { name } => (&self.ids, name),
            Target::Path { path } => (&self.paths, path),
            Target::Here => return None,
        };
        let of = |k: &Key| self.texts.get(k.at as usize..(k.at + k.len) as usize);
        table
            .find(hash(text), |k| of(k) == Some(text))
            .map(|k| k.page as usize)
    }
}

/// The text a link names the page with id `id` by, when `Index::by_name` would look that text
/// up as it is: trimmed, with nothing to lowercase, and the id lowercasing to it (as the index's
/// check of a page against a name has it).
fn id_key(id: &str) -> Option<Cow<'_, str>> {
    let key = lower(id);
    let as_is = key.trim() == key && matches!(lower(&key), Cow::Borrowed(_));
    (as_is && lowers_to(id, &key)).then_some(key)
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
        let wiki = |name| Target::Wiki { name };
        let path = |path| Target::Path { path };
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
        fn what_is_found_by_exact_text_is_what_the_index_finds(
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
            let paths: Vec<String> =
                pages.iter().map(|p| p.path.to_string_lossy().into_owned()).collect();
            let mut targets: Vec<Target> = NAMES.iter().map(|name| Target::Wiki { name }).collect();
            targets.extend(paths.iter().map(|path| Target::Path { path }));
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
