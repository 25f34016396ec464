//! Format 1 of the lock, read so that a repo accepted by an older rescore is not marked stale:
//! one TOML file with `[thesis.ID]` / `[thesis.ID.against]` tables and a `[node]` table of
//! entries, one a line. Its entry lines are the format-2 entry lines, so they are indexed as
//! they are and copied over verbatim on the next write.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

use super::{corrupt, Baseline, WrittenBaseline, FILE_NAME};
use crate::config::parse_toml;
use crate::diag::Diagnostic;
use crate::trees::{parse_hex, TreeId};

const NODE_HEADER: &str = "[node]";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    #[serde(rename = "version")]
    _version: u32,
    #[serde(default)]
    thesis: BTreeMap<String, WrittenBaseline>,
}

/// The baselines, and where each `[node]` entry's line is in `text` (trimmed).
pub type Parsed = (BTreeMap<String, Baseline>, HashMap<TreeId, Range<usize>>);

pub fn parse(text: &str) -> Result<Parsed, Diagnostic> {
    let path = Path::new(FILE_NAME);
    let split = text.match_indices(NODE_HEADER).map(|(i, _)| i).find(|&i| {
        (i == 0 || text[..i].ends_with('\n'))
            && text[i + NODE_HEADER.len()..].starts_with(['\n', '\r'])
    });
    let nodes_start = split.unwrap_or(text.len());
    let (head_text, nodes) = text.split_at(nodes_start);
    let head: Head = parse_toml(
        head_text,
        path,
        "rescore.lock (format 1)",
        &["version", "thesis", "score", "against"],
    )?;
    let first_line = head_text.matches('\n').count() as u32 + 1;
    let mut index = HashMap::new();
    let mut offset = nodes_start;
    for (n, line) in nodes.split_inclusive('\n').enumerate() {
        let t = line.trim();
        let lead = line.len() - line.trim_start().len();
        let range = offset + lead..offset + lead + t.len();
        offset += line.len();
        if n == 0 || t.is_empty() || t.starts_with('#') {
            continue;
        }
        match super::toml_entry_id(t) {
            Some(id) => {
                index.insert(id, range);
            }
            None => {
                return Err(corrupt(
                    path,
                    first_line + n as u32,
                    format!("not a node entry: `{}`", super::shorten(t)),
                ))
            }
        }
    }
    let mut thesis = BTreeMap::new();
    for (name, b) in head.thesis {
        let b = b.read(parse_hex).map_err(|bad| {
            let line = text
                .lines()
                .position(|l| l.contains(bad.as_str()))
                .map_or(1, |i| i as u32 + 1);
            corrupt(path, line, format!("`{bad}` is not a tree id"))
        })?;
        thesis.insert(name, b);
    }
    Ok((thesis, index))
}
