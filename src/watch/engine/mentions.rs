//! Which pages name which: every name (id or title, lowercased) and path that a page's links,
//! bare source names, `part_of` and `depends_on` use, with the pages that use it. When a page
//! comes, goes or changes the names or anchors it is known by, the pages that name it are the
//! only ones whose links can land elsewhere now.
//!
//! Names and paths are kept as 64-bit hashes, not strings: at 100k pages the strings were most
//! of what this index held. Two names that share a hash only make each other's users look
//! named too, and a name's bearers look more: every use of the index errs towards redoing more
//! (relinking more pages, declining an in-place tier), never less. A user is kept as the hash
//! the resolver's index files its path under (`resolve::path_hash`), 4 bytes, which finds it in
//! that index again; a page sharing the hash is found with it, so there too the error is more.

use std::collections::hash_map::Entry;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::page::{Page, PageKind, Target};
use crate::resolve::path_hash;

/// A name or path as the index keeps it.
type Key = u64;

/// A page that uses a name or path: its `resolve::path_hash`.
pub(super) type User = u32;

#[derive(Default)]
pub(super) struct Mentions {
    by_name: FxHashMap<Key, Users>,
    by_path: FxHashMap<Key, Users>,
    /// How many pages bear each name (id or title, lowercased) themselves.
    borne: FxHashMap<Key, u32>,
}

/// The pages that use one name or path, once per use. A name or path with one user holds it
/// without a list of its own (in the generated 100k-page repo, about a fifth of the names and a
/// third of the paths).
#[derive(Debug, Clone, PartialEq)]
enum Users {
    One(User),
    Many(Vec<User>),
}

impl Users {
    fn push(&mut self, u: User) {
        match self {
            Users::One(q) => *self = Users::Many(vec![*q, u]),
            Users::Many(v) => v.push(u),
        }
    }

    /// Drops one use by `u` (a page uses each name once; another page sharing its path hash
    /// keeps its own); whether no user is left.
    fn remove(&mut self, u: User) -> bool {
        match self {
            Users::One(q) => *q == u,
            Users::Many(v) => {
                if let Some(k) = v.iter().position(|&q| q == u) {
                    v.swap_remove(k);
                }
                v.is_empty()
            }
        }
    }

