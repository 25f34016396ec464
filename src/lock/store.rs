//! Where the lock's entry lines are read from once they are indexed: the text itself, for a
//! lock parsed from memory or read to be rewritten, or the file kept open, for a lock read to
//! evaluate against. The shards of a large repo are tens of megabytes of which a run reads a
//! few lines (those of subtrees whose tree id changed), so a lock read from disk keeps only
//! where each line is and reads it back when asked.
//!
//! rescore replaces a lock file by rename and never writes one in place, so an open handle
//! keeps reading the very version that was indexed, whatever is written since. Another program
//! can still write in place (an editor saving over the file): a line read back is therefore
//! checked (the file's length and modification time as indexed, the line whole and holding the
//! entry asked for), and one that fails is an error, never an entry read from somewhere else.
//! The file is not mapped into memory: a file truncated under a mapping kills the process.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::{corrupt, entry_ids};
use crate::diag::{Code, Diagnostic, Pos};
use crate::trees::{hex, TreeId};

/// Where an entry's line is: which of the lock's files, and the bytes of the line in it
/// (trimmed). Kept in 32 bits each (a line past 4 GiB into its file is refused when read):
/// there is one per line of a large lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    file: u32,
    start: u32,
    len: u32,
}

impl Span {
    /// `None` when a number does not fit.
    pub(super) fn new(file: usize, range: Range<usize>) -> Option<Span> {
        u32::try_from(range.end).ok()?;
        Some(Span {
            file: u32::try_from(file).ok()?,
            start: u32::try_from(range.start).ok()?,
            len: u32::try_from(range.len()).ok()?,
        })
    }

    pub(super) fn file(self) -> usize {
        self.file as usize
    }

    pub(super) fn range(self) -> Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

/// One lock file that entries are read from. Two are equal when they hold the same text, or
/// are open on the same version of the same file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Source {
    path: PathBuf,
    held: Held,
}

