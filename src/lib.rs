//! rescore: flags research theses for re-scoring when the evidence under them changes
//! materially. The pipeline is load → parse → graph → evaluate → report; ARCHITECTURE.md maps
//! each step to its module.

// Diagnostics are the error type everywhere; they are built on the cold path, so their size
// does not matter.
#![allow(clippy::result_large_err)]

pub mod accept;
pub mod backlinks;
pub mod cache;
pub mod ci;
pub mod claimtext;
pub mod cli;
pub mod config;
pub mod diag;
pub mod digest;
pub mod draw;
pub mod eval;
pub mod failure;
pub mod format;
pub mod frontmatter;
pub mod git;
pub mod label;
pub mod layout;
pub mod load;
pub mod lock;
pub mod managed;
pub mod open;
pub mod output;
pub mod page;
pub mod pagefile;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod select;
pub mod settings;
pub mod textdiff;
pub mod tokens;
pub mod toml_spans;
pub mod trees;
pub mod watch;
pub mod whitespace;
pub mod wording;
pub mod writeback;
