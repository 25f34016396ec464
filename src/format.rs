//! The output formats a command can be asked for with `--format`. Which of them a command
//! writes is the command layer's business; the renderers below it only take one.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Junit,
    Dot,
    Mermaid,
}
