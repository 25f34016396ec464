//! The resolver's name tables: page numbers found by the hash of a name (an id, a title, a
//! path), each candidate checked against its page, so no name is stored twice and two names
//! sharing a hash still each find their own page. At 100k pages the names as owned strings
//! were most of what the index held.

use std::hash::{BuildHasher, Hash};
use std::path::Path;

use hashbrown::hash_table::Entry as Slot;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// One name: the number of the page bearing it and the name's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub page: u32,
    pub hash: u32,
}

/// The table's 64-bit hash of a 32-bit one: its bits twice, so the bucket (low bits) and the
/// tag (top 7 bits) each come from bits of their own.
fn spread(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

/// How names and paths are hashed: a field, so a test can make every name collide.
#[derive(Clone, Copy)]
pub(super) struct Hashes {
    pub name: fn(&str) -> u32,
    pub path: fn(&Path) -> u32,
}

impl Default for Hashes {
    fn default() -> Hashes {
        Hashes {
            name: |s| fx(s),
            path: |p| fx(p),
        }
    }
}

/// FxHash folded to 32 bits. A path hashes by its components (as it compares), so
/// `a//b.md` and `a/b.md` hash alike.
fn fx(x: &(impl Hash + ?Sized)) -> u32 {
    let h = FxBuildHasher.hash_one(x);
    (h ^ (h >> 32)) as u32
}

/// Page numbers by the hash of a name.
#[derive(Default)]
pub(super) struct Names(HashTable<Entry>);

impl Names {
    pub fn with_capacity(n: usize) -> Names {
        Names(HashTable::with_capacity(n))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The page under `hash` that `is` accepts (whose name is the one looked for).
    pub fn find(&self, hash: u32, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        self.0
            .find(spread(hash), |e| e.hash == hash && is(e.page))
            .map(|e| e.page)
    }

    /// Puts `page` under `hash` unless a page `is` accepts is there; whether it was put.
    pub fn insert_new(&mut self, hash: u32, page: u32, mut is: impl FnMut(u32) -> bool) -> bool {
        match self.slot(hash, &mut is) {
            Slot::Occupied(_) => false,
            Slot::Vacant(v) => {
                v.insert(Entry { page, hash });
                true
            }
        }
    }

    /// Puts `page` under `hash`, in the place of a page `is` accepts if there is one.
    pub fn set(&mut self, hash: u32, page: u32, mut is: impl FnMut(u32) -> bool) {
        match self.slot(hash, &mut is) {
            Slot::Occupied(mut o) => o.get_mut().page = page,
            Slot::Vacant(v) => {
                v.insert(Entry { page, hash });
            }
        }
    }

    fn slot(&mut self, hash: u32, is: &mut impl FnMut(u32) -> bool) -> Slot<'_, Entry> {
        self.0.entry(
            spread(hash),
            |e| e.hash == hash && is(e.page),
            |e| spread(e.hash),
        )
    }

    /// Takes out page `page`'s entry under `hash`; whether it had one. A page has one entry in
    /// a table at most, so the number alone tells it from the others under the hash.
    pub fn remove(&mut self, hash: u32, page: u32) -> bool {
        match self
            .0
            .find_entry(spread(hash), |e| e.hash == hash && e.page == page)
        {
            Ok(e) => {
                e.remove();
                true
            }
            Err(_) => false,
        }
    }

    /// Every page under `hash`, whatever its name.
    pub fn under(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        self.0
            .iter_hash(spread(hash))
            .filter(move |e| e.hash == hash)
            .map(|e| e.page)
    }

    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.0.iter().copied()
    }
}

/// Whether `name` lowercased (as `str::to_lowercase`) is `key`, which is lowercase. ASCII, the
/// common case, is compared without lowering it into a new string.
pub(super) fn lowers_to(name: &str, key: &str) -> bool {
    if name.is_ascii() {
        name.eq_ignore_ascii_case(key)
    } else {
        name.to_lowercase() == key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_two_numbers() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
    }

    #[test]
    fn names_under_one_hash_are_told_apart_by_the_check() {
        let names = ["alpha", "beta", "gamma"];
        let mut t = Names::default();
        for (k, n) in names.iter().enumerate() {
            let k = k as u32;
            assert!(t.insert_new(7, k, |m| names[m as usize] == *n));
        }
        for (k, n) in names.iter().enumerate() {
            assert_eq!(t.find(7, |m| names[m as usize] == *n), Some(k as u32));
        }
        assert!(!t.insert_new(7, 9, |m| names[m as usize] == "beta"));
        assert_eq!(t.find(7, |m| names[m as usize] == "delta"), None);
        // Another hash finds nothing, whatever the check says.
        assert_eq!(t.find(8, |_| true), None);
        assert!(t.remove(7, 1));
        assert!(!t.remove(7, 1));
        assert_eq!(t.find(7, |m| names[m as usize] == "beta"), None);
        assert_eq!(t.find(7, |m| names[m as usize] == "gamma"), Some(2));
        t.set(7, 5, |m| names[m as usize] == "gamma");
        assert_eq!(t.find(7, |m| m == 5), Some(5));
        assert_eq!(t.len(), 2);
        let mut under: Vec<u32> = t.under(7).collect();
        under.sort();
        assert_eq!(under, [0, 5]);
        assert_eq!(t.under(8).count(), 0);
    }

    #[test]
    fn lowers_to_agrees_with_to_lowercase() {
        for name in [
            "jepa", "JEPA", "Jepa 2", "Été", "ÉTÉ", "ΟΔΟΣ", "İx", "straße",
        ] {
            for key in ["jepa", "jepa 2", "été", "οδος", "οδοσ", "i̇x", "straße", "x"] {
                assert_eq!(
                    lowers_to(name, key),
                    name.to_lowercase() == key,
                    "{name} / {key}"
                );
            }
        }
    }

    #[test]
    fn a_path_hashes_as_it_compares() {
        let h = Hashes::default();
        assert_eq!(Path::new("a//b.md"), Path::new("a/b.md"));
        assert_eq!(
            (h.path)(Path::new("a//b.md")),
            (h.path)(Path::new("a/b.md"))
        );
    }
}
