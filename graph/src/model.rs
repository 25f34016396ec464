//! Nodes, edges and the graph that holds them.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::fmt;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::{Deserialize, Serialize};

use crate::state::MaterialState;

pub type NodeIx = NodeIndex<u32>;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Source,
    Claim,
    Benchmark,
    Concept,
    Thesis,
}

impl NodeKind {
    pub const ALL: [NodeKind; 5] = [
        NodeKind::Source,
        NodeKind::Claim,
        NodeKind::Benchmark,
        NodeKind::Concept,
        NodeKind::Thesis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Source => "source",
            NodeKind::Claim => "claim",
            NodeKind::Benchmark => "benchmark",
            NodeKind::Concept => "concept",
            NodeKind::Thesis => "thesis",
        }
    }

    pub fn parse(s: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one node feeds another. Edges point downstream, from evidence to what rests on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// source → claim or benchmark row
    Cites,
    /// claim or benchmark row → its concept
    Contains,
    /// concept → parent concept
    PartOf,
    /// concept, claim, row or source → thesis
    Evidence,
    /// thesis → thesis that builds on it
    BuildsOn,
    /// concept ↔ concept, drawn but never propagated
    Related,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Cites => "cites",
            EdgeKind::Contains => "contains",
            EdgeKind::PartOf => "part_of",
            EdgeKind::Evidence => "evidence",
            EdgeKind::BuildsOn => "builds_on",
            EdgeKind::Related => "related",
        }
    }

    /// Whether a change upstream of this edge reaches downstream of it.
    pub fn propagates(self) -> bool {
        self != EdgeKind::Related
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in the research repo: the caller's file number plus 1-based line and column.
/// The graph never opens files, so a file is only an index into the caller's table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Globally unique key: a page id (`jepa`), or `page#anchor` for a claim or benchmark row.
    pub key: String,
    pub kind: NodeKind,
    pub loc: Loc,
    pub state: MaterialState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the link that made this edge is written.
    pub loc: Loc,
}

/// One hop of a cycle: the node and the edge leaving it towards the next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleHop {
    pub node: NodeIx,
    pub edge: Edge,
}

/// A graph's nodes and their key index, read apart from its edges (`Graph::split`).
#[derive(Clone, Copy)]
pub struct NodeView<'a> {
    nodes: &'a [Node],
    by_key: &'a HashTable<NodeIx>,
}

impl<'a> NodeView<'a> {
    pub fn get(&self, key: &str) -> Option<NodeIx> {
        self.by_key
            .find(key_hash(key), |&n| self.nodes[n.index()].key == key)
            .copied()
    }

    pub fn node(&self, ix: NodeIx) -> &'a Node {
        &self.nodes[ix.index()]
    }

    /// The node at `ix`, if there is one.
    pub fn try_node(&self, ix: NodeIx) -> Option<&'a Node> {
        self.nodes.get(ix.index())
    }
}

/// A graph's edges, added to while its nodes are read (`Graph::split`).
pub struct EdgeAdder<'a> {
    g: &'a mut DiGraph<(), Edge, u32>,
}

impl EdgeAdder<'_> {
    /// `Graph::add_new_edge`.
    pub fn add_new_edge(&mut self, from: NodeIx, to: NodeIx, edge: Edge) -> EdgeIndex<u32> {
        self.g.add_edge(from, to, edge)
    }
}

fn key_hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// The research repo as a directed graph keyed by node key.
#[derive(Debug, Default, Clone)]
pub struct Graph {
    /// The edges and, per node, only the heads of its two edge lists: 8 bytes a node, where the
    /// node itself is 128. Adding an edge or walking a node's edges touches the heads of nodes
    /// all over the graph, and at 100k pages they fit in a few megabytes instead of 70.
    g: DiGraph<(), Edge, u32>,
    /// The nodes, by index (`g` numbers its nodes alike: both remove by swapping in the last).
    nodes: Vec<Node>,
    /// Each node's index, found by the hash of its key and compared with the node's own key, so
    /// a key is stored once, in its node.
    by_key: HashTable<NodeIx>,
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// A graph with room for `nodes` and `edges`, so a large build never rehashes or regrows.
    pub fn with_capacity(nodes: usize, edges: usize) -> Self {
        Graph {
            g: DiGraph::with_capacity(nodes, edges),
            nodes: Vec::with_capacity(nodes),
            by_key: HashTable::with_capacity(nodes),
        }
    }

