//! Rendering what rescore found: listings and stale-thesis reports, as human text, JSON,
//! GitHub workflow commands and JUnit XML.

use std::fmt::Write as _;

use rescore_graph::{MaterialState, NodeKind};
use serde_json::json;

use crate::cli::Format;
use crate::load::Repo;

/// `rescore ls`: pages, nodes with their material state, and edges.
pub fn ls(repo: &Repo, kind: Option<NodeKind>, format: Format) -> String {
    let nodes: Vec<_> = repo
        .graph
        .nodes()
        .filter(|(_, n)| kind.is_none_or(|k| n.kind == k))
        .collect();
    let path = |n: &rescore_graph::Node| {
        repo.page_of(n.loc)
            .map(|p| p.path.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    if format == Format::Json {
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
        let keep = |ix: rescore_graph::NodeIx| kind.is_none_or(|k| repo.graph.node(ix).kind == k);
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
                let mut s = format!("{}", c.level);
                if !q.is_empty() {
                    let _ = write!(s, "  [{}]", q.join(", "));
                }
                if !c.sources.is_empty() {
                    let _ = write!(s, "  ← {}", c.sources.join(", "));
                }
                s
            }
            MaterialState::Benchmark { value, .. } => match value {
                rescore_graph::quantity::Value::Quantity(q) => q.to_string(),
                rescore_graph::quantity::Value::Text { text } => format!("\"{text}\""),
            },
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
