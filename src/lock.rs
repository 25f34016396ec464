//! `rescore.lock`: per thesis, its accepted score and the material state of everything upstream
//! it was scored against. States are content-addressed and stored once. The file is TOML,
//! sorted, one entry a line, so accepting one thesis touches only its own lines and two branches
//! merge cleanly. It is written atomically (temp file + rename) under an exclusive lock on the
//! repo folder, and only `accept` (and `init`) move a baseline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rescore_graph::MaterialState;
use serde::{Deserialize, Serialize};

use crate::config::parse_toml;
use crate::diag::{Diagnostic, Pos};

pub const FILE_NAME: &str = "rescore.lock";
/// The lock format this rescore writes. Older versions are read and upgraded on the next write;
/// newer ones are refused rather than misread.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    #[serde(default)]
    pub thesis: BTreeMap<String, Baseline>,
    #[serde(default)]
    pub state: BTreeMap<String, MaterialState>,
}

/// What one thesis was last scored against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub score: f64,
    /// Upstream node key → state id.
    #[serde(default)]
    pub against: BTreeMap<String, String>,
}

/// A state's content address: a hash of its canonical JSON form.
pub fn state_id(state: &MaterialState) -> String {
    let json = serde_json::to_vec(state).unwrap_or_default();
    let hash = blake3::hash(&json);
    hash.to_hex()[..16].to_string()
}

impl Lock {
    pub fn new() -> Lock {
        Lock {
            version: VERSION,
            ..Lock::default()
        }
    }

    pub fn parse(text: &str) -> Result<Lock, Diagnostic> {
        let path = Path::new(FILE_NAME);
        let lock: Lock = parse_toml(text, path, "rescore.lock", &["version", "thesis", "state", "score", "against"])
            .map_err(|d| d.hint("the lock is written by rescore; restore it from git (`git checkout rescore.lock`) rather than editing it"))?;
        if lock.version > VERSION {
            return Err(Diagnostic::error(
                "lock-too-new",
                path,
                Pos::at(1, 1),
                format!(
                    "rescore.lock is version {}, this rescore reads up to {VERSION}",
                    lock.version
                ),
            )
            .expected(format!("version = {VERSION} or older"))
            .hint("upgrade rescore"));
        }
        for (thesis, b) in &lock.thesis {
            if let Some((node, id)) = b
                .against
                .iter()
                .find(|(_, id)| !lock.state.contains_key(*id))
            {
                let line = text
                    .lines()
                    .position(|l| l.contains(id.as_str()))
                    .map_or(1, |i| i as u32 + 1);
                return Err(Diagnostic::error(
                    "lock-corrupt",
                    path,
                    Pos::at(line, 1),
                    format!("thesis `{thesis}` refers to state {id} (for {node}), which the lock does not hold"),
                )
                .expected("every state id under [thesis.*.against] to have an entry under [state]")
                .hint("restore rescore.lock from git, or re-accept the thesis with `rescore accept --force`"));
            }
        }
        Ok(lock)
    }