    /// Room for `nodes` and `edges` more: a caller that adds a few at a time to a large graph
    /// (the watcher) moves what is held once, up front, not on the edit that fills it. Returns
    /// whether there was not room already (and something held moved).
    pub fn reserve(&mut self, nodes: usize, edges: usize) -> bool {
        let (node_room, edge_room) = self.g.capacity();
        let had_room = node_room - self.g.node_count() >= nodes
            && edge_room - self.g.edge_count() >= edges
            && self.nodes.capacity() - self.nodes.len() >= nodes
            && self.by_key.capacity() - self.by_key.len() >= nodes;
        if had_room {
            return false;
        }
        self.g.reserve_exact_nodes(nodes);
        self.g.reserve_exact_edges(edges);
        self.nodes.reserve_exact(nodes);
        let Graph {
            nodes: held,
            by_key,
            ..
        } = self;
        by_key.reserve(nodes, |&n| key_hash(&held[n.index()].key));
        true
    }

    /// Whether an edge of `kind` joins `from` to `to`. The edges leaving `from` and those
    /// arriving at `to` are walked in turn, so the cost is that of the shorter list (a popular
    /// source cites many claims, each of which cites few sources), without an index of every
    /// edge, which would cost more than the edges themselves.
    fn joined(&self, from: NodeIx, to: NodeIx, kind: EdgeKind) -> bool {
        let mut out = self.g.edges_directed(from, Direction::Outgoing);
        let mut into = self.g.edges_directed(to, Direction::Incoming);
        loop {
            match out.next() {
                None => return false,
                Some(e) if e.target() == to && e.weight().kind == kind => return true,
                Some(_) => {}
            }
            match into.next() {
                None => return false,
                Some(e) if e.source() == from && e.weight().kind == kind => return true,
                Some(_) => {}
            }
        }
    }

    /// Adds a node, or returns the existing one's index when the key is taken.
    pub fn add_node(&mut self, node: Node) -> Result<NodeIx, NodeIx> {
        // One hash and one probe of the key index: a build adds half a million nodes in turn.
        let Graph { g, nodes, by_key } = self;
        let entry = by_key.entry(
            key_hash(&node.key),
            |&n| nodes[n.index()].key == node.key,
            |&n| key_hash(&nodes[n.index()].key),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(taken) => Err(*taken.get()),
            hashbrown::hash_table::Entry::Vacant(free) => {
                let ix = g.add_node(());
                nodes.push(node);
                free.insert(ix);
                Ok(ix)
            }
        }
    }

    /// Adds an edge unless an edge of the same kind already joins the two nodes; `None` then.
    pub fn add_edge(&mut self, from: NodeIx, to: NodeIx, edge: Edge) -> Option<EdgeIndex<u32>> {
        if self.joined(from, to, edge.kind) {
            return None;
        }
        Some(self.g.add_edge(from, to, edge))
    }

    /// Adds an edge the caller knows to be new: no edge of its kind joins the two nodes yet.
    pub fn add_new_edge(&mut self, from: NodeIx, to: NodeIx, edge: Edge) -> EdgeIndex<u32> {
        self.g.add_edge(from, to, edge)
    }

    /// Removes every edge arriving at `ix`, so a node's upstream side can be built again.
    pub fn remove_incoming(&mut self, ix: NodeIx) {
        while let Some(e) = self.g.first_edge(ix, Direction::Incoming) {
            self.g.remove_edge(e);
        }
    }

    /// Removes the edges arriving at `ix` that `which` picks.
    pub fn remove_incoming_where(&mut self, ix: NodeIx, which: impl Fn(&Edge) -> bool) {
        self.remove_edges_where(ix, Direction::Incoming, which);
    }

    /// Removes the edges leaving `ix` that `which` picks.
    pub fn remove_outgoing_where(&mut self, ix: NodeIx, which: impl Fn(&Edge) -> bool) {
        self.remove_edges_where(ix, Direction::Outgoing, which);
    }

