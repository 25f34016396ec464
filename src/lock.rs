//! `rescore.lock`: per thesis, its accepted score and the material state of everything upstream
//! it was scored against. States are content-addressed and stored once. The file is TOML,
//! sorted, one entry a line, so accepting one thesis touches only its own lines and two branches
//! merge cleanly. It is written atomically (temp file + rename) under an exclusive lock on the
//! repo folder, and only `accept` (and `init`) move a baseline.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rescore_graph::MaterialState;
use serde::{Deserialize, Serialize};

use crate::config::parse_toml;
use crate::diag::{Diagnostic, Pos};
use crate::trees::{hex, parse_hex, TreeId};

pub const FILE_NAME: &str = "rescore.lock";
/// The lock format this rescore writes. Older versions are read and upgraded on the next write;
/// newer ones are refused rather than misread.
pub const VERSION: u32 = 1;

/// The parsed lock. Thesis baselines are parsed up front; the `[node]` section, which is most
/// of the file, is only indexed, and an entry is parsed when evaluation needs to look inside a
/// subtree whose tree id changed. That keeps `check` on a large repo close to the cost of
/// reading the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lock {
    pub version: u32,
    pub thesis: BTreeMap<String, Baseline>,
    /// The lock's text and where each `[node]` entry's line is in it.
    raw: String,
    index: HashMap<TreeId, Range<usize>>,
    /// Entries added since reading (by `accept`).
    added: BTreeMap<TreeId, Entry>,
}

/// What one thesis was last scored against: its score and the tree id of each direct
/// dependency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub score: f64,
    /// Direct dependency key → tree id (hex).
    #[serde(default)]
    pub against: BTreeMap<String, String>,
}

/// One node as a thesis was scored against it: key, own state, and its upstream subtrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: String,
    pub state: MaterialState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub up: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    version: u32,
    #[serde(default)]
    thesis: BTreeMap<String, Baseline>,
}

const NODE_HEADER: &str = "[node]";

fn corrupt(line: u32, what: String) -> Diagnostic {
    Diagnostic::error("lock-corrupt", Path::new(FILE_NAME), Pos::at(line, 1), what)
        .expected("rescore.lock as rescore writes it")
        .hint("restore it from git (`git checkout rescore.lock`), or re-accept with `rescore accept --all --force`")
}

impl Lock {
    pub fn new() -> Lock {
        Lock {
            version: VERSION,
            ..Lock::default()
        }
    }

    pub fn parse(text: &str) -> Result<Lock, Diagnostic> {
        Lock::parse_owned(text.to_string())
    }

    /// Parses a lock, keeping `text` itself as the store of node entries (no copy of what is
    /// most of a large lock).
    pub fn parse_owned(text: String) -> Result<Lock, Diagnostic> {
        let path = Path::new(FILE_NAME);
        let split = text.match_indices(NODE_HEADER).map(|(i, _)| i).find(|&i| {
            (i == 0 || text[..i].ends_with('\n'))
                && text[i + NODE_HEADER.len()..].starts_with(['\n', '\r'])
        });
        let nodes_start = split.unwrap_or(text.len());
        let (head_text, nodes) = text.split_at(nodes_start);
        let head: Head = parse_toml(head_text, path, "rescore.lock", &["version", "thesis", "score", "against"])
            .map_err(|d| d.hint("the lock is written by rescore; restore it from git (`git checkout rescore.lock`) rather than editing it"))?;
        if head.version > VERSION {
            return Err(Diagnostic::error(
                "lock-too-new",
                path,
                Pos::at(1, 1),
                format!(
                    "rescore.lock is version {}, this rescore reads up to {VERSION}",
                    head.version
                ),
            )
            .expected(format!("version = {VERSION} or older"))
            .hint("upgrade rescore"));
        }
        let raw_line = head_text.matches('\n').count() as u32 + 1;
        let mut index = HashMap::new();
        let mut offset = nodes_start;
        for (n, line) in nodes.split_inclusive('\n').enumerate() {
            let range = offset..offset + line.len();
            offset += line.len();
            let t = line.trim();
            if n == 0 || t.is_empty() || t.starts_with('#') {
                continue;
            }
            let id = t
                .split_once(" = {")
                .filter(|_| t.ends_with('}'))
                .and_then(|(id, _)| parse_hex(id.trim()));
            match id {
                Some(id) => {
                    index.insert(id, range);
                }
                None => {
                    let shown: String = t.chars().take(60).collect();
                    return Err(corrupt(
                        raw_line + n as u32,
                        format!("not a node entry: `{shown}`"),
                    ));
                }
            }
        }
        for (thesis, b) in &head.thesis {
            for (node, id) in &b.against {
                if parse_hex(id).is_none_or(|i| !index.contains_key(&i)) {
                    let line = text
                        .lines()
                        .position(|l| l.contains(id.as_str()))
                        .map_or(1, |i| i as u32 + 1);
                    return Err(corrupt(
                        line,
                        format!("thesis `{thesis}` refers to node entry {id} (for {node}), which the lock does not hold"),
                    ));
                }
            }
        }
        Ok(Lock {
            version: head.version,
            thesis: head.thesis,
            raw: text,
            index,
            added: BTreeMap::new(),
        })
    }