    /// Reads the lock; a missing file is an empty lock, an unreadable or corrupt one an error.
    pub fn read(root: &Path) -> Result<Option<Lock>, Diagnostic> {
        match std::fs::read(root.join(FILE_NAME)) {
            Ok(bytes) => {
                let text = crate::load::decode(Path::new(FILE_NAME), bytes)?;
                Lock::parse(&text).map(Some)
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

    /// Records a thesis's baseline.
    pub fn accept(
        &mut self,
        thesis: &str,
        score: f64,
        against: impl IntoIterator<Item = (String, MaterialState)>,
    ) {
        let mut map = BTreeMap::new();
        for (key, state) in against {
            let id = state_id(&state);
            self.state.entry(id.clone()).or_insert(state);
            map.insert(key, id);
        }
        self.thesis.insert(
            thesis.to_string(),
            Baseline {
                score,
                against: map,
            },
        );
    }

    /// Drops states no thesis refers to.
    pub fn collect_garbage(&mut self) {
        let used: BTreeSet<&String> = self
            .thesis
            .values()
            .flat_map(|b| b.against.values())
            .collect();
        let keep: BTreeSet<String> = used.into_iter().cloned().collect();
        self.state.retain(|id, _| keep.contains(id));
    }

    /// The old state a thesis was scored against for one upstream node.
    pub fn state_of(&self, thesis: &Baseline, key: &str) -> Option<&MaterialState> {
        self.state.get(thesis.against.get(key)?)
    }

    /// Deterministic text: sorted, one entry a line.
    pub fn render(&self) -> String {
        let mut out = String::from("# rescore.lock: what each thesis was last scored against. Written by `rescore accept`;\n# commit it, and let rescore edit it.\n");
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
        if !self.state.is_empty() {
            out.push_str("\n[state]\n");
            for (id, state) in &self.state {
                let value =
                    toml::Value::try_from(state).unwrap_or(toml::Value::Table(Default::default()));
                let _ = writeln!(out, "{} = {}", key(id), inline(&value));
            }
        }
        out
    }
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
        // Always a one-line basic string: toml's own rendering turns a key holding a line
        // break into a multi-line string, which TOML does not allow as a key. JSON's escapes
        // are TOML's, except that TOML also wants DEL escaped.
        serde_json::to_string(k)
            .unwrap_or_default()
            .replace('\u{7f}', "\\u007f")
    }
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
        other => other.to_string(),
    }
}

/// An exclusive lock on the research repo for the duration of a write. It locks the root folder
/// itself, so no lock file is left behind.
pub struct RepoLock {
    file: File,
}

impl RepoLock {
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

/// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename.
/// A crash at any point leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut tmp = tempfile::Builder::new()
        .prefix(".rescore-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reads the lock under the repo lock, lets `edit` change it, and writes it back atomically.
pub fn update(
    root: &Path,
    edit: impl FnOnce(&mut Lock) -> Result<(), Diagnostic>,
) -> Result<Lock, Diagnostic> {
    let io = |e: std::io::Error| {
        Diagnostic::error(
            "lock-write",
            Path::new(FILE_NAME),
            Pos::at(1, 1),
            format!("cannot write rescore.lock: {e}"),
        )
        .expected("a writable research repo folder")
        .hint("check permissions and free space; the old lock is untouched")
    };
    let _guard = RepoLock::acquire(root).map_err(io)?;
    let mut lock = Lock::read(root)?.unwrap_or_else(Lock::new);
    lock.version = VERSION;
    edit(&mut lock)?;
    lock.collect_garbage();
    write_atomic(&root.join(FILE_NAME), lock.render().as_bytes()).map_err(io)?;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lock {
        let mut lock = Lock::new();
        lock.accept(
            "b-thesis",
            0.5,
            [(
                "c#x".to_string(),
                MaterialState::Concept {
                    status: Some("active".into()),
                },
            )],
        );
        lock.accept(
            "a-thesis",
            0.62,
            [
                (
                    "c#x".to_string(),
                    MaterialState::Concept {
                        status: Some("active".into()),
                    },
                ),
                (
                    "src".to_string(),
                    MaterialState::Source {
                        retracted: false,
                        superseded_by: None,
                    },
                ),
            ],
        );
        lock
    }

    #[test]
    fn render_round_trips_and_is_sorted() {
        let lock = sample();
        let text = lock.render();
        let back = Lock::parse(&text).expect("parses");
        assert_eq!(back, lock);
        let a = text.find("[thesis.a-thesis]").expect("a");
        let b = text.find("[thesis.b-thesis]").expect("b");
        assert!(a < b);
    }

    #[test]
    fn shared_states_are_stored_once() {
        assert_eq!(sample().state.len(), 2);
    }

    #[test]
    fn accepting_one_thesis_changes_only_its_lines() {
        let before = sample();
        let mut after = before.clone();
        after.accept(
            "b-thesis",
            0.7,
            [(
                "c#x".to_string(),
                MaterialState::Concept {
                    status: Some("active".into()),
                },
            )],
        );
        let (old, new) = (before.render(), after.render());
        let changed: Vec<(&str, &str)> = old
            .lines()
            .zip(new.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed, vec![("score = 0.5", "score = 0.7")]);
    }

    #[test]
    fn newer_version_is_refused() {
        let err = Lock::parse("version = 99\n").expect_err("too new");
        assert_eq!(err.code, "lock-too-new");
    }

    #[test]
    fn dangling_state_is_corrupt() {
        let err =
            Lock::parse("version = 1\n[thesis.t]\nscore = 0.5\n[thesis.t.against]\nx = \"abc\"\n")
                .expect_err("corrupt");
        assert_eq!(err.code, "lock-corrupt");
    }
}
