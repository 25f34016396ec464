//! The output formats, one type per kind of output, so the command line refuses a format a
//! command cannot write (`check --format mermaid`, `graph --format json`) before it runs. Which
//! command takes which type is the command layer's business; the renderers below it only take
//! their own.

use clap::ValueEnum;

/// The report of theses to re-score (`rescore`, `check`), and the document a run stopped by
/// bad input still writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    Github,
    Junit,
}

/// Output for people or for programs (`ls`, `why`, `watch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Human,
    Json,
}

/// `backlinks`: a list, a JSON document, or workflow annotations at each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BacklinksFormat {
    Human,
    Json,
    Github,
}

/// `graph`: the picture's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

impl From<TextOrJson> for ReportFormat {
    fn from(f: TextOrJson) -> Self {
        match f {
            TextOrJson::Human => ReportFormat::Human,
            TextOrJson::Json => ReportFormat::Json,
        }
    }
}

impl From<BacklinksFormat> for ReportFormat {
    fn from(f: BacklinksFormat) -> Self {
        match f {
            BacklinksFormat::Human => ReportFormat::Human,
            BacklinksFormat::Json => ReportFormat::Json,
            BacklinksFormat::Github => ReportFormat::Github,
        }
    }
}

/// The name a format has on the command line.
pub fn name<F: ValueEnum>(f: &F) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// `format` as another command's format type, when that command writes it too.
pub fn convert<F: ValueEnum, G: ValueEnum>(f: &F) -> Option<G> {
    G::from_str(&name(f), true).ok()
}
