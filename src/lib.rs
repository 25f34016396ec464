//! rescore: flags research theses for re-scoring when the evidence under them changes
//! materially. The pipeline is load → parse → graph → evaluate → report; ARCHITECTURE.md maps
//! each step to its module.

pub mod cli;
pub mod config;
pub mod diag;
pub mod draw;
pub mod frontmatter;
pub mod load;
pub mod page;
pub mod report;
pub mod resolve;
pub mod rules;
