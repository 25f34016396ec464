//! The command line: clap definitions and one function per command. Thin: each command loads
//! the repo, calls into the library, and renders.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::diag::Diagnostic;
use crate::draw;
use crate::eval::{self, Evaluation};
use crate::load::{self, Repo};
use crate::lock::{self, Lock};
use crate::report;
use crate::writeback;

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
    /// Report what would be flagged and written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Exit 1 when any thesis is stale, pending or unscored (as `check` does).
    #[arg(long)]
    pub exit_code: bool,
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
    /// The CI gate: exit 1 while any thesis is stale, pending or unscored; writes nothing.
    Check,
    /// Record theses as re-scored: their current evidence becomes the new baseline.
    Accept {
        /// Thesis ids to accept.
        #[arg(required_unless_present = "all")]
        theses: Vec<String>,
        /// Accept every thesis that is stale, pending or unscored.
        #[arg(long, conflicts_with = "theses")]
        all: bool,
        /// Accept even a thesis that is clean or waits on an upstream thesis.
        #[arg(long)]
        force: bool,
    },
    /// Why a thesis is stale: each root cause and the path it travelled.
    Why { thesis: String },
    /// Start using rescore here: a commented rescore.toml (if none) and a lock accepting every thesis.
    Init {
        /// Replace an existing lock.
        #[arg(long)]
        force: bool,
    },
    /// List the rules in force.
    Rules,
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
        Some(Command::Check) => check(cli, root),
        Some(Command::Accept { theses, all, force }) => accept(cli, root, theses, *all, *force),
        Some(Command::Why { thesis }) => why(cli, root, thesis),
        Some(Command::Init { force }) => init(cli, root, *force),
        Some(Command::Rules) => {
            let (config, rules) = load::settings(
                std::fs::read_to_string(root.join(crate::config::FILE_NAME))
                    .ok()
                    .as_deref(),
                &crate::rules::read_from(root),
            )?;
            let _ = config;
            print!("{}", crate::rules::describe_rules(&rules));
            Ok(0)
        }
        None => flag(cli, root),
    }
}

/// Loads the repo and the lock, and evaluates every thesis.
fn evaluated(cli: &Cli, root: &Path) -> Result<(Repo, Lock, Evaluation), Failure> {
    let repo = load_checked(root, cli.format)?;
    let started = std::time::Instant::now();
    let lock = Lock::read(root)?.unwrap_or_else(Lock::new);
    tracing::debug!(
        theses = lock.thesis.len(),
        ms = started.elapsed().as_millis() as u64,
        "lock read"
    );
    let eval = eval::evaluate(&repo, &lock);
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "evaluated");
    if !eval.errors.is_empty() {
        return Err(Failure::Diagnostics(eval.errors));
    }
    Ok((repo, lock, eval))
}

/// Prints a report, colouring the status words of human output on a terminal.
fn print_report(text: &str, format: Format) {
    let colour = format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    if !colour {
        print!("{text}");
        return;
    }
    use owo_colors::OwoColorize;
    for line in text.lines() {
        let (word, rest) = line.split_at(line.find(' ').unwrap_or(0));
        match word {
            "stale" => println!("{}{rest}", word.red().bold()),
            "pending" => println!("{}{rest}", word.yellow()),
            "unscored" => println!("{}{rest}", word.cyan()),
            _ => println!("{line}"),
        }
    }
}

fn check(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    let (_, _, eval) = evaluated(cli, root)?;
    let format = cli.format.unwrap_or(Format::Human);
    print_report(&report::verdicts(&eval, format, true), format);
    Ok(i32::from(eval.fails_gate()))
}