    /// Reads the lock; a missing file is no lock, an unreadable or corrupt one an error.
    pub fn read(root: &Path) -> Result<Option<Lock>, Diagnostic> {
        match std::fs::read(root.join(FILE_NAME)) {
            Ok(bytes) => {
                let text = crate::load::decode(Path::new(FILE_NAME), bytes)?;
                Lock::parse_owned(text).map(Some)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Diagnostic::error(
                "lock-unreadable",
                Path::new(FILE_NAME),
                Pos::at(1, 1),
                format!("cannot read rescore.lock: {e}"),
            )
            .expected("a readable lock file")
            .hint("check its permissions")),
        }
    }

    /// Whether the lock holds an entry for this tree id.
    pub fn has(&self, id: TreeId) -> bool {
        self.index.contains_key(&id) || self.added.contains_key(&id)
    }

    /// The entry for a tree id, parsed from its line on first use.
    pub fn entry(&self, id: &str) -> Result<Option<Entry>, Diagnostic> {
        let Some(id) = parse_hex(id) else {
            return Ok(None);
        };
        if let Some(e) = self.added.get(&id) {
            return Ok(Some(e.clone()));
        }
        let Some(range) = self.index.get(&id) else {
            return Ok(None);
        };
        let line = &self.raw[range.clone()];
        let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
        let entry: Entry = toml::from_str::<BTreeMap<String, Entry>>(&format!("e = {value}"))
            .ok()
            .and_then(|mut m| m.remove("e"))
            .ok_or_else(|| {
                let line_no = self.raw[..range.start].matches('\n').count() as u32 + 1;
                corrupt(line_no, format!("node entry {} does not parse", hex(id)))
            })?;
        Ok(Some(entry))
    }

    /// Records a thesis's baseline.
    pub fn accept(&mut self, thesis: &str, score: f64, snap: &Snapshot) {
        for (id, entry) in &snap.entries {
            if !self.index.contains_key(id) {
                self.added.entry(*id).or_insert_with(|| entry.clone());
            }
        }
        let against = snap
            .against
            .iter()
            .map(|(k, id)| (k.clone(), hex(*id)))
            .collect();
        self.thesis
            .insert(thesis.to_string(), Baseline { score, against });
    }

    /// Deterministic text: sorted, one entry a line. Entries no thesis reaches are dropped.
    pub fn render(&self) -> Result<String, Diagnostic> {
        let mut out = String::from(
            "# rescore.lock: what each thesis was last scored against. Written by `rescore accept`;\n# commit it, and let rescore edit it.\n",
        );
        let _ = writeln!(out, "version = {}", VERSION);
        for (name, b) in &self.thesis {
            let _ = writeln!(out, "\n[thesis.{}]\nscore = {}", key(name), float(b.score));
            if !b.against.is_empty() {
                let _ = writeln!(out, "\n[thesis.{}.against]", key(name));
                for (node, id) in &b.against {
                    let _ = writeln!(out, "{} = \"{}\"", key(node), id);
                }
            }
        }
        // Walk from every thesis's dependencies to find the entries still in use.
        let mut lines: BTreeMap<TreeId, String> = BTreeMap::new();
        let mut todo: Vec<TreeId> = self
            .thesis
            .values()
            .flat_map(|b| b.against.values())
            .filter_map(|s| parse_hex(s))
            .collect();
        while let Some(id) = todo.pop() {
            if lines.contains_key(&id) {
                continue;
            }
            let entry = self
                .entry(&hex(id))?
                .ok_or_else(|| corrupt(1, format!("node entry {} is missing", hex(id))))?;
            todo.extend(entry.up.iter().filter_map(|s| parse_hex(s)));
            let line = match self.index.get(&id) {
                Some(r) => self.raw[r.clone()].trim_end().to_string(),
                None => {
                    let value = toml::Value::try_from(&entry)
                        .unwrap_or(toml::Value::Table(Default::default()));
                    format!("{} = {}", hex(id), inline(&value))
                }
            };
            lines.insert(id, line);
        }
        if !lines.is_empty() {
            out.push('\n');
            out.push_str(NODE_HEADER);
            out.push('\n');
            for line in lines.values() {
                out.push_str(line);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// A thesis's dependencies as they are now, ready to be accepted.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub against: BTreeMap<String, TreeId>,
    pub entries: BTreeMap<TreeId, Entry>,
}

fn float(x: f64) -> String {
    let v = toml::Value::Float(x);
    v.to_string()
}

/// A TOML key, bare when it can be.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        one_line(k)
    }
}

/// A one-line basic string: toml's own rendering turns a string holding a line break into a
/// multi-line string, which is no key and breaks the one-entry-a-line layout. JSON's escapes
/// are TOML's, except that TOML also wants DEL escaped.
fn one_line(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace('\u{7f}', "\\u007f")
}

/// A TOML value on one line (tables inline), keys in sorted order.
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{} = {}", key(k), inline(&t[k.as_str()])))
                .collect();
            if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
        toml::Value::Array(a) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        toml::Value::String(s) => one_line(s),
        other => other.to_string(),
    }
}

