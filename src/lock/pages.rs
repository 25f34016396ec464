//! Claim text kept out of the lock: a claim entry holds a short hash of its canonical text and
//! the git blob id of its page as accepted, and the text is read back from the git object
//! database when a comparison needs it. `accept` writes those blobs into the object database
//! itself, so they exist before the user commits.

use std::path::Path;

/// Hex digits of a blob id the lock keeps: git resolves a prefix this long as it resolves any
/// short id, and an ambiguous one reads as unavailable (which is safe).
const BLOB_DIGITS: usize = 12;

/// The short hash of a claim's canonical text, as the lock stores it: 48 bits of BLAKE3 in
/// URL-safe base64.
pub fn text_hash(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&blake3::hash(text.as_bytes()).as_bytes()[..6])
}

/// The git blob id of these bytes (as `git hash-object` computes it), shortened as the lock
/// keeps it.
pub fn blob_id(bytes: &[u8]) -> Option<String> {
    let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, bytes).ok()?;
    Some(id.to_hex_with_len(BLOB_DIGITS).to_string())
}

/// Whether `root` is in a git repo.
pub fn in_git(root: &Path) -> bool {
    gix::discover(root).is_ok()
}

/// Writes page bytes into the object database of the git repo holding `root`, when there is
/// one; the lock names them, and a later `check` reads a claim's accepted text from them.
pub fn store(root: &Path, pages: &[Vec<u8>]) {
    if pages.is_empty() {
        return;
    }
    let Ok(repo) = gix::discover(root) else {
        return;
    };
    for bytes in pages {
        // A committed page is there already: only the pages changed since are written.
        let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, bytes);
        if id.is_ok_and(|id| repo.has_object(id)) {
            continue;
        }
        if let Err(e) = repo.write_blob(bytes) {
            tracing::warn!("cannot write a page blob into the git object database: {e}");
            return;
        }
    }
}

/// The bytes of a blob named by the lock, from the git repo holding `root`; `None` when there
/// is no git repo, the blob is not in it (a shallow clone, a page never committed where this
/// runs), or the short id is ambiguous.
pub fn read(root: &Path, blob: &str) -> Option<Vec<u8>> {
    if blob.len() != BLOB_DIGITS || !blob.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let repo = gix::discover(root).ok()?;
    let id = repo.rev_parse_single(blob).ok()?;
    let object = id.object().ok()?;
    (object.kind == gix::objs::Kind::Blob).then(|| object.data.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(blob_id(b"hello\n").as_deref(), Some("ce013625030b"));
    }

    #[test]
    fn text_hashes_tell_texts_apart() {
        assert_eq!(text_hash("a b").len(), 8);
        assert_ne!(text_hash("a b"), text_hash("a  b"));
    }

    #[test]
    fn no_git_repo_no_blob() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(read(dir.path(), "ce013625030b"), None);
        assert_eq!(read(dir.path(), "not hex"), None);
    }
}