/// `rescore`: report, and bring the warning block of every thesis page in line with its verdict.
fn flag(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let format = cli.format.unwrap_or(Format::Human);
    print_report(&report::verdicts(&eval, format, false), format);
    let writes = page_writes(&repo, &eval);
    for (path, text) in &writes {
        if cli.dry_run {
            if format == Format::Human {
                println!("would write {}", path.display());
            }
        } else {
            let abs = root.join(path);
            lock::write_atomic(&abs, text.as_bytes()).map_err(|e| {
                Diagnostic::error(
                    "write-failed",
                    path,
                    crate::diag::Pos::at(1, 1),
                    format!("cannot write the warning block: {e}"),
                )
                .expected("a writable thesis page")
                .hint("check the file's permissions")
            })?;
            if format == Format::Human && !cli.quiet {
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(i32::from(cli.exit_code && eval.fails_gate()))
}

/// The thesis pages whose warning block must change, with their new text.
pub fn page_writes(repo: &Repo, eval: &Evaluation) -> Vec<(PathBuf, String)> {
    let _guard = lock::RepoLock::acquire(&repo.root).ok();
    eval.verdicts
        .iter()
        .filter_map(|v| {
            let text = std::fs::read_to_string(repo.root.join(&v.path)).ok()?;
            let stale = (v.status == eval::Status::Stale).then_some(v);
            writeback::updated(&text, stale).map(|t| (PathBuf::from(&v.path), t))
        })
        .collect()
}

/// A thesis to accept: its id, node and score.
type Accepted = (String, rescore_graph::NodeIx, f64);

fn accept(
    cli: &Cli,
    root: &Path,
    theses: &[String],
    all: bool,
    force: bool,
) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let chosen: Vec<&eval::Verdict> = if all {
        eval.verdicts
            .iter()
            .filter(|v| force || v.status != eval::Status::Clean)
            .collect()
    } else {
        let mut out = Vec::new();
        for t in theses {
            let key = t.to_lowercase();
            let v = eval.get(&key).ok_or_else(|| {
                let near = crate::diag::did_you_mean(
                    &key,
                    eval.verdicts.iter().map(|v| v.thesis.as_str()),
                );
                Failure::Usage(format!(
                    "no thesis `{t}`{}",
                    near.map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default()
                ))
            })?;
            match v.status {
                eval::Status::Clean if !force => {
                    return Err(Failure::Usage(format!("thesis `{t}` is not stale: nothing to accept (use --force to record its baseline anyway)")))
                }
                eval::Status::Pending if !force => {
                    return Err(Failure::Usage(format!(
                        "thesis `{t}` waits on {}: re-score and accept that first (or use --force)",
                        v.waiting_on.join(", ")
                    )))
                }
                _ => out.push(v),
            }
        }
        out
    };
    let baselines: Vec<Accepted> = chosen
        .iter()
        .filter_map(|v| {
            let ix = v.ix?;
            let score = match repo.graph.node(ix).state {
                rescore_graph::MaterialState::Thesis { score } => score,
                _ => return None,
            };
            Some((v.thesis.clone(), ix, score))
        })
        .collect();
    let trees = eval::trees(&repo);
    // Snapshots are taken against the lock as re-read under the repo lock, so entries another
    // process dropped meanwhile are written again rather than referred to.
    lock::update(root, |lock| {
        for (t, ix, score) in &baselines {
            let snap = eval::baseline(&repo, &trees, lock, *ix);
            lock.accept(t, *score, &snap);
        }
        Ok(())
    })?;
    // Accepting can settle theses downstream too; re-evaluate before touching pages.
    let lock = Lock::read(root)?.unwrap_or_else(Lock::new);
    let after = eval::evaluate(&repo, &lock);
    for (path, text) in page_writes(&repo, &after) {
        lock::write_atomic(&root.join(&path), text.as_bytes()).map_err(|e| {
            Diagnostic::error(
                "write-failed",
                &path,
                crate::diag::Pos::at(1, 1),
                format!("cannot update the warning block: {e}"),
            )
            .expected("a writable thesis page")
            .hint("check the file's permissions")
        })?;
    }
    if !cli.quiet {
        for (t, _, score) in &baselines {
            println!("accepted {t} at score {score}");
        }
    }
    Ok(0)
}

fn why(cli: &Cli, root: &Path, thesis: &str) -> Result<i32, Failure> {
    let (_, _, eval) = evaluated(cli, root)?;
    let key = thesis.to_lowercase();
    if eval.get(&key).is_none() {
        let near = crate::diag::did_you_mean(&key, eval.verdicts.iter().map(|v| v.thesis.as_str()));
        return Err(Failure::Usage(format!(
            "no thesis `{thesis}`{}",
            near.map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default()
        )));
    }
    print!(
        "{}",
        report::why(&eval, &key, cli.format.unwrap_or(Format::Human))
    );
    Ok(0)
}

fn init(cli: &Cli, root: &Path, force: bool) -> Result<i32, Failure> {
    let config = root.join(crate::config::FILE_NAME);
    if !config.exists() {
        lock::write_atomic(&config, crate::config::TEMPLATE.as_bytes())
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", config.display())))?;
        if !cli.quiet {
            println!("wrote {}", crate::config::FILE_NAME);
        }
    }
    if root.join(lock::FILE_NAME).exists() && !force {
        return Err(Failure::Usage("rescore.lock exists already: use `rescore accept` to move baselines (or `init --force` to start over)".into()));
    }
    let repo = load_checked(root, cli.format)?;
    let trees = eval::trees(&repo);
    let mut n = 0;
    lock::update(root, |lock| {
        *lock = Lock::new();
        for ix in eval::thesis_order(&repo) {
            if let rescore_graph::MaterialState::Thesis { score } = repo.graph.node(ix).state {
                let snap = eval::baseline(&repo, &trees, lock, ix);
                lock.accept(&repo.graph.node(ix).key, score, &snap);
                n += 1;
            }
        }
        Ok(())
    })?;
    if !cli.quiet {
        println!("wrote {} accepting {n} theses", lock::FILE_NAME);
    }
    Ok(0)
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