/// An exclusive lock on the research repo for the duration of a write. It locks the root folder
/// itself, so no lock file is left behind. Every write rescore makes (the lock, pages, the
/// config `init` writes) happens while it is held, so a temp file found under it was left by a
/// write that was interrupted.
pub struct RepoLock {
    file: File,
}

impl RepoLock {
    /// Waits for the lock.
    pub fn acquire(root: &Path) -> std::io::Result<RepoLock> {
        let file = File::open(root)?;
        file.lock()?;
        Ok(RepoLock { file })
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

const TEMP_PREFIX: &str = ".rescore-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes the temp files of interrupted writes (`.rescore-*.tmp`) directly in each folder.
/// Only under the repo lock: no other rescore is writing one then.
pub fn sweep_temps<'a>(_held: &RepoLock, dirs: impl IntoIterator<Item = &'a Path>) {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let ours = name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX);
            if ours && e.file_type().is_ok_and(|t| t.is_file()) {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => tracing::info!(
                        "removed {}, left by an interrupted write",
                        e.path().display()
                    ),
                    Err(err) => tracing::warn!("cannot remove {}: {err}", e.path().display()),
                }
            }
        }
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename.
/// A crash at any point leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = stage(path, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The temp file holding `bytes`, synced, with the permissions of the file it is to replace;
/// removed when dropped unless persisted.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match std::fs::metadata(path) {
        Ok(meta) => {
            let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
        }
        Err(_) => {
            // tempfile creates 0600; a new lock or page should be as readable as any file.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ =
                    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
            }
        }
    }
    Ok(tmp)
}

/// Which version of a file a path names, as far as the filesystem tells: a save by rename
/// makes a new inode, a save in place a new length, modification or change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
    /// Changed by any write, and by a rename of the file itself.
    #[cfg(unix)]
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The same file with the same content, wherever it has been renamed to since.
    #[cfg(target_os = "linux")]
    fn same_content(&self, other: &Stamp) -> bool {
        (self.len, self.modified, self.inode) == (other.len, other.modified, other.inode)
    }
}

/// A file's bytes and the stamp of the version they were read from.
pub fn read_stamped(path: &Path) -> std::io::Result<(Vec<u8>, Stamp)> {
    let mut f = File::open(path)?;
    let before = Stamp::of(&f.metadata()?);
    let mut bytes = Vec::with_capacity(before.len as usize);
    std::io::Read::read_to_end(&mut f, &mut bytes)?;
    Ok((bytes, before))
}

