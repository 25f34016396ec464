//! `rescore graph`: the DAG as Graphviz DOT or Mermaid, node kind by shape and colour, edge kind
//! by style.

use std::fmt::Write as _;

use rescore_graph::{EdgeKind, Graph, NodeIx, NodeKind};

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
pub fn dot(graph: &Graph, only: Option<&[NodeIx]>) -> String {
    let keep = keep_set(graph, only);
    let mut out = String::from(
        "digraph rescore {\n  rankdir=LR;\n  node [style=filled, fontname=\"Helvetica\"];\n",
    );
    for (ix, n) in graph.nodes().filter(|(ix, _)| keep[ix.index()]) {
        let (shape, fill) = dot_shape(n.kind);
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, fillcolor=\"{fill}\"];",
            ix.index(),
            quote(&n.key)
        );
    }
    for (a, b, e) in graph
        .edges()
        .filter(|(a, b, _)| keep[a.index()] && keep[b.index()])
    {
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\", style={}];",
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
pub fn mermaid(graph: &Graph, only: Option<&[NodeIx]>) -> String {
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
    for (a, b, e) in graph
        .edges()
        .filter(|(a, b, _)| keep[a.index()] && keep[b.index()])
    {
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
