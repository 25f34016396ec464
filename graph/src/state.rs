//! Material state: the typed, canonical content of a node that rules compare.
//!
//! A state never holds raw bytes. Parsers fold line endings, whitespace, Unicode form, link
//! style and list order before a value lands here, so two spellings of one claim are one state.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::quantity::{Quantity, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaterialState {
    Source {
        #[serde(default)]
        retracted: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        superseded_by: Option<String>,
    },
    Claim(ClaimState),
    Benchmark {
        value: Value,
        #[serde(default, skip_serializing_if = "<[Arc<str>]>::is_empty")]
        sources: Box<[Arc<str>]>,
    },
    Concept {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    Thesis {
        score: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimState {
    /// Canonical level name on the evidence scale (aliases already mapped).
    pub level: Box<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Box<str>>,
    /// Source page ids, or normalised bare names; sorted and deduplicated. Shared: a graph
    /// holds one copy of each name, however many claims cite it.
    #[serde(default, skip_serializing_if = "<[Arc<str>]>::is_empty")]
    pub sources: Box<[Arc<str>]>,
    /// Quantities in the order they appear in the text.
    #[serde(default, skip_serializing_if = "<[Quantity]>::is_empty")]
    pub quantities: Box<[Quantity]>,
    /// Canonical claim text: the whole list item without the id marker and the evidence line,
    /// whitespace folded, one line per block, case and code marks kept for the token diff
    /// (locks written by earlier versions hold it lowercased, which the diff does not see).
    pub text: Box<str>,
}

impl MaterialState {
    pub fn kind_name(&self) -> &'static str {
        match self {
            MaterialState::Source { .. } => "source",
            MaterialState::Claim(_) => "claim",
            MaterialState::Benchmark { .. } => "benchmark",
            MaterialState::Concept { .. } => "concept",
            MaterialState::Thesis { .. } => "thesis",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a graph holds a state inline, so the widest variant sets the size of all
    /// of them: a claim's texts and lists are boxed slices, which have no spare room and are a
    /// word smaller than a `String` or `Vec`.
    #[test]
    fn a_state_is_no_wider_than_a_boxed_claim() {
        assert_eq!(std::mem::size_of::<ClaimState>(), 80);
        assert!(std::mem::size_of::<MaterialState>() <= 88);
    }
}