/// Replaces the file at `path` with `bytes` only if it still is the version read as
/// (`was`, `was_bytes`): compare-and-swap on a path. The new text is staged and synced first,
/// then the file is read and stat'ed once more, and the new file goes in at once.
///
/// POSIX has no rename-if-unchanged. On Linux the new file goes in by an atomic exchange
/// (`renameat2` with `RENAME_EXCHANGE`), which hands back the file it displaced: when that is
/// not the version read (a save landed after the last check), the two are exchanged back and
/// the save is where it was. What remains is a page that shows rescore's text for the
/// microseconds between the two exchanges, and a second save landing in those same
/// microseconds. Elsewhere (or on a filesystem without the exchange) the file is renamed over
/// after the check, and a save landing between the last stat and the rename is replaced.
/// `Ok(false)` when the file changed (it is left as the other writer left it).
pub fn replace_if_unchanged(
    _held: &RepoLock,
    path: &Path,
    was: Stamp,
    was_bytes: &[u8],
    bytes: &[u8],
) -> std::io::Result<bool> {
    let tmp = stage(path, bytes)?;
    match read_stamped(path) {
        Ok((now, stamp)) if stamp == was && now == was_bytes => {}
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    install(tmp, path, was)
}

/// Puts the staged file in place if the page is still the version read.
#[cfg(target_os = "linux")]
fn install(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<bool> {
    match exchange::swap(tmp, path, was)? {
        exchange::Swapped::Done(done) => Ok(done),
        exchange::Swapped::Unsupported(t) => rename_if_unchanged(t, path, was),
    }
}

#[cfg(not(target_os = "linux"))]
fn install(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<bool> {
    rename_if_unchanged(tmp, path, was)
}

fn rename_if_unchanged(
    tmp: tempfile::NamedTempFile,
    path: &Path,
    was: Stamp,
) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) if Stamp::of(&meta) == was => {}
        _ => return Ok(false),
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

#[cfg(target_os = "linux")]
mod exchange {
    use std::path::Path;

    use rustix::fs::{renameat_with, RenameFlags, CWD};

    use super::Stamp;

    pub enum Swapped {
        /// Whether the new file is in place (else the file was changed and is left as it was).
        Done(bool),
        /// The filesystem cannot exchange; the staged file is handed back.
        Unsupported(tempfile::NamedTempFile),
    }

    fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
    }

    /// Exchanges the staged file with the page; if what came out is not the version read,
    /// exchanges them back.
    pub fn swap(tmp: tempfile::NamedTempFile, path: &Path, was: Stamp) -> std::io::Result<Swapped> {
        let ours = Stamp::of(&tmp.as_file().metadata()?);
        match exchange(tmp.path(), path) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                return Ok(Swapped::Unsupported(tmp))
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOSYS.raw_os_error()) => {
                return Ok(Swapped::Unsupported(tmp))
            }
            Err(e) => return Err(e),
        }
        // `tmp` now names the file that was at `path`; dropping it removes that.
        let out = Stamp::of(&std::fs::symlink_metadata(tmp.path())?);
        if out.same_content(&was) {
            return Ok(Swapped::Done(true));
        }
        // A save landed after the last check: give it its place back.
        tracing::debug!(path = %path.display(), "a save landed during the exchange: handed back");
        exchange(tmp.path(), path)?;
        let back = Stamp::of(&std::fs::symlink_metadata(tmp.path())?);
        if !back.same_content(&ours) {
            // And another one landed between the two exchanges: it is newer than the first.
            tmp.persist(path).map_err(|e| e.error)?;
        }
        Ok(Swapped::Done(false))
    }
}

fn write_error(e: std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "lock-write",
        Path::new(FILE_NAME),
        Pos::at(1, 1),
        format!("cannot write rescore.lock: {e}"),
    )
    .expected("a writable research repo folder")
    .hint("check permissions and free space; the old lock is untouched")
}

/// Reads the lock under the repo lock, lets `edit` change it, and writes it back atomically.
pub fn update(
    root: &Path,
    edit: impl FnOnce(&mut Lock) -> Result<(), Diagnostic>,
) -> Result<Lock, Diagnostic> {
    let held = RepoLock::acquire(root).map_err(write_error)?;
    update_held(&held, root, edit)
}