    fn as_slice(&self) -> &[User] {
        match self {
            Users::One(q) => std::slice::from_ref(q),
            Users::Many(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Users {
    type Item = &'a User;
    type IntoIter = std::slice::Iter<'a, User>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// Adds a use of `key` by `u`.
fn add_use(map: &mut FxHashMap<Key, Users>, key: Key, u: User) {
    match map.entry(key) {
        Entry::Occupied(mut e) => e.get_mut().push(u),
        Entry::Vacant(e) => {
            e.insert(Users::One(u));
        }
    }
}

/// Drops a use of `key` by `u`, and the key once no page uses it.
fn remove_use(map: &mut FxHashMap<Key, Users>, key: Key, u: User) {
    if let Entry::Occupied(mut e) = map.entry(key) {
        if e.get_mut().remove(u) {
            e.remove();
        }
    }
}

/// The key of a lowercased name, a path, or any string (SipHash with fixed keys: the same in
/// every process).
pub(super) fn hashed(x: &(impl Hash + ?Sized)) -> Key {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// The names a page bears: its id and title, lowercased, each once.
pub(super) fn borne(p: &Page) -> Vec<String> {
    let mut names = vec![p.id.to_lowercase()];
    names.extend(
        p.title
            .as_deref()
            .map(str::to_lowercase)
            .filter(|t| *t != names[0]),
    );
    names
}

/// A name as the resolver's index looks it up (trimmed and lowercased), hashed. ASCII, nearly
/// every name, is lowercased without a new string.
fn key(name: &str) -> Key {
    let name = name.trim();
    if name.bytes().any(|b| b.is_ascii_uppercase()) || !name.is_ascii() {
        hashed(&name.to_lowercase())
    } else {
        hashed(name)
    }
}

/// The names and paths a page uses to reach other pages. Notes resolve no links.
fn named(p: &Page) -> (Vec<Key>, Vec<Key>) {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    if p.kind == PageKind::Note {
        return (names, paths);
    }
    for l in p.links.iter() {
        match &l.target() {
            Target::Wiki { name } => names.push(key(name)),
            Target::Path { path } => paths.push(hashed(Path::new(path))),
            Target::Here => {}
        }
    }
    let fronted = p.part_of.iter().chain(p.depends_on());
    names.extend(fronted.map(|n| key(n.split('#').next().unwrap_or(n))));
    names.extend(
        p.claims
            .iter()
            .flat_map(|c| c.bare_sources.iter().map(|n| key(n))),
    );
    names.sort_unstable();
    names.dedup();
    paths.sort_unstable();
    paths.dedup();
    (names, paths)
}

/// `(key, user)` pairs as a map from each key to its users.
fn grouped(mut pairs: Vec<(Key, User)>) -> FxHashMap<Key, Users> {
    pairs.par_sort_unstable();
    let runs = pairs.chunk_by(|a, b| a.0 == b.0);
    let mut map = FxHashMap::with_capacity_and_hasher(runs.clone().count(), Default::default());
    for run in runs {
        let users = match run {
            [(_, u)] => Users::One(*u),
            _ => Users::Many(run.iter().map(|&(_, u)| u).collect()),
        };
        map.insert(run[0].0, users);
    }
    map
}

impl Mentions {
    /// Built in parallel, each list of users allocated at its length.
    pub(super) fn new(pages: &[Page]) -> Mentions {
        // Each page's borne names, names used and paths used.
        let uses: Vec<(User, [Vec<Key>; 3])> = pages
            .par_iter()
            .map(|p| {
                let (names, paths) = named(p);
                let borne = borne(p).iter().map(hashed).collect();
                (path_hash(&p.path), [borne, names, paths])
            })
            .collect();
        let mut borne = FxHashMap::default();
        for n in uses.iter().flat_map(|u| &u.1[0]) {
            *borne.entry(*n).or_default() += 1;
        }
        let pairs = |pick: usize| {
            let pairs: Vec<(Key, User)> = uses
                .iter()
                .flat_map(|(user, u)| u[pick].iter().map(move |&k| (k, *user)))
                .collect();
            grouped(pairs)
        };
        Mentions {
            by_name: pairs(1),
            by_path: pairs(2),
            borne,
        }
    }

    pub(super) fn add(&mut self, p: &Page) {
        for n in borne(p) {
            *self.borne.entry(hashed(&n)).or_default() += 1;
        }
        let (names, paths) = named(p);
        let me = path_hash(&p.path);
        for n in names {
            add_use(&mut self.by_name, n, me);
        }
        for q in paths {
            add_use(&mut self.by_path, q, me);
        }
    }

    pub(super) fn remove(&mut self, p: &Page) {
        for n in borne(p) {
            let n = hashed(&n);
            if let Some(c) = self.borne.get_mut(&n) {
                *c -= 1;
                if *c == 0 {
                    self.borne.remove(&n);
                }
            }
        }
        let (names, paths) = named(p);
        let me = path_hash(&p.path);
        for n in names {
            remove_use(&mut self.by_name, n, me);
        }
        for q in paths {
            remove_use(&mut self.by_path, q, me);
        }
    }

    /// Where this differs from the mentions of `pages` counted afresh.
    pub(super) fn drift(&self, pages: &[Page]) -> Vec<String> {
        let fresh = Mentions::new(pages);
        let mut out = Vec::new();
        if self.borne != fresh.borne {
            out.push("the count of pages bearing each name drifted".to_string());
        }
        let sorted = |m: &FxHashMap<Key, Users>| {
            let mut v: Vec<(Key, Vec<User>)> = m
                .iter()
                .map(|(k, us)| {
                    let mut us = us.as_slice().to_vec();
                    us.sort_unstable();
                    (*k, us)
                })
                .collect();
            v.sort();
            v
        };
        if sorted(&self.by_name) != sorted(&fresh.by_name) {
            out.push("the pages naming each name drifted".to_string());
        }
        if sorted(&self.by_path) != sorted(&fresh.by_path) {
            out.push("the pages naming each path drifted".to_string());
        }
        out
    }

    /// How many pages bear `name` (lowercased) as their id or title.
    pub(super) fn bearers(&self, name: &str) -> u32 {
        self.borne.get(&hashed(name)).copied().unwrap_or(0)
    }

    /// The pages that name `p` by its id, its title or its path, as `resolve::path_hash`es.
    pub(super) fn of(&self, p: &Page) -> impl Iterator<Item = User> + '_ {
        let mut names = vec![key(&p.id)];
        names.extend(p.title.as_deref().map(key).filter(|t| *t != names[0]));
        let by_name: Vec<User> = names
            .iter()
            .filter_map(|n| self.by_name.get(n))
            .flatten()
            .copied()
            .collect();
        by_name.into_iter().chain(
            self.by_path
                .get(&hashed(&p.path))
                .into_iter()
                .flatten()
                .copied(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::page::parsed_with_defaults as parse;

    /// Every page path these tests use, to read a user's path hash back as its path.
    const PATHS: [&str; 10] = [
        "sources/genie.md",
        "concepts/gwm.md",
        "concepts/world.md",
        "theses/t.md",
        "theses/a.md",
        "theses/b.md",
        "notes/n.md",
        "concepts/a.md",
        "concepts/b.md",
        "concepts/c.md",
    ];

    fn users(m: &Mentions, p: &Page) -> Vec<PathBuf> {
        let path_of = |user: User| {
            let mut of = PATHS.iter().filter(|q| path_hash(Path::new(q)) == user);
            let path = of.next().expect("a known path");
            assert!(of.next().is_none(), "no two test paths share a hash");
            PathBuf::from(path)
        };
        let mut v: Vec<PathBuf> = m.of(p).map(path_of).collect();
        v.sort();
        v
    }

    #[test]
    fn pages_are_found_by_every_way_of_naming_them() {
        let source = parse(
            "sources/genie.md",
            "+++\nkind = \"source\"\n+++\n# Genie 3\n",
        );
        let concept = parse(
            "concepts/gwm.md",
            "+++\nkind = \"concept\"\npart_of = [\"World Models\"]\n+++\n# GWM\n\n\
             - A claim. {#a}\n  Evidence: strong (genie)\n",
        );
        let parent = parse(
            "concepts/world.md",
            "+++\nkind = \"concept\"\n+++\n# World Models\n",
        );
        let thesis = parse(
            "theses/t.md",
            "+++\nkind = \"thesis\"\nscore = 0.5\ndepends_on = [\"gwm#a\"]\n+++\n# T\n\n\
             - [GWM](../concepts/gwm.md#a) and [[ GENIE 3 ]]\n",
        );
        let note = parse("notes/n.md", "# N\n\n[[gwm]]\n");
        let mut m = Mentions::new(&[
            source.clone(),
            concept.clone(),
            parent.clone(),
            thesis.clone(),
            note.clone(),
        ]);
        let path = |s: &str| PathBuf::from(s);
        // By a bare source name and by title, wiki-style with other case and spaces.
        assert_eq!(
            users(&m, &source),
            [path("concepts/gwm.md"), path("theses/t.md")]
        );
        // By part_of.
        assert_eq!(users(&m, &parent), [path("concepts/gwm.md")]);
        // By depends_on and by path, each use once; the note's link resolves nothing.
        assert_eq!(
            users(&m, &concept),
            [path("theses/t.md"), path("theses/t.md")]
        );
        m.remove(&thesis);
        assert_eq!(users(&m, &concept), Vec::<PathBuf>::new());
        assert_eq!(users(&m, &source), [path("concepts/gwm.md")]);
        m.add(&thesis);
        assert_eq!(users(&m, &source).len(), 2);
    }

    /// A name with one user holds it without a list of its own, and a list is made when a
    /// second user comes and dropped with the key when the last one goes.
    #[test]
    fn a_name_with_one_user_holds_no_list() {
        let target = parse("concepts/gwm.md", "+++\nkind = \"concept\"\n+++\n# GWM\n");
        let one = parse(
            "theses/a.md",
            "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# A\n\n[[gwm]]\n",
        );
        let two = parse(
            "theses/b.md",
            "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# B\n\n[[gwm]]\n",
        );
        let mut m = Mentions::new(&[target.clone(), one.clone()]);
        let users_of = |m: &Mentions| m.by_name.get(&key("gwm")).cloned();
        assert!(matches!(users_of(&m), Some(Users::One(_))));
        m.add(&two);
        assert!(matches!(users_of(&m), Some(Users::Many(ref v)) if v.len() == 2));
        m.remove(&one);
        m.remove(&two);
        assert_eq!(users_of(&m), None);
        assert_eq!(users(&m, &target), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_user_sharing_a_path_hash_keeps_its_use_when_the_other_goes() {
        let mut map = FxHashMap::default();
        map.insert(1, Users::Many(vec![5, 7, 5]));
        remove_use(&mut map, 1, 5);
        assert_eq!(map[&1].as_slice(), [5, 7]);
        remove_use(&mut map, 1, 5);
        remove_use(&mut map, 1, 9);
        assert_eq!(map[&1].as_slice(), [7]);
        remove_use(&mut map, 1, 7);
        assert!(map.is_empty());
        map.insert(2, Users::One(5));
        remove_use(&mut map, 2, 9);
        assert_eq!(map[&2], Users::One(5));
        remove_use(&mut map, 2, 5);
        assert!(map.is_empty());
    }

    #[test]
    fn the_pages_bearing_a_name_are_counted_once_each() {
        let a = parse("concepts/gwm.md", "+++\nkind = \"concept\"\n+++\n# GWM\n");
        let b = parse("sources/gwm.md", "+++\nkind = \"source\"\n+++\n# Genie\n");
        let mut m = Mentions::new(&[a.clone(), b.clone()]);
        // `gwm` is the id of both, and the title of the first.
        assert_eq!(m.bearers("gwm"), 2);
        assert_eq!(m.bearers("genie"), 1);
        m.remove(&a);
        assert_eq!(m.bearers("gwm"), 1);
        m.remove(&b);
        assert_eq!((m.bearers("gwm"), m.bearers("genie")), (0, 0));
        assert!(m.drift(&[]).is_empty());
    }

    #[test]
    fn a_name_is_keyed_trimmed_and_lowercased_ascii_or_not() {
        assert_eq!(key(" GWM "), hashed("gwm"));
        assert_eq!(key("gwm"), hashed("gwm"));
        assert_eq!(key("ÉTUDE Σ"), hashed("étude σ"));
        assert_ne!(key("gwm"), key("gwn"));
    }

    #[test]
    fn built_at_once_or_page_by_page_the_mentions_agree() {
        let pages = [
            parse(
                "concepts/a.md",
                "+++\nkind = \"concept\"\n+++\n# A\n\n[[B]] [[b]]\n",
            ),
            parse(
                "concepts/b.md",
                "+++\nkind = \"concept\"\n+++\n# B\n\n[A](a.md)\n",
            ),
            parse(
                "concepts/c.md",
                "+++\nkind = \"concept\"\n+++\n# C\n\n[[ b ]]\n",
            ),
        ];
        let mut m = Mentions::default();
        for p in &pages {
            m.add(p);
        }
        assert!(m.drift(&pages).is_empty());
        m.remove(&pages[2]);
        assert_eq!(
            m.drift(&pages),
            [
                "the count of pages bearing each name drifted",
                "the pages naming each name drifted"
            ]
        );
        assert!(m.drift(&pages[..2]).is_empty());
        assert_eq!(users(&m, &pages[1]), [PathBuf::from("concepts/a.md")]);
    }
}