#[derive(Debug, Clone)]
enum Held {
    Text(String),
    /// The file as indexed, open, with what it was then (an edit in place changes them).
    Open {
        file: Arc<File>,
        version: Version,
    },
}

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        match (self, other) {
            (Held::Text(a), Held::Text(b)) => a == b,
            (Held::Open { version: a, .. }, Held::Open { version: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// Which file, and what tells a version of it from a later write into it. Not its change
/// time: the rename that replaces a lock file unlinks this one, which changes that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Version {
    fn of(file: &File) -> std::io::Result<Version> {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata()?;
        Ok(Version {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
        })
    }
}

/// A lock file's text, and what its lines are read from once it is indexed: the text, or the
/// file it was read through.
pub(super) struct Loaded {
    pub(super) text: String,
    open: Option<(File, Version)>,
}

impl Loaded {
    /// A text from memory: its lines are read from it.
    pub(super) fn text(text: String) -> Loaded {
        Loaded { text, open: None }
    }

    /// Where its lines are read from: the file kept open (the text is dropped), or the text.
    pub(super) fn into_source(self, path: PathBuf) -> Source {
        let held = match self.open {
            Some((file, version)) => Held::Open {
                file: Arc::new(file),
                version,
            },
            None => Held::Text(self.text),
        };
        Source { path, held }
    }
}

/// Reads the lock file `rel` under `root`; `None` when there is none. With `keep_open`, its
/// lines are read back from the file once it is indexed, else from the text.
pub(super) fn read(root: &Path, rel: &Path, keep_open: bool) -> Result<Option<Loaded>, Diagnostic> {
    let mut file = match File::open(root.join(rel)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(rel, &e)),
    };
    let mut bytes = Vec::new();
    let (before, after) = (|| {
        let before = Version::of(&file)?;
        bytes.reserve_exact(usize::try_from(before.len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok((before, Version::of(&file)?))
    })()
    .map_err(|e| unreadable(rel, &e))?;
    if before != after || after.len != bytes.len() as u64 {
        return Err(changed(rel));
    }
    let text = crate::load::decode(rel, bytes)?;
    Ok(Some(Loaded {
        text,
        open: keep_open.then_some((file, after)),
    }))
}

fn unreadable(rel: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::LockUnreadable,
        rel,
        Pos::at(1, 1),
        format!("cannot read {}: {e}", rel.display()),
    )
    .expected("a readable lock file")
    .hint("check its permissions")
}

/// A lock file written in place while rescore read it, or since.
fn changed(rel: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::LockUnreadable,
        rel,
        Pos::at(1, 1),
        format!("{} was written in place since rescore read it", rel.display()),
    )
    .expected("a lock file replaced whole, as rescore writes it")
    .hint("run rescore again (a watcher reads the lock again when one of its files changes); rescore never writes a lock file in place, so another program did: let it finish first, and `git diff` shows what it changed")
}

impl Source {
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text, when it is held.
    pub(super) fn held_text(&self) -> Option<&str> {
        match &self.held {
            Held::Text(t) => Some(t),
            Held::Open { .. } => None,
        }
    }

    /// The line at `span`, which holds entry `id`. Read back from an open file, it is checked
    /// to be the line indexed.
    pub(super) fn line(&self, span: Span, id: TreeId) -> Result<Cow<'_, str>, Diagnostic> {
        let (file, version) = match &self.held {
            Held::Text(text) => {
                return text
                    .get(span.range())
                    .map(Cow::Borrowed)
                    .ok_or_else(|| self.changed());
            }
            Held::Open { file, version } => (file, *version),
        };
        let read = (|| {
            if Version::of(file)? != version {
                return Ok(None);
            }
            read_line(file, version.len, span.range())
        })()
        .map_err(|e| unreadable(&self.path, &e))?;
        match read {
            Some(line) if entry_ids(&line).is_some_and(|ids| ids.contains(&id)) => {
                Ok(Cow::Owned(line))
            }
            _ => Err(self.changed()),
        }
    }

    fn changed(&self) -> Diagnostic {
        changed(&self.path)
    }

    /// The error for a line that does not parse as the entry it was indexed as, at its line.
    pub(super) fn corrupt_entry(&self, span: Span, id: TreeId) -> Diagnostic {
        let line_no = match &self.held {
            Held::Text(text) => text
                .get(..span.range().start)
                .map_or(1, |before| before.matches('\n').count() + 1),
            Held::Open { file, .. } => read_exact_at(file, span.range().start, 0)
                .map_or(1, |before| {
                    before.iter().filter(|&&b| b == b'\n').count() + 1
                }),
        };
        corrupt(
            &self.path,
            u32::try_from(line_no).unwrap_or(u32::MAX),
            format!("node entry {} does not parse", hex(id)),
        )
    }
}

/// The trimmed line at `range` of a file `len` bytes long, read with the byte on either side to
/// see that it is whole; `None` when it is not a whole line of text.
fn read_line(file: &File, len: u64, range: Range<usize>) -> std::io::Result<Option<String>> {
    let from = range.start.saturating_sub(1);
    let to = usize::try_from(len).map_or(range.end + 1, |len| len.min(range.end + 1));
    if to < range.end {
        return Ok(None);
    }
    let bytes = read_exact_at(file, to - from, from)?;
    let (before, rest) = bytes.split_at(range.start - from);
    let (line, after) = rest.split_at(range.len());
    let edge = |b: &[u8]| b.iter().all(u8::is_ascii_whitespace);
    let inner = line.first().zip(line.last());
    let whole = edge(before)
        && edge(after)
        && inner.is_some_and(|(a, z)| !a.is_ascii_whitespace() && !z.is_ascii_whitespace())
        && !line.contains(&b'\n');
    Ok(whole
        .then(|| String::from_utf8(line.to_vec()).ok())
        .flatten())
}

/// `len` bytes of `file` from `offset`, whatever the platform's positional read returns at once.
fn read_exact_at(file: &File, len: usize, offset: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    let mut done = 0;
    while done < len {
        match read_at(file, &mut buf[done..], (offset + done) as u64) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
