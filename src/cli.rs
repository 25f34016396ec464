//! The command line: clap definitions and one function per command. Thin: each command loads
//! the repo, calls into the library, and renders.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::diag::Diagnostic;
use crate::draw;
use crate::load::{self, Repo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Junit,
    Dot,
    Mermaid,
}

#[derive(Debug, Parser)]
#[command(
    name = "rescore",
    version,
    about = "Flags research theses for re-scoring when the evidence under them changes materially"
)]
pub struct Cli {
    /// The research repo (default: nearest folder upward holding rescore.toml, else the current one).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// More logging (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List pages, claims with level and quantities, benchmark rows and edges.
    Ls {
        /// Only this node kind (source, claim, benchmark, concept, thesis).
        #[arg(long)]
        kind: Option<String>,
    },
    /// Draw the graph as Graphviz DOT or Mermaid (--format dot|mermaid).
    Graph,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    init_tracing(cli.verbose, cli.quiet);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = load::find_root(cli.root.as_deref(), &cwd);
    match run(&cli, &root) {
        Ok(code) => code,
        Err(Failure::Diagnostics(diags)) => {
            print_diags(&root, &diags, cli.format);
            2
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            2
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "rescore=debug,rescore_graph=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

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

/// Prints diagnostics to stderr: rendered with snippets, as JSON lines, or as workflow commands.
pub fn print_diags(root: &Path, diags: &[Diagnostic], format: Option<Format>) {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    for d in diags {
        let text = match format {
            Some(Format::Json) => {
                serde_json::to_string(&json!({ "diagnostic": d })).unwrap_or_default() + "\n"
            }
            Some(Format::Github) => format!(
                "::{} file={},line={},col={},title=rescore {}::{} (expected {}){}\n",
                if d.is_error() { "error" } else { "warning" },
                d.path.display(),
                d.line,
                d.col,
                d.code,
                d.message,
                d.expected,
                d.hint
                    .as_deref()
                    .map(|h| format!(" hint: {h}"))
                    .unwrap_or_default()
            ),
            _ => {
                let source = std::fs::read_to_string(root.join(&d.path)).ok();
                d.render(source.as_deref(), colour)
            }
        };
        let _ = err.write_all(text.as_bytes());
    }
}

/// Loads the repo; diagnostics that are errors stop the command, warnings are printed.
pub fn load_checked(root: &Path, format: Option<Format>) -> Result<Repo, Failure> {
    let repo = load::load(root)?;
    if repo.has_errors() {
        let mut diags = repo.diags;
        diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        return Err(Failure::Diagnostics(diags));
    }
    print_diags(root, &repo.diags, format);
    Ok(repo)
}

fn run(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    match &cli.command {
        Some(Command::Ls { kind }) => ls(cli, root, kind.as_deref()),
        Some(Command::Graph) => graph(cli, root),
        None => Err(Failure::Usage("no command yet".into())),
    }
}

fn ls(cli: &Cli, root: &Path, kind: Option<&str>) -> Result<i32, Failure> {
    let kind = match kind {
        None => None,
        Some(k) => Some(rescore_graph::NodeKind::parse(k).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown kind `{k}`: expected source, claim, benchmark, concept or thesis"
            ))
        })?),
    };
    let repo = load_checked(root, cli.format)?;
    let out = crate::report::ls(&repo, kind, cli.format.unwrap_or(Format::Human));
    print!("{out}");
    Ok(0)
}

fn graph(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    let repo = load_checked(root, cli.format)?;
    let out = match cli.format {
        Some(Format::Mermaid) => draw::mermaid(&repo.graph, None),
        None | Some(Format::Dot) => draw::dot(&repo.graph, None),
        Some(f) => {
            return Err(Failure::Usage(format!(
                "graph draws --format dot or mermaid, not {f:?}"
            )))
        }
    };
    print!("{out}");
    Ok(0)
}
