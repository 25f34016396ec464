//! Where each entry's line is, by tree id: the ids sorted in one list and their places in
//! another. A large lock has a few hundred thousand entries, which a hash map held in twice the
//! room (its empty slots, and an id padded beside each place); a lookup is a binary search.

use crate::trees::TreeId;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Index<V> {
    ids: Vec<TreeId>,
    places: Vec<V>,
}

impl<V> Default for Index<V> {
    fn default() -> Self {
        Index {
            ids: Vec::new(),
            places: Vec::new(),
        }
    }
}

impl<V: Copy> Index<V> {
    /// The index of `found`, in the order found: the first place found for an id is its place.
    pub(super) fn new(mut found: Vec<(TreeId, V)>) -> Index<V> {
        // Stable: of an id's places, the first found stays first.
        found.sort_by_key(|&(id, _)| id);
        found.dedup_by_key(|&mut (id, _)| id);
        let (ids, places) = found.into_iter().unzip();
        Index { ids, places }
    }

    pub(super) fn get(&self, id: TreeId) -> Option<V> {
        let at = self.ids.binary_search(&id).ok()?;
        Some(self.places[at])
    }

    pub(super) fn contains(&self, id: TreeId) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// What the index holds per entry (its id and its place), beside the two lists' own
    /// headers.
    #[cfg(test)]
    pub(super) fn bytes_per_entry(&self) -> usize {
        std::mem::size_of::<TreeId>() + std::mem::size_of::<V>()
    }

    /// Every id, in order.
    pub(super) fn ids(&self) -> &[TreeId] {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// It answers as the hash map it replaced, filled with `entry(id).or_insert(place)`.
        #[test]
        fn answers_as_a_map_keeping_the_first_place(
            found in proptest::collection::vec((0u64..64, any::<u32>()), 0..200)
        ) {
            let mut map = HashMap::new();
            for &(id, place) in &found {
                map.entry(id).or_insert(place);
            }
            let index = Index::new(found);
            for id in 0..70 {
                prop_assert_eq!(index.get(id), map.get(&id).copied());
                prop_assert_eq!(index.contains(id), map.contains_key(&id));
            }
            let mut ids: Vec<TreeId> = map.keys().copied().collect();
            ids.sort_unstable();
            prop_assert_eq!(index.ids(), &ids[..]);
        }
    }
}
