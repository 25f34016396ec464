//! Tree ids kept across batches. A tree id hashes a node and everything upstream of it, so one
//! edit changes the ids of the changed nodes and of what lies downstream of them, and nothing
//! else: the engine clears those as it changes the graph, and each evaluation hashes only them
//! again instead of every subtree the evaluated theses rest on.
//!
//! Invariant: a node whose tree id is kept has its children's kept too (ids are computed
//! children first, and clearing a node clears everything downstream of it). So clearing can
//! stop at a node that holds none.

use rescore_graph::{Graph, NodeIx, NodeKind};

use crate::trees::{self, Trees};

pub(super) struct TreeMemo {
    trees: Trees,
    /// Nothing kept yet (a graph built anew).
    blank: bool,
}

impl TreeMemo {
    /// Nothing kept: every id is computed when first asked for.
    pub(super) fn blank(g: &Graph) -> TreeMemo {
        TreeMemo {
            trees: Trees::lazy(g),
            blank: true,
        }
    }

    /// The ids a full evaluation asks for already computed (`Trees::eager_for_theses` on this
    /// graph): the first evaluation of every thesis computes none.
    pub(super) fn seeded(trees: Trees) -> TreeMemo {
        TreeMemo {
            trees,
            blank: false,
        }
    }

    /// The ids for evaluating some theses.
    pub(super) fn trees(&mut self, g: &Graph) -> &Trees {
        self.fit(g);
        self.blank = false;
        &self.trees
    }

    /// The ids for evaluating every thesis: a blank memo first gets those a full evaluation
    /// asks for, computed in parallel.
    pub(super) fn trees_for_all(&mut self, g: &Graph) -> &Trees {
        if self.blank {
            self.trees = Trees::eager_for_theses(g);
        }
        self.trees(g)
    }

    /// One slot per node: nodes added at the end start with nothing kept.
    pub(super) fn fit(&mut self, g: &Graph) {
        let (own, tree) = self.trees.memo_mut();
        own.resize(g.len(), None);
        tree.resize(g.len(), None);
    }

    /// `ix`'s own state changed: its own hash goes, and its tree id and those downstream.
    pub(super) fn changed(&mut self, g: &Graph, ix: NodeIx) {
        if let Some(slot) = self.trees.memo_mut().0.get_mut(ix.index()) {
            *slot = None;
        }
        self.relinked(g, ix);
    }

    /// `ix`'s children changed (an edge into it came or went): its tree id goes, and those
    /// downstream.
    pub(super) fn relinked(&mut self, g: &Graph, ix: NodeIx) {
        let tree = self.trees.memo_mut().1;
        let mut stack = vec![ix];
        let mut first = true;
        while let Some(n) = stack.pop() {
            match tree.get_mut(n.index()) {
                Some(slot @ Some(_)) => *slot = None,
                // Nothing kept here, so nothing downstream either (see the module doc); the
                // node asked about may be new, or moved, so its downstream is looked at anyway.
                _ if !first => continue,
                _ => {}
            }
            first = false;
            // What builds on a thesis depends on its score alone, not on its tree.
            if g.node(n).kind == NodeKind::Thesis {
                continue;
            }
            stack.extend(
                g.outgoing(n)
                    .filter(|(_, e)| e.kind.propagates())
                    .map(|(m, _)| m),
            );
        }
    }

    /// The graph moved node `from` to index `to` (the one removed): its ids go with it.
    pub(super) fn moved(&mut self, from: NodeIx, to: NodeIx) {
        let (own, tree) = self.trees.memo_mut();
        for v in [own, tree] {
            let kept = v.get(from.index()).copied().flatten();
            if let Some(slot) = v.get_mut(to.index()) {
                *slot = kept;
            }
        }
    }

    /// The tree ids kept, by node index.
    #[cfg(test)]
    pub(super) fn kept(&mut self) -> Vec<Option<trees::TreeId>> {
        let tree = self.trees.memo_mut().1;
        tree.iter()
            .map(|s| s.map(std::num::NonZeroU64::get))
            .collect()
    }

    /// Where the memo breaks its invariant or holds an id that differs from one computed
    /// afresh. Fills the memo: every id is computed through it.
    pub(super) fn drift(&mut self, g: &Graph) -> Vec<String> {
        let mut out = Vec::new();
        let (own, tree) = self.trees.memo_mut();
        if own.len() != g.len() || tree.len() != g.len() {
            out.push(format!(
                "tree memo holds {} / {} slots for {} nodes",
                own.len(),
                tree.len(),
                g.len()
            ));
            return out;
        }
        for (ix, n) in g.nodes() {
            if tree[ix.index()].is_none() {
                continue;
            }
            for k in trees::children(g, ix) {
                if tree[k.index()].is_none() {
                    let child = &g.node(k).key;
                    out.push(format!(
                        "tree id of `{}` kept, not its child `{child}`'s",
                        n.key
                    ));
                }
            }
        }
        let fresh = Trees::lazy(g);
        for (ix, n) in g.nodes() {
            if self.trees.id(g, ix) != fresh.id(g, ix) {
                out.push(format!("tree id of `{}` is stale", n.key));
            }
        }
        out
    }
}
