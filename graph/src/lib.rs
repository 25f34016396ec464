//! The rescore DAG: what a research repo *means*, with no I/O.
//!
//! [`model`] holds nodes (sources, claims, benchmark rows, concepts, theses) and the typed edges
//! between them; [`state`] the canonical material state of each node; [`quantity`] the parser that
//! turns "~64%" or "11B parameters" into comparable numbers; [`propagate`] the traversals that
//! find what a thesis rests on and what an edit reaches.

pub mod model;
pub mod propagate;
pub mod quantity;
pub mod state;

pub use model::{Edge, EdgeAdder, EdgeKind, Graph, Loc, Node, NodeIx, NodeKind, NodeView};
pub use state::{ClaimState, MaterialState};