    fn remove_edges_where(&mut self, ix: NodeIx, dir: Direction, which: impl Fn(&Edge) -> bool) {
        let mut doomed: Vec<EdgeIndex<u32>> = self
            .g
            .edges_directed(ix, dir)
            .filter(|e| which(e.weight()))
            .map(|e| e.id())
            .collect();
        // Highest index first: removing an edge moves the last edge into its slot.
        doomed.sort_unstable_by(|a, b| b.cmp(a));
        for e in doomed {
            self.g.remove_edge(e);
        }
    }

    /// Removes a node and its edges. Node indices stay dense: the last node takes the removed
    /// one's index, which is returned as `(old index of the moved node, its new index)` when a
    /// node moved, so a caller holding indices can follow it.
    pub fn remove_node(&mut self, ix: NodeIx) -> Option<(Node, Option<(NodeIx, NodeIx)>)> {
        if ix.index() >= self.g.node_count() {
            return None;
        }
        let last = NodeIx::new(self.g.node_count() - 1);
        // The index entries change while both nodes can still be read at their old indices.
        self.reindex(ix, None);
        if last != ix {
            self.reindex(last, Some(ix));
        }
        self.g.remove_node(ix)?;
        let node = self.nodes.swap_remove(ix.index());
        Some((node, (last != ix).then_some((last, ix))))
    }

    pub fn get(&self, key: &str) -> Option<NodeIx> {
        self.node_view().get(key)
    }

