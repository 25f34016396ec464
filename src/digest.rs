//! The digest of a page file's bytes: what the parse cache keys a page by (with its path, size
//! and mtime), and how the watcher tells an event that changed bytes from one that did not (its
//! own block writes among them).

use serde::{Deserialize, Serialize};

/// XXH3-128 of a file's bytes: every page read is digested, and at 100k pages blake3 cost a
/// tenth of a CPU second where XXH3 costs a hundredth. It guards against accidents, not a
/// forger, who could as well write the page itself; the hashes rescore shares or commits (tree
/// ids, the check outcome's key) stay blake3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest(u128);

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(xxhash_rust::xxh3::xxh3_128(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_changed_anywhere_changes_the_digest() {
        let page =
            b"+++\nkind = \"concept\"\n+++\n# C\n\n- It runs at 24 fps.\n  Evidence: strong\n";
        let before = Digest::of(page);
        for at in 0..page.len() {
            let mut edited = page.to_vec();
            edited[at] ^= 1;
            assert_ne!(Digest::of(&edited), before, "byte {at}");
        }
        assert_ne!(Digest::of(&page[..page.len() - 1]), before);
    }
}
