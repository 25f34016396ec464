//! Why a command stopped: bad input (diagnostics, exit 2 with file:line:column) or a command
//! line that asks for something that cannot be done (exit 2 with a sentence).

use crate::diag::Diagnostic;

pub enum Failure {
    Diagnostics(Vec<Diagnostic>),
    Usage(String),
}

impl From<Vec<Diagnostic>> for Failure {
    fn from(d: Vec<Diagnostic>) -> Self {
        Failure::Diagnostics(d)
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure::Diagnostics(vec![d])
    }
}
