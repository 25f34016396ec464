//! Tree ids: a content address for a node *and everything upstream of it*, Merkle-style. Two
//! equal tree ids mean nothing material can differ below, so evaluation skips whole subtrees,
//! and the lock stores each shared subtree once.

use std::cell::RefCell;

use rayon::prelude::*;
use rescore_graph::{Graph, NodeIx, NodeKind};

/// A tree id: the first 8 bytes of a BLAKE3 hash, written as 16 hex digits in the lock.
pub type TreeId = u64;

pub fn hex(id: TreeId) -> String {
    format!("{id:016x}")
}

pub fn parse_hex(s: &str) -> Option<TreeId> {
    (s.len() == 16)
        .then(|| u64::from_str_radix(s, 16).ok())
        .flatten()
}

/// The first 8 bytes of the BLAKE3 hash of `bytes`, big-endian.
fn id_of(bytes: &[u8]) -> TreeId {
    let hash = blake3::hash(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_be_bytes(first)
}

/// Appends one part of a hashed sequence: its length (8 bytes, little-endian), then its bytes.
/// BLAKE3 sees only the concatenation, so one buffer hashes as the parts fed one by one did.
fn push_part(buf: &mut Vec<u8>, part: &[u8]) {
    buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
    buf.extend_from_slice(part);
}

thread_local! {
    /// The bytes of one node's own hash, reused from node to node.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Hash of a node's key and its own canonical state, as JSON: the lock's ids depend on it.
fn own(graph: &Graph, ix: NodeIx) -> TreeId {
    let n = graph.node(ix);
    SCRATCH.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        push_part(&mut buf, n.key.as_bytes());
        let at = buf.len();
        buf.extend_from_slice(&[0; 8]);
        if serde_json::to_writer(&mut *buf, &n.state).is_err() {
            buf.truncate(at + 8);
        }
        let len = (buf.len() - at - 8) as u64;
        buf[at..at + 8].copy_from_slice(&len.to_le_bytes());
        id_of(&buf)
    })
}

/// The children of a node in the tree: its upstream neighbours over propagating edges.
/// A thesis is a leaf: what builds on it depends only on its score.
pub fn children(graph: &Graph, ix: NodeIx) -> Vec<NodeIx> {
    if graph.node(ix).kind == NodeKind::Thesis {
        return Vec::new();
    }
    let mut c: Vec<NodeIx> = graph
        .incoming(ix)
        .filter(|(_, e)| e.kind.propagates())
        .map(|(n, _)| n)
        .collect();
    c.sort_by(|a, b| graph.node(*a).key.cmp(&graph.node(*b).key));
    c.dedup();
    c
}

/// Tree ids of a graph, computed on demand and memoised.
#[derive(Debug, Default)]
pub struct Trees {
    own: RefCell<Vec<Option<TreeId>>>,
    tree: RefCell<Vec<Option<TreeId>>>,
}

impl Trees {
    /// Lazy: ids are computed as they are asked for (the watcher asks for few).
    pub fn lazy(graph: &Graph) -> Trees {
        Trees {
            own: RefCell::new(vec![None; graph.len()]),
            tree: RefCell::new(vec![None; graph.len()]),
        }
    }

    /// Eager: every node's own hash computed in parallel up front (a full evaluation asks for
    /// nearly all of them).
    pub fn eager(graph: &Graph) -> Trees {
        let own: Vec<Option<TreeId>> = (0..graph.len())
            .into_par_iter()
            .map(|i| Some(own(graph, NodeIx::new(i))))
            .collect();
        Trees {
            own: RefCell::new(own),
            tree: RefCell::new(vec![None; graph.len()]),
        }
    }

    /// The memoised own and tree ids by node index, for a caller that keeps them across changes
    /// to the graph (the watcher) and clears what each change reaches.
    pub fn memo_mut(&mut self) -> (&mut Vec<Option<TreeId>>, &mut Vec<Option<TreeId>>) {
        (self.own.get_mut(), self.tree.get_mut())
    }

    fn own_of(&self, graph: &Graph, ix: NodeIx) -> TreeId {
        if let Some(id) = self.own.borrow().get(ix.index()).copied().flatten() {
            return id;
        }
        let id = own(graph, ix);
        if let Some(slot) = self.own.borrow_mut().get_mut(ix.index()) {
            *slot = Some(id);
        }
        id
    }

    /// The tree id of `ix`: its own hash and its children's tree ids.
    pub fn id(&self, graph: &Graph, ix: NodeIx) -> TreeId {
        if let Some(id) = self.tree.borrow().get(ix.index()).copied().flatten() {
            return id;
        }
        // Iterative post-order: the graph can be deep (long part_of chains). A node goes back
        // on the stack with its children, so they are looked up once.
        let known = |n: NodeIx| self.tree.borrow().get(n.index()).copied().flatten();
        let mut stack: Vec<(NodeIx, Option<Vec<NodeIx>>)> = vec![(ix, None)];
        while let Some((n, kids)) = stack.pop() {
            if known(n).is_some() {
                continue;
            }
            let Some(kids) = kids else {
                let kids = children(graph, n);
                let pending: Vec<NodeIx> = kids
                    .iter()
                    .copied()
                    .filter(|&k| known(k).is_none())
                    .collect();
                stack.push((n, Some(kids)));
                stack.extend(pending.into_iter().map(|k| (k, None)));
                continue;
            };
            let mut parts = Vec::with_capacity(16 * (kids.len() + 1));
            push_part(&mut parts, &self.own_of(graph, n).to_le_bytes());
            for k in kids {
                push_part(&mut parts, &known(k).unwrap_or(0).to_le_bytes());
            }
            let id = id_of(&parts);
            if let Some(slot) = self.tree.borrow_mut().get_mut(n.index()) {
                *slot = Some(id);
            }
        }
        self.tree
            .borrow()
            .get(ix.index())
            .copied()
            .flatten()
            .unwrap_or(0)
    }
}
