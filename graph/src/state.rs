//! Material state: the typed, canonical content of a node that rules compare.
//!
//! A state never holds raw bytes. Parsers fold line endings, whitespace, Unicode form, link
//! style and list order before a value lands here, so two spellings of one claim are one state.

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
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<String>,
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
    pub level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// Source page ids, or normalised bare names; sorted and deduplicated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Quantities in the order they appear in the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantities: Vec<Quantity>,
    /// Canonical claim text: the whole list item without the id marker and the evidence line,
    /// whitespace folded, one line per block, case and code marks kept for the token diff
    /// (locks written by earlier versions hold it lowercased, which the diff does not see).
    pub text: String,
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