/// `update` for a caller that holds the repo lock already (and goes on writing pages under it).
pub fn update_held(
    held: &RepoLock,
    root: &Path,
    edit: impl FnOnce(&mut Lock) -> Result<(), Diagnostic>,
) -> Result<Lock, Diagnostic> {
    sweep_temps(held, [root]);
    let mut lock = Lock::read(root)?.unwrap_or_else(Lock::new);
    lock.version = VERSION;
    edit(&mut lock)?;
    let text = lock.render()?;
    write_atomic(&root.join(FILE_NAME), text.as_bytes()).map_err(write_error)?;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    type E<'a> = (TreeId, &'a str, MaterialState, &'a [TreeId]);

    fn snap(entries: &[E], against: &[(&str, TreeId)]) -> Snapshot {
        Snapshot {
            against: against.iter().map(|(k, id)| (k.to_string(), *id)).collect(),
            entries: entries
                .iter()
                .map(|(id, key, state, up)| {
                    let up = up.iter().map(|u| hex(*u)).collect();
                    (
                        *id,
                        Entry {
                            key: key.to_string(),
                            state: state.clone(),
                            up,
                        },
                    )
                })
                .collect(),
        }
    }

    fn parts() -> Vec<E<'static>> {
        let concept = MaterialState::Concept {
            status: Some("active".into()),
        };
        let source = MaterialState::Source {
            retracted: false,
            superseded_by: None,
        };
        vec![(1, "c", concept, &[2]), (2, "src", source, &[])]
    }

    fn sample() -> Lock {
        let mut lock = Lock::new();
        lock.accept("b-thesis", 0.5, &snap(&parts(), &[("c", 1)]));
        lock.accept("a-thesis", 0.62, &snap(&parts(), &[("c", 1), ("src", 2)]));
        lock
    }

    #[test]
    fn render_round_trips_and_is_sorted() {
        let text = sample().render().expect("renders");
        let back = Lock::parse(&text).expect("parses");
        assert_eq!(back.thesis, sample().thesis);
        assert_eq!(back.render().expect("renders again"), text);
        let a = text.find("[thesis.a-thesis]").expect("a");
        let b = text.find("[thesis.b-thesis]").expect("b");
        assert!(a < b);
        assert_eq!(
            back.entry(&hex(1)).expect("parses").map(|e| e.key),
            Some("c".into())
        );
    }

    #[test]
    fn shared_entries_are_stored_once() {
        let text = sample().render().expect("renders");
        assert_eq!(text.matches("key = \"c\"").count(), 1);
    }

    #[test]
    fn accepting_one_thesis_changes_only_its_lines() {
        let before = sample();
        let mut after = before.clone();
        after.accept("b-thesis", 0.7, &snap(&parts(), &[("c", 1)]));
        let (old, new) = (before.render().expect("old"), after.render().expect("new"));
        let changed: Vec<(&str, &str)> = old
            .lines()
            .zip(new.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed, vec![("score = 0.5", "score = 0.7")]);
    }

    #[test]
    fn unused_entries_are_dropped() {
        let mut lock = sample();
        lock.thesis.clear();
        assert!(!lock.render().expect("renders").contains("[node]"));
    }

    #[test]
    fn a_page_is_replaced_only_while_it_holds_what_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let page = dir.path().join("p.md");
        std::fs::write(&page, "one\n").expect("write");
        let (bytes, stamp) = read_stamped(&page).expect("read");
        assert!(
            replace_if_unchanged(&held, &page, stamp, &bytes, b"one, with block\n").expect("io")
        );
        assert_eq!(std::fs::read(&page).expect("read"), b"one, with block\n");

        // An editor's save (temp file + rename) after the read: the write is refused.
        let (bytes, stamp) = read_stamped(&page).expect("read");
        std::fs::write(dir.path().join("save.tmp"), "two\n").expect("write");
        std::fs::rename(dir.path().join("save.tmp"), &page).expect("rename");
        assert!(!replace_if_unchanged(&held, &page, stamp, &bytes, b"stale\n").expect("io"));
        assert_eq!(std::fs::read(&page).expect("read"), b"two\n");

        // A save in place, to the same length: refused too.
        let (bytes, stamp) = read_stamped(&page).expect("read");
        std::fs::write(&page, "owt\n").expect("write");
        assert!(!replace_if_unchanged(&held, &page, stamp, &bytes, b"stale\n").expect("io"));
        assert_eq!(std::fs::read(&page).expect("read"), b"owt\n");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["p.md"]);
    }

    #[test]
    fn sweeping_removes_only_rescore_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [".rescore-a1.tmp", ".rescore-notes.md", "keep.tmp", "p.md"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        let held = RepoLock::acquire(dir.path()).expect("lock");
        sweep_temps(&held, [dir.path()]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".rescore-notes.md", "keep.tmp", "p.md"]);
    }

    #[test]
    fn newer_version_is_refused() {
        let err = Lock::parse("version = 99\n").expect_err("too new");
        assert_eq!(err.code, "lock-too-new");
    }

    #[test]
    fn dangling_entry_is_corrupt() {
        let text =
            "version = 1\n[thesis.t]\nscore = 0.5\n[thesis.t.against]\nx = \"00000000000000ab\"\n";
        let err = Lock::parse(text).expect_err("corrupt");
        assert_eq!(err.code, "lock-corrupt");
    }

    #[test]
    fn garbage_in_the_node_section_is_corrupt_at_its_line() {
        let mut text = sample().render().expect("renders");
        text.push_str("<<<<<<< HEAD\n");
        let err = Lock::parse(&text).expect_err("corrupt");
        assert_eq!(err.code, "lock-corrupt");
        assert_eq!(err.line as usize, text.lines().count());
    }
}
