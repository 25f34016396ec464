//! What one thesis was scored against: each direct dependency's key and the tree id of its
//! state, sorted by key. A large lock has tens of thousands of baselines of one to a few
//! dependencies each; a map per baseline held them in a node of eleven slots of two strings (the
//! id in hex), about twenty times the room of the one boxed slice of keys and integer ids here.

use std::fmt;

use crate::trees::{hex, TreeId};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Against(Box<[(Box<str>, TreeId)]>);

impl Against {
    /// The tree id a dependency had, by key.
    pub fn get(&self, key: &str) -> Option<TreeId> {
        self.find(key).ok().map(|at| self.0[at].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// Every dependency, by key.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, TreeId)> + Clone {
        self.0.iter().map(|(k, id)| (&**k, *id))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = TreeId> + Clone + '_ {
        self.0.iter().map(|(_, id)| *id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// As a map's `collect`: sorted by key, and of two pairs with one key the last one wins.
impl<K: Into<Box<str>>> FromIterator<(K, TreeId)> for Against {
    fn from_iter<I: IntoIterator<Item = (K, TreeId)>>(pairs: I) -> Against {
        let mut pairs: Vec<(Box<str>, TreeId)> =
            pairs.into_iter().map(|(k, id)| (k.into(), id)).collect();
        // Stable, so that of equal keys the last one found is the last one here.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Box<str>, TreeId)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        Against(kept.into_boxed_slice())
    }
}

/// As the map it replaced printed itself: key → hex id.
impl fmt::Debug for Against {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, id)| (k, hex(id))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// It answers as the map it replaced, filled by `collect`.
        #[test]
        fn answers_as_a_map(
            pairs in proptest::collection::vec(("[a-c]{0,2}", any::<u64>()), 0..20)
        ) {
            let map: BTreeMap<String, TreeId> = pairs.iter().cloned().collect();
            let against: Against = pairs.iter().cloned().collect();
            prop_assert_eq!(against.len(), map.len());
            prop_assert_eq!(against.is_empty(), map.is_empty());
            for key in ["", "a", "ab", "c", "cc", "d"] {
                prop_assert_eq!(against.get(key), map.get(key).copied());
                prop_assert_eq!(against.contains_key(key), map.contains_key(key));
            }
            let listed: Vec<(&str, TreeId)> = against.iter().collect();
            let want: Vec<(&str, TreeId)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            prop_assert_eq!(listed, want);
            prop_assert!(against.keys().eq(map.keys().map(String::as_str)));
            prop_assert!(against.values().eq(map.values().copied()));
            let hexed: BTreeMap<&String, String> = map.iter().map(|(k, v)| (k, hex(*v))).collect();
            prop_assert_eq!(format!("{against:?}"), format!("{hexed:?}"));
        }
    }

    /// One dependency costs its key, a pointer to it and the id: no node of a map around it.
    #[test]
    fn a_dependency_is_a_boxed_key_and_an_integer() {
        assert_eq!(std::mem::size_of::<Against>(), 16);
        assert_eq!(std::mem::size_of::<(Box<str>, TreeId)>(), 24);
    }
}