    /// The nodes, to read on their own.
    pub fn node_view(&self) -> NodeView<'_> {
        NodeView {
            nodes: &self.nodes,
            by_key: &self.by_key,
        }
    }

    /// The nodes to read and the edges to add to at once: a build finds the edges of some pages
    /// from the nodes while it adds those of the pages before.
    pub fn split(&mut self) -> (NodeView<'_>, EdgeAdder<'_>) {
        let Graph { g, nodes, by_key } = self;
        (NodeView { nodes, by_key }, EdgeAdder { g })
    }

    /// Points the entry of node `was` at index `now`, or removes it.
    fn reindex(&mut self, was: NodeIx, now: Option<NodeIx>) {
        let hash = key_hash(&self.nodes[was.index()].key);
        if let Ok(mut entry) = self.by_key.find_entry(hash, |&n| n == was) {
            match now {
                Some(now) => *entry.get_mut() = now,
                None => {
                    entry.remove();
                }
            }
        }
    }

    pub fn node(&self, ix: NodeIx) -> &Node {
        self.node_view().node(ix)
    }

    /// The node at `ix`, if there is one.
    pub fn try_node(&self, ix: NodeIx) -> Option<&Node> {
        self.node_view().try_node(ix)
    }

    pub fn node_mut(&mut self, ix: NodeIx) -> &mut Node {
        &mut self.nodes[ix.index()]
    }

    pub fn len(&self) -> usize {
        self.g.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.g.node_count() == 0
    }

    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeIx, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeIx::new(i), n))
    }

    /// Every edge as (from, to, edge), in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeIx, NodeIx, &Edge)> {
        self.g
            .edge_references()
            .map(|e| (e.source(), e.target(), e.weight()))
    }

    /// Edges arriving at `ix` (its upstream side).
    pub fn incoming(&self, ix: NodeIx) -> impl Iterator<Item = (NodeIx, &Edge)> {
        self.g
            .edges_directed(ix, Direction::Incoming)
            .map(|e| (e.source(), e.weight()))
    }

    /// Edges leaving `ix` (its downstream side).
    pub fn outgoing(&self, ix: NodeIx) -> impl Iterator<Item = (NodeIx, &Edge)> {
        self.g
            .edges_directed(ix, Direction::Outgoing)
            .map(|e| (e.target(), e.weight()))
    }

    /// A cycle through propagating edges, if there is one, as the full loop of hops:
    /// the last hop's edge leads back to the first hop's node.
    pub fn find_cycle(&self) -> Option<Vec<CycleHop>> {
        if self.acyclic() {
            return None;
        }
        self.cycle_by_dfs()
    }

    /// Whether no cycle runs through propagating edges: Kahn's algorithm over a compact copy of
    /// the edge lists, read off the edge vector in order. At 100k pages the DFS of
    /// `cycle_by_dfs`, walking petgraph's linked edge lists node by node, missed the cache on
    /// nearly every edge (about 0.1 s of a build with nothing else running); it now runs only
    /// to name a cycle this finds.
    fn acyclic(&self) -> bool {
        let n = self.g.node_count();
        let edges = self.g.raw_edges();
        // `at[i]` ends as where node i's targets start in `to`, and `at[n]` as their count.
        let mut at = vec![0u32; n + 1];
        let mut waiting = vec![0u32; n];
        for e in edges.iter().filter(|e| e.weight.kind.propagates()) {
            at[e.source().index()] += 1;
            waiting[e.target().index()] += 1;
        }
        let mut sum = 0u32;
        for a in &mut at {
            sum += *a;
            *a = sum;
        }
        let mut to = vec![0u32; sum as usize];
        for e in edges.iter().filter(|e| e.weight.kind.propagates()) {
            let a = &mut at[e.source().index()];
            *a -= 1;
            to[*a as usize] = e.target().index() as u32;
        }
        let mut ready: Vec<u32> = (0..n as u32)
            .filter(|&i| waiting[i as usize] == 0)
            .collect();
        let mut done = 0usize;
        while let Some(i) = ready.pop() {
            done += 1;
            let i = i as usize;
            for &t in &to[at[i] as usize..at[i + 1] as usize] {
                let w = &mut waiting[t as usize];
                *w -= 1;
                if *w == 0 {
                    ready.push(t);
                }
            }
        }
        done == n
    }

    /// A cycle through propagating edges, found by depth-first search.
    fn cycle_by_dfs(&self) -> Option<Vec<CycleHop>> {
        // Iterative three-colour DFS; the grey stack is the current path, so a back edge
        // to a grey node closes a cycle that can be read straight off the stack.
        #[derive(Clone, Copy, PartialEq)]
        enum Colour {
            White,
            Grey,
            Black,
        }
        let n = self.g.node_count();
        let mut colour = vec![Colour::White; n];
        // The next outgoing edge of a node still to look at, in the graph's own edge order: the
        // DFS walks the adjacency lists in place instead of copying each node's successors.
        let next_propagating = |mut e: Option<EdgeIndex<u32>>| {
            while let Some(ix) = e {
                if self.g[ix].kind.propagates() {
                    break;
                }
                e = self.g.next_edge(ix, Direction::Outgoing);
            }
            e
        };
        let first = |ix: NodeIx| next_propagating(self.g.first_edge(ix, Direction::Outgoing));
        let mut stack: Vec<(NodeIx, Option<EdgeIndex<u32>>)> = Vec::new();
        for root in self.g.node_indices() {
            if colour[root.index()] != Colour::White {
                continue;
            }
            colour[root.index()] = Colour::Grey;
            stack.push((root, first(root)));
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match *pending {
                    Some(e) => {
                        *pending = next_propagating(self.g.next_edge(e, Direction::Outgoing));
                        let next = self.g.raw_edges()[e.index()].target();
                        let edge = self.g[e];
                        match colour[next.index()] {
                            Colour::White => {
                                colour[next.index()] = Colour::Grey;
                                stack.push((next, first(next)));
                            }
                            Colour::Grey => {
                                let start = stack.iter().position(|(ix, _)| *ix == next)?;
                                let mut nodes: Vec<NodeIx> =
                                    stack[start..].iter().map(|(ix, _)| *ix).collect();
                                nodes.push(next);
                                let mut hops: Vec<CycleHop> = nodes
                                    .windows(2)
                                    .filter_map(|w| {
                                        let edge = self.propagating_edge(w[0], w[1])?;
                                        Some(CycleHop { node: w[0], edge })
                                    })
                                    .collect();
                                if let Some(last) = hops.last_mut() {
                                    last.edge = edge;
                                }
                                debug_assert_eq!(hops.len(), nodes.len() - 1);
                                return Some(hops);
                            }
                            Colour::Black => {}
                        }
                    }
                    None => {
                        colour[node.index()] = Colour::Black;
                        stack.pop();
                    }
                }
            }
        }
        None
    }

    fn propagating_edge(&self, from: NodeIx, to: NodeIx) -> Option<Edge> {
        self.g
            .edges_connecting(from, to)
            .map(|e| *e.weight())
            .find(|e| e.kind.propagates())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(g: &mut Graph, key: &str, kind: NodeKind) -> NodeIx {
        let state = match kind {
            NodeKind::Thesis => MaterialState::Thesis { score: 0.5 },
            _ => MaterialState::Concept { status: None },
        };
        g.add_node(Node {
            key: key.into(),
            kind,
            loc: Loc::default(),
            state,
        })
        .expect("fresh key")
    }

    #[test]
    fn reserve_says_whether_there_was_room() {
        let mut g = Graph::with_capacity(2, 1);
        node(&mut g, "a", NodeKind::Concept);
        assert!(!g.reserve(1, 1), "room for one more node and edge");
        assert!(g.reserve(100, 1), "no room for 100 more nodes");
        assert!(!g.reserve(100, 1), "made just now");
        assert!(g.reserve(1, 1000), "no room for 1000 edges");
    }

    fn edge(kind: EdgeKind, file: u32, line: u32) -> Edge {
        Edge {
            kind,
            loc: Loc { file, line, col: 1 },
        }
    }

    #[test]
    fn add_node_refuses_a_taken_key() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Concept);
        let again = g.add_node(Node {
            key: "a".into(),
            kind: NodeKind::Source,
            loc: Loc::default(),
            state: MaterialState::Concept { status: None },
        });
        assert_eq!(again, Err(a));
        assert_eq!(g.len(), 1);
        assert_eq!(g.get("a"), Some(a));
        assert_eq!(g.get("b"), None);
    }

    #[test]
    fn add_edge_dedups_same_kind_but_keeps_other_kinds() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Concept);
        let b = node(&mut g, "b", NodeKind::Concept);
        let first = g.add_edge(a, b, edge(EdgeKind::PartOf, 0, 3));
        let second = g.add_edge(a, b, edge(EdgeKind::PartOf, 0, 9));
        assert!(first.is_some());
        assert_eq!(second, None);
        assert_eq!(g.edge_count(), 1);
        // The first edge's location is kept.
        assert_eq!(g.outgoing(a).next().map(|(_, e)| e.loc.line), Some(3));
        g.add_edge(a, b, edge(EdgeKind::Related, 0, 4));
        assert_eq!(g.edge_count(), 2);
        // The reverse direction is a different edge.
        g.add_edge(b, a, edge(EdgeKind::Related, 1, 4));
        assert_eq!(g.edge_count(), 3);
    }

    #[test]
    fn an_edge_added_as_new_is_one_add_edge_does_not_repeat() {
        let mut g = Graph::with_capacity(2, 2);
        let a = node(&mut g, "a", NodeKind::Concept);
        let b = node(&mut g, "b", NodeKind::Concept);
        g.add_new_edge(a, b, edge(EdgeKind::PartOf, 0, 3));
        assert_eq!(g.add_edge(a, b, edge(EdgeKind::PartOf, 0, 9)), None);
        assert!(g.add_edge(a, b, edge(EdgeKind::Related, 0, 4)).is_some());
        assert_eq!(g.add_edge(a, b, edge(EdgeKind::Related, 0, 5)), None);
        g.add_new_edge(b, a, edge(EdgeKind::Related, 1, 1));
        assert_eq!(g.add_edge(b, a, edge(EdgeKind::Related, 1, 2)), None);
        assert_eq!(g.edge_count(), 3);
        assert_eq!(g.get("b"), Some(b));
    }

    /// Every edge as (from key, to key, kind), sorted; and each key's index agrees with `get`.
    fn shape(g: &Graph) -> Vec<(String, String, EdgeKind)> {
        for (ix, n) in g.nodes() {
            assert_eq!(g.get(&n.key), Some(ix), "{}", n.key);
        }
        let mut v: Vec<_> = g
            .edges()
            .map(|(a, b, e)| (g.node(a).key.clone(), g.node(b).key.clone(), e.kind))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn remove_node_keeps_keys_and_edge_dedup_right_for_the_node_that_moves() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Source);
        let b = node(&mut g, "b", NodeKind::Concept);
        let c = node(&mut g, "c", NodeKind::Concept);
        let t = node(&mut g, "t", NodeKind::Thesis);
        g.add_edge(a, b, edge(EdgeKind::Cites, 0, 1));
        g.add_edge(b, t, edge(EdgeKind::Evidence, 1, 1));
        g.add_edge(c, t, edge(EdgeKind::Evidence, 2, 1));
        g.add_edge(t, t, edge(EdgeKind::BuildsOn, 3, 1));
        g.add_edge(a, t, edge(EdgeKind::Evidence, 3, 2));
        let (gone, moved) = g.remove_node(b).expect("b is there");
        assert_eq!(gone.key, "b");
        // The last node, t, took b's index.
        assert_eq!(moved, Some((t, b)));
        assert_eq!(g.get("t"), Some(b));
        assert_eq!(g.get("b"), None);
        assert_eq!(
            shape(&g),
            vec![
                ("a".into(), "t".into(), EdgeKind::Evidence),
                ("c".into(), "t".into(), EdgeKind::Evidence),
                ("t".into(), "t".into(), EdgeKind::BuildsOn),
            ]
        );
        let t = b;
        // The dedup set follows the move: the same edges are refused, new ones taken.
        assert_eq!(g.add_edge(c, t, edge(EdgeKind::Evidence, 9, 9)), None);
        assert_eq!(g.add_edge(t, t, edge(EdgeKind::BuildsOn, 9, 9)), None);
        assert!(g.add_edge(c, t, edge(EdgeKind::Related, 9, 9)).is_some());
        // Removing the last node moves nothing.
        assert_eq!(
            g.remove_node(c).map(|(n, m)| (n.key, m)),
            Some(("c".into(), None))
        );
        assert_eq!(g.remove_node(NodeIx::new(7)), None);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn edges_are_removed_by_direction_and_kind() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Concept);
        let b = node(&mut g, "b", NodeKind::Concept);
        let c = node(&mut g, "c", NodeKind::Concept);
        g.add_edge(a, b, edge(EdgeKind::PartOf, 0, 1));
        g.add_edge(a, b, edge(EdgeKind::Related, 0, 2));
        g.add_edge(c, b, edge(EdgeKind::PartOf, 2, 1));
        g.add_edge(b, c, edge(EdgeKind::Related, 1, 1));
        g.remove_incoming_where(b, |e| e.kind == EdgeKind::PartOf);
        g.remove_outgoing_where(b, |_| true);
        assert_eq!(shape(&g), vec![("a".into(), "b".into(), EdgeKind::Related)]);
        // A removed edge can be added again.
        assert!(g.add_edge(c, b, edge(EdgeKind::PartOf, 2, 1)).is_some());
    }

    #[test]
    fn acyclic_graph_has_no_cycle() {
        let mut g = Graph::new();
        let s = node(&mut g, "s", NodeKind::Source);
        let c = node(&mut g, "c", NodeKind::Concept);
        let t = node(&mut g, "t", NodeKind::Thesis);
        let u = node(&mut g, "u", NodeKind::Thesis);
        g.add_edge(s, c, edge(EdgeKind::Cites, 0, 1));
        g.add_edge(c, t, edge(EdgeKind::Evidence, 1, 1));
        g.add_edge(s, t, edge(EdgeKind::Evidence, 1, 2));
        g.add_edge(t, u, edge(EdgeKind::BuildsOn, 2, 1));
        assert_eq!(g.find_cycle(), None);
    }

    #[test]
    fn related_edges_never_form_a_cycle() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Concept);
        let b = node(&mut g, "b", NodeKind::Concept);
        g.add_edge(a, b, edge(EdgeKind::Related, 0, 1));
        g.add_edge(b, a, edge(EdgeKind::Related, 1, 1));
        assert_eq!(g.find_cycle(), None);
        // One propagating direction plus a related edge back is still no cycle.
        g.add_edge(a, b, edge(EdgeKind::PartOf, 0, 2));
        assert_eq!(g.find_cycle(), None);
    }

    #[test]
    fn find_cycle_returns_the_full_loop_with_its_edges() {
        let mut g = Graph::new();
        // A tail into the loop, so the loop does not start at the DFS root.
        let tail = node(&mut g, "tail", NodeKind::Concept);
        let a = node(&mut g, "a", NodeKind::Concept);
        let b = node(&mut g, "b", NodeKind::Concept);
        let c = node(&mut g, "c", NodeKind::Concept);
        g.add_edge(tail, a, edge(EdgeKind::PartOf, 9, 9));
        g.add_edge(a, b, edge(EdgeKind::PartOf, 1, 3));
        g.add_edge(b, c, edge(EdgeKind::PartOf, 2, 4));
        g.add_edge(c, a, edge(EdgeKind::PartOf, 3, 5));
        // A related edge parallel to a loop edge must not be reported in its place.
        g.add_edge(a, b, edge(EdgeKind::Related, 1, 7));
        let cycle = g.find_cycle().expect("a cycle");
        assert_eq!(cycle.len(), 3, "{cycle:?}");
        let nodes: Vec<NodeIx> = cycle.iter().map(|h| h.node).collect();
        // The loop, in order, starting anywhere on it.
        let start = nodes.iter().position(|&n| n == a).expect("a on the loop");
        let rotated: Vec<NodeIx> = nodes[start..]
            .iter()
            .chain(&nodes[..start])
            .copied()
            .collect();
        assert_eq!(rotated, vec![a, b, c]);
        assert!(!nodes.contains(&tail));
        for (k, hop) in cycle.iter().enumerate() {
            let next = cycle[(k + 1) % cycle.len()].node;
            assert_eq!(hop.edge.kind, EdgeKind::PartOf);
            // Each hop's edge is the one written from this node to the next.
            let expected = g
                .outgoing(hop.node)
                .find(|(to, e)| *to == next && e.kind.propagates())
                .map(|(_, e)| *e)
                .expect("edge to the next hop");
            assert_eq!(hop.edge, expected);
        }
    }

    #[test]
    fn two_node_cycle_through_mixed_kinds() {
        let mut g = Graph::new();
        let t = node(&mut g, "t", NodeKind::Thesis);
        let u = node(&mut g, "u", NodeKind::Thesis);
        g.add_edge(t, u, edge(EdgeKind::BuildsOn, 0, 6));
        g.add_edge(u, t, edge(EdgeKind::BuildsOn, 1, 8));
        let cycle = g.find_cycle().expect("cycle");
        assert_eq!(cycle.len(), 2);
        let lines: Vec<u32> = cycle.iter().map(|h| h.edge.loc.line).collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(sorted, vec![6, 8]);
        let by_node: Vec<(NodeIx, u32)> = cycle.iter().map(|h| (h.node, h.edge.loc.line)).collect();
        assert!(
            by_node.contains(&(t, 6)) && by_node.contains(&(u, 8)),
            "{by_node:?}"
        );
    }

    #[test]
    fn self_loop_is_a_cycle_of_one() {
        let mut g = Graph::new();
        let a = node(&mut g, "a", NodeKind::Concept);
        g.add_edge(a, a, edge(EdgeKind::PartOf, 0, 2));
        let cycle = g.find_cycle().expect("cycle");
        assert_eq!(cycle.len(), 1);
        assert_eq!(cycle[0].node, a);
        assert_eq!(cycle[0].edge.loc.line, 2);
    }

    proptest::proptest! {
        /// The quick check finds a cycle exactly where the search names one (that what it names
        /// is a loop, `tests/model.rs` checks through `find_cycle`).
        #[test]
        fn the_quick_check_finds_a_cycle_exactly_where_the_search_names_one(
            nodes in 1usize..10,
            edges in proptest::collection::vec((0usize..10, 0usize..10, 0usize..6), 0..24),
        ) {
            use EdgeKind::*;
            let kinds = [Cites, Contains, PartOf, Evidence, BuildsOn, Related];
            let mut g = Graph::new();
            let ix: Vec<NodeIx> = (0..nodes)
                .map(|i| node(&mut g, &format!("n{i}"), NodeKind::Concept))
                .collect();
            for (k, (from, to, kind)) in edges.into_iter().enumerate() {
                g.add_edge(ix[from % nodes], ix[to % nodes], edge(kinds[kind], 0, k as u32));
            }
            proptest::prop_assert_eq!(g.acyclic(), g.cycle_by_dfs().is_none());
        }
    }
}
