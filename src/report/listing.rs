//! Listings: `rescore ls` and `rescore backlinks`.

use std::fmt::Write as _;
use std::path::Path;

use rescore_graph::{MaterialState, NodeKind};
use serde_json::json;

use crate::ci;
use crate::format::{BacklinksFormat, TextOrJson};
use crate::load::Repo;
use crate::writeback::Outcome;

/// `rescore ls`: pages, nodes with their material state, and edges; with `--select`, only the
/// nodes in `only` (all when `None`).
pub fn ls(
    repo: &Repo,
    kind: Option<NodeKind>,
    only: Option<&std::collections::HashSet<rescore_graph::NodeIx>>,
    format: TextOrJson,
) -> String {
    let picked = |ix: rescore_graph::NodeIx| only.is_none_or(|o| o.contains(&ix));
    let nodes: Vec<_> = repo
        .graph
        .nodes()
        .filter(|(ix, n)| kind.is_none_or(|k| n.kind == k) && picked(*ix))
        .collect();
    let path = |n: &rescore_graph::Node| {
        repo.page_of(n.loc)
            .map(|p| p.path.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    if format == TextOrJson::Json {
        let nodes: Vec<_> = nodes
            .iter()
            .map(|(_, n)| {
                json!({
                    "key": n.key,
                    "kind": n.kind,
                    "path": path(n),
                    "line": n.loc.line,
                    "state": n.state,
                })
            })
            .collect();
        let keep = |ix: rescore_graph::NodeIx| {
            kind.is_none_or(|k| repo.graph.node(ix).kind == k) && picked(ix)
        };
        let edges: Vec<_> = repo
            .graph
            .edges()
            .filter(|(a, b, _)| keep(*a) || keep(*b))
            .map(|(a, b, e)| {
                json!({
                    "from": repo.graph.node(a).key,
                    "to": repo.graph.node(b).key,
                    "kind": e.kind,
                })
            })
            .collect();
        let doc = json!({ "nodes": nodes, "edges": edges });
        return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for (ix, n) in &nodes {
        let detail = match &n.state {
            MaterialState::Claim(c) => {
                let q: Vec<String> = c.quantities.iter().map(|q| q.to_string()).collect();
                let mut s = c.level.to_string();
                if !q.is_empty() {
                    let _ = write!(s, "  [{}]", q.join(", "));
                }
                if !c.sources.is_empty() {
                    let _ = write!(s, "  ← {}", c.sources.join(", "));
                }
                s
            }
            MaterialState::Benchmark { value, .. } => value.to_string(),
            MaterialState::Concept { status } => status.clone().unwrap_or_default(),
            MaterialState::Source {
                retracted,
                superseded_by,
            } => match (retracted, superseded_by) {
                (true, _) => "retracted".into(),
                (_, Some(s)) => format!("superseded by {s}"),
                _ => String::new(),
            },
            MaterialState::Thesis { score } => format!("score {score}"),
        };
        let _ = writeln!(
            out,
            "{:<9} {:<50} {}  ({}:{})",
            n.kind,
            n.key,
            detail,
            path(n),
            n.loc.line
        );
        for (to, e) in repo.graph.outgoing(*ix) {
            let _ = writeln!(out, "{:<9}   └─{}→ {}", "", e.kind, repo.graph.node(to).key);
        }
    }
    out
}

/// What `rescore backlinks` was asked to do.
pub enum BacklinksMode<'a> {
    /// Show each out-of-date block's diff.
    List,
    /// Name each out-of-date page.
    Check,
    /// The blocks were written, with these outcomes.
    Written(&'a [(std::path::PathBuf, Outcome)]),
}

/// `rescore backlinks`: the out-of-date blocks as a list with diffs, the pages to check, what
/// was written, a JSON document, or (not when written) one workflow annotation per page.
pub fn backlinks(
    changes: &[crate::backlinks::Change],
    mode: BacklinksMode,
    format: BacklinksFormat,
    quiet: bool,
    prefix: &Path,
) -> String {
    let mut out = String::new();
    let check = matches!(mode, BacklinksMode::Check);
    match format {
        BacklinksFormat::Json => {
            let list: Vec<_> = changes
                .iter()
                .map(|c| json!({ "path": c.path, "concept": c.concept, "theses": c.theses }))
                .collect();
            let written = matches!(mode, BacklinksMode::Written(_));
            let doc = json!({ "out_of_date": list, "written": written });
            return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        }
        BacklinksFormat::Github => {
            if matches!(mode, BacklinksMode::Written(_)) {
                return out;
            }
            for c in changes {
                let file = ci::ci_path(prefix, &c.path.to_string_lossy());
                let place = ci::Place {
                    file: &file,
                    line: 1,
                    col: None,
                };
                let _ = writeln!(
                    out,
                    "{}",
                    ci::annotation(
                        check,
                        &place,
                        "rescore backlinks",
                        "the \"Theses that depend on this concept\" block is out of date: run `rescore backlinks --write`"
                    )
                );
            }
            return out;
        }
        BacklinksFormat::Human if quiet => return out,
        BacklinksFormat::Human => {}
    }
    for c in changes {
        let path = c.path.display();
        match &mode {
            BacklinksMode::Written(done) => {
                let wrote = done
                    .iter()
                    .any(|(p, o)| p == &c.path && matches!(o, Outcome::Written(_)));
                if wrote {
                    let _ = writeln!(out, "wrote {path}");
                }
            }
            BacklinksMode::Check => {
                let _ = writeln!(out, "out of date: {path}");
            }
            BacklinksMode::List => {
                let _ = write!(
                    out,
                    "would write {path}\n{}",
                    crate::backlinks::diff(&c.old, &c.new)
                );
            }
        }
    }
    if changes.is_empty() {
        out.push_str("backlinks are up to date\n");
    } else if check {
        out.push_str("run `rescore backlinks --write` to update them\n");
    }
    out
}
