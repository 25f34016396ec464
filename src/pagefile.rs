//! Page files read one after another, as a load reads every page: into a buffer kept from page
//! to page, and on Linux opened by name in their folder.
//!
//! Why not `std::fs::read`: for each page it allocates the joined path and a buffer, asks the
//! file's size before reading it, and has the kernel walk the page's whole path from the root.
//! A load's pages come folder by folder (the walk's order), so a reader keeps the folder it
//! opened a page in last and opens the next page of that folder by its name: at 100k pages the
//! read-and-parse phase of a cold `check` went from 1340 to 1230 ms and from 1442 to 1406 ms
//! (medians of two sets of eight alternating runs).

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

/// A buffer grown past this by a large page is not kept for the next.
const KEPT_ROOM: usize = 1 << 20;

/// How much room a read asks for beyond what the buffer holds: a page is read whole by one
/// call, and one more finds its end.
const READ_ROOM: usize = 16 * 1024;

/// Reads pages one after another: one per worker of a parallel load (rayon's `map_init`),
/// dropped with the load, so that no folder is held open past it.
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    folder: imp::Folder,
}

impl Reader {
    /// The bytes of the page at `rel` under `root`, until the next read.
    pub fn read(&mut self, root: &Path, rel: &Path) -> io::Result<&[u8]> {
        let file = self.folder.open(root, rel)?;
        self.fill(&file, 0)
    }

    /// `read`, with the file's metadata as it was before its bytes were read.
    pub fn read_with_metadata(&mut self, root: &Path, rel: &Path) -> io::Result<(&[u8], Metadata)> {
        let file = self.folder.open(root, rel)?;
        let meta = file.metadata()?;
        let size = usize::try_from(meta.len()).unwrap_or(0);
        Ok((self.fill(&file, size)?, meta))
    }

    fn fill(&mut self, file: &File, size: usize) -> io::Result<&[u8]> {
        if self.buf.capacity() > KEPT_ROOM {
            self.buf = Vec::new();
        }
        self.buf.clear();
        self.buf.reserve(size.max(READ_ROOM));
        imp::read_to_end(file, &mut self.buf)?;
        Ok(&self.buf)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::{Path, PathBuf};

    use rustix::buffer::spare_capacity;
    use rustix::fs::{openat, Mode, OFlags, CWD};

    /// The folder a page was opened in last: its path (root and folder joined) and a
    /// descriptor of it.
    #[derive(Default)]
    pub(super) struct Folder(Option<(PathBuf, OwnedFd)>);

    impl Folder {
        pub(super) fn open(&mut self, root: &Path, rel: &Path) -> io::Result<File> {
            let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
                return open_in(CWD, root.join(rel));
            };
            let dir = root.join(parent);
            if let Some((path, fd)) = self.0.take().filter(|(path, _)| *path == dir) {
                match open_in(&fd, name) {
                    // The folder held may have been deleted since and another made in its
                    // place: the page is looked for there. (A folder moved away is still read
                    // from where it went, as a read begun before the move would be; the
                    // watcher's load guard reports the move.)
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    file => {
                        self.0 = Some((path, fd));
                        return file;
                    }
                }
            }
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = openat(CWD, &dir, flags, Mode::empty())?;
            let file = open_in(&fd, name);
            self.0 = Some((dir, fd));
            file
        }
    }

    fn open_in(dir: impl std::os::fd::AsFd, path: impl rustix::path::Arg) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        Ok(File::from(openat(dir, path, flags, Mode::empty())?))
    }

    /// Appends the rest of `file` to `buf`, growing it only when a read fills it.
    pub(super) fn read_to_end(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
        loop {
            if buf.len() == buf.capacity() {
                buf.reserve(super::READ_ROOM);
            }
            match rustix::io::read(file, spare_capacity(buf)) {
                Ok(0) => return Ok(()),
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::fs::File;
    use std::io::{self, Read};
    use std::path::Path;

    #[derive(Default)]
    pub(super) struct Folder;

    impl Folder {
        pub(super) fn open(&mut self, root: &Path, rel: &Path) -> io::Result<File> {
            File::open(root.join(rel))
        }
    }

    pub(super) fn read_to_end(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
        // Through `Take`: `File::read_to_end` asks the file's size and position again first.
        Read::take(file, u64::MAX).read_to_end(buf).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }

    #[test]
    fn pages_read_one_after_another_are_each_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let big: Vec<u8> = (0..3 << 20).map(|i| (i % 251) as u8).collect();
        let pages: [(&str, &[u8]); 7] = [
            ("concepts/a.md", b"a page"),
            ("concepts/b.md", b""),
            ("concepts/deep/c.md", &big[..40_000]),
            ("concepts/d.md", &big),
            ("sources/e.md", b"after the large page"),
            ("top.md", b"at the root"),
            ("concepts/f.md", b"back in a folder read before"),
        ];
        for (rel, bytes) in pages {
            write(root, rel, bytes);
        }
        let mut reader = Reader::default();
        for (rel, bytes) in pages.iter().chain(pages.iter().rev()) {
            let read = reader.read(root, Path::new(rel)).expect("read");
            assert!(read == *bytes, "{rel}: {} bytes read", read.len());
            let (read, meta) = reader
                .read_with_metadata(root, Path::new(rel))
                .expect("read");
            assert!(read == *bytes, "{rel} with its metadata");
            assert_eq!(meta.len(), bytes.len() as u64, "{rel}");
        }
        assert!(reader.buf.capacity() <= KEPT_ROOM);
    }

    #[test]
    fn a_missing_page_or_folder_is_an_error_and_the_next_page_still_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "concepts/a.md", b"a");
        let mut reader = Reader::default();
        // A folder is no page: opened, its read fails.
        for missing in ["concepts/gone.md", "nowhere/gone.md", "concepts"] {
            assert!(reader.read(root, Path::new(missing)).is_err(), "{missing}");
            assert_eq!(
                reader.read(root, Path::new("concepts/a.md")).expect("a"),
                b"a"
            );
        }
    }

    #[test]
    fn a_folder_made_again_in_the_place_of_one_read_from_is_read_from() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "concepts/a.md", b"before");
        write(root, "concepts/b.md", b"before");
        let mut reader = Reader::default();
        assert_eq!(
            reader.read(root, Path::new("concepts/a.md")).expect("a"),
            b"before"
        );
        std::fs::remove_dir_all(root.join("concepts")).expect("delete the folder");
        write(root, "concepts/b.md", b"after");
        assert_eq!(
            reader.read(root, Path::new("concepts/b.md")).expect("b"),
            b"after"
        );
        assert!(reader.read(root, Path::new("concepts/a.md")).is_err());
    }
}
