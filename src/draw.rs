//! `rescore graph`: the DAG as Graphviz DOT or Mermaid, node kind by shape and colour, edge kind
//! by style; stale and pending theses, and the paths from their causes, marked in red and amber.

use std::collections::HashSet;
use std::fmt::Write as _;

use rescore_graph::{EdgeKind, Graph, NodeIx, NodeKind};

use crate::eval::{Evaluation, Status};

/// What the evaluation says about the drawing: stale and pending theses, and the nodes and
/// edges on the path from each cause down to its stale thesis.
#[derive(Debug, Default)]
pub struct Marks {
    stale: HashSet<NodeIx>,
    pending: HashSet<NodeIx>,
    cause_nodes: HashSet<NodeIx>,
    cause_edges: HashSet<(NodeIx, NodeIx)>,
}

impl Marks {
    pub fn new(graph: &Graph, eval: &Evaluation) -> Self {
        let mut m = Marks::default();
        for v in &eval.verdicts {
            let Some(t) = graph.get(&v.thesis) else {
                continue;
            };
            match v.status {
                Status::Stale => {
                    m.stale.insert(t);
                }
                Status::Pending => {
                    m.pending.insert(t);
                }
                _ => continue,
            }
            for c in &v.causes {
                let hops: Vec<NodeIx> = c.via.iter().filter_map(|k| graph.get(k)).collect();
                m.cause_nodes
                    .extend(hops.iter().copied().filter(|&ix| ix != t));
                m.cause_edges
                    .extend(hops.windows(2).map(|pair| (pair[0], pair[1])));
            }
        }
        m
    }

    /// Extra DOT node attributes.
    fn dot_node(&self, ix: NodeIx) -> &'static str {
        if self.stale.contains(&ix) {
            ", fillcolor=\"#fecaca\", color=\"#dc2626\", penwidth=3"
        } else if self.pending.contains(&ix) {
            ", fillcolor=\"#fde68a\", color=\"#d97706\", penwidth=3, style=\"filled,dashed\""
        } else if self.cause_nodes.contains(&ix) {
            ", color=\"#dc2626\", penwidth=2"
        } else {
            ""
        }
    }

    fn mermaid_class(&self, ix: NodeIx) -> Option<&'static str> {
        if self.stale.contains(&ix) {
            Some("stale")
        } else if self.pending.contains(&ix) {
            Some("pending")
        } else if self.cause_nodes.contains(&ix) {
            Some("cause")
        } else {
            None
        }
    }
}

fn dot_shape(k: NodeKind) -> (&'static str, &'static str) {
    match k {
        NodeKind::Source => ("note", "#e8e8e8"),
        NodeKind::Claim => ("box", "#dbeafe"),
        NodeKind::Benchmark => ("box3d", "#e0f2fe"),
        NodeKind::Concept => ("ellipse", "#dcfce7"),
        NodeKind::Thesis => ("hexagon", "#fef3c7"),
    }
}

fn dot_style(k: EdgeKind) -> &'static str {
    match k {
        EdgeKind::Cites => "dotted",
        EdgeKind::Contains => "solid",
        EdgeKind::PartOf => "bold",
        EdgeKind::Evidence => "solid, color=\"#b45309\"",
        EdgeKind::BuildsOn => "bold, color=\"#b45309\"",
        EdgeKind::Related => "dashed, arrowhead=none, color=\"#9ca3af\"",
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz DOT of the nodes in `only` (all when `None`) and the edges between them.
pub fn dot(graph: &Graph, only: Option<&[NodeIx]>, marks: &Marks) -> String {
    let keep = keep_set(graph, only);
    let mut out = String::from(
        "digraph rescore {\n  rankdir=LR;\n  node [style=filled, fontname=\"Helvetica\"];\n",
    );
    for (ix, n) in graph.nodes().filter(|(ix, _)| keep[ix.index()]) {
        let (shape, fill) = dot_shape(n.kind);
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, fillcolor=\"{fill}\"{}];",
            ix.index(),
            quote(&n.key),
            marks.dot_node(ix)
        );
    }
    for (a, b, e) in graph
        .edges()
        .filter(|(a, b, _)| keep[a.index()] && keep[b.index()])
    {
        let on_path = if marks.cause_edges.contains(&(a, b)) {
            ", color=\"#dc2626\", penwidth=2"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\", style={}{on_path}];",
            a.index(),
            b.index(),
            e.kind,
            dot_style(e.kind)
        );
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart of the same.
pub fn mermaid(graph: &Graph, only: Option<&[NodeIx]>, marks: &Marks) -> String {
    let keep = keep_set(graph, only);
    let mut out = String::from("flowchart LR\n");
    for (ix, n) in graph.nodes().filter(|(ix, _)| keep[ix.index()]) {
        let label = n.key.replace('"', "#quot;");
        let (open, close) = match n.kind {
            NodeKind::Source => ("[/", "/]"),
            NodeKind::Claim => ("[", "]"),
            NodeKind::Benchmark => ("[[", "]]"),
            NodeKind::Concept => ("([", "])"),
            NodeKind::Thesis => ("{{", "}}"),
        };
        let _ = writeln!(
            out,
            "  n{}{open}\"{label}\"{close}:::{}",
            ix.index(),
            n.kind
        );
    }
    // Mermaid styles a link by its number, in the order links are declared.
    let mut path_links = Vec::new();
    for (i, (a, b, e)) in graph
        .edges()
        .filter(|(a, b, _)| keep[a.index()] && keep[b.index()])
        .enumerate()
    {
        if marks.cause_edges.contains(&(a, b)) {
            path_links.push(i.to_string());
        }
        let arrow = match e.kind {
            EdgeKind::Cites => "-.->",
            EdgeKind::PartOf | EdgeKind::BuildsOn => "==>",
            EdgeKind::Related => "-.-",
            _ => "-->",
        };
        let _ = writeln!(out, "  n{} {arrow}|{}| n{}", a.index(), e.kind, b.index());
    }
    for k in NodeKind::ALL {
        let (_, fill) = dot_shape(k);
        let _ = writeln!(out, "  classDef {k} fill:{fill},stroke:#555");
    }
    let marked: Vec<(NodeIx, &str)> = graph
        .nodes()
        .filter(|(ix, _)| keep[ix.index()])
        .filter_map(|(ix, _)| Some((ix, marks.mermaid_class(ix)?)))
        .collect();
    if !marked.is_empty() {
        out.push_str("  classDef stale fill:#fecaca,stroke:#dc2626,stroke-width:3px\n");
        out.push_str(
            "  classDef pending fill:#fde68a,stroke:#d97706,stroke-width:3px,stroke-dasharray:5 3\n",
        );
        out.push_str("  classDef cause stroke:#dc2626,stroke-width:2px\n");
        for (ix, class) in marked {
            let _ = writeln!(out, "  class n{} {class}", ix.index());
        }
    }
    if !path_links.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:#dc2626,stroke-width:2px",
            path_links.join(",")
        );
    }
    out
}

fn keep_set(graph: &Graph, only: Option<&[NodeIx]>) -> Vec<bool> {
    match only {
        None => vec![true; graph.len()],
        Some(list) => {
            let mut keep = vec![false; graph.len()];
            for ix in list {
                keep[ix.index()] = true;
            }
            keep
        }
    }
}
