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

fn hash(parts: &[&[u8]]) -> TreeId {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_be_bytes(first)
}

/// Hash of a node's key and its own canonical state.
fn own(graph: &Graph, ix: NodeIx) -> TreeId {
    let n = graph.node(ix);
    let state = serde_json::to_vec(&n.state).unwrap_or_default();
    hash(&[n.key.as_bytes(), &state])
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
        // Iterative post-order: the graph can be deep (long part_of chains).
        let mut stack = vec![(ix, false)];
        while let Some((n, expanded)) = stack.pop() {
            if self
                .tree
                .borrow()
                .get(n.index())
                .copied()
                .flatten()
                .is_some()
            {
                continue;
            }
            let kids = children(graph, n);
            if !expanded {
                stack.push((n, true));
                for k in kids {
                    if self
                        .tree
                        .borrow()
                        .get(k.index())
                        .copied()
                        .flatten()
                        .is_none()
                    {
                        stack.push((k, false));
                    }
                }
                continue;
            }
            let own = self.own_of(graph, n).to_le_bytes();
            let mut parts: Vec<[u8; 8]> = Vec::with_capacity(kids.len() + 1);
            parts.push(own);
            for k in kids {
                let kid = self
                    .tree
                    .borrow()
                    .get(k.index())
                    .copied()
                    .flatten()
                    .unwrap_or(0);
                parts.push(kid.to_le_bytes());
            }
            let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
            let id = hash(&refs);
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
