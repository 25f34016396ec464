//! The command line: clap definitions and one function per command. Thin: each command loads
//! the repo, calls into the library, and renders through `report`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::cache;
use crate::ci;
use crate::diag::{did_you_mean, Diagnostic};
use crate::draw;
use crate::eval::{self, Evaluation, Status, Verdict};
use crate::failure::Failure;
use crate::format::{self, BacklinksFormat, GraphFormat, ReportFormat, TextOrJson};
use crate::load::{self, Repo};
use crate::lock::{self, Lock};
use crate::open;
use crate::output::{self, ColorChoice};
use crate::report::{self, print_diags};
use crate::writeback;

/// `0.1.0 (abc1234)`: the commit comes from build.rs, and is left out of a build without git.
const VERSION: &str = env!("RESCORE_VERSION");

const EXIT_CODES: &str = "\
Exit codes:
  0  done; for `check` (and `--exit-code`): every thesis is clean
  1  `check` / `--exit-code`: a thesis is stale, pending or unscored; `backlinks --check`: a
     block is out of date
  2  bad input (a diagnostic at file:line:column says what was expected) or bad usage";

const MAIN_HELP: &str = "\
Without a command, rescore reports the theses that need re-scoring and writes (or clears) the
warning block at the top of each such thesis page. `--dry-run` reports the same and writes nothing.

States:
  stale     something it rests on changed materially since it was scored: re-score it, then
            `rescore accept ID`
  pending   it builds on a stale thesis: re-score and accept that one first (upstream first)
  unscored  not in rescore.lock yet: score it, then `rescore accept ID`

Examples:
  rescore --dry-run             what would be flagged and written; nothing is written
  rescore                       flag: report and update the warning blocks in thesis pages
  rescore check                 the CI gate (exit 1 while anything needs re-scoring)
  rescore why physics-wall      the causal path behind a flag
  rescore accept physics-wall   record a re-score: its current evidence is the new baseline
  rescore completions bash      shell completions; `rescore man` prints the man page
";

const LS_HELP: &str = "\
Examples:
  rescore ls --kind claim
  rescore ls --select generative-world-models+     a concept and everything downstream of it
  rescore ls --format json
";
const GRAPH_HELP: &str = "\
Stale and pending theses, and the nodes on the path to their causes, are drawn in colour (when
rescore.lock exists).

Examples:
  rescore graph > graph.dot && dot -Tsvg graph.dot > graph.svg
  rescore graph --format mermaid --select physics-wall+
";
const CHECK_HELP: &str = "\
Examples:
  rescore check                          exit 1 while any thesis is stale, pending or unscored
  rescore check --base origin/main       fail only on what this branch newly flags
  rescore check --format github          workflow annotations at each thesis's file and line
  rescore check --format junit > rescore.xml
";
const ACCEPT_HELP: &str = "\
Accept upstream theses first: a thesis that builds on another is pending until that one is
accepted, and accepting a thesis whose score moved can make the theses built on it stale (they are
named).

Examples:
  rescore accept physics-wall
  rescore accept --select status:stale
  rescore --dry-run accept --all         what would be accepted and written
";
const WHY_HELP: &str = "\
Examples:
  rescore why physics-wall
  rescore why --select status:stale
  rescore why physics-wall --format json
";
const INIT_HELP: &str = "\
Examples:
  rescore init                           in the research repo's root folder
  rescore --dry-run init                 say what would be written
";
const RULES_HELP: &str = "\
Columns: name, severity, node kinds, what it flags. Switch one off with `disable` in
rescore.toml's [rules]; override a threshold in [rules.threshold].

Example:
  rescore rules
";
const WATCH_HELP: &str = "\
Examples:
  rescore watch                          flag as you save; Ctrl-C stops
  rescore --dry-run watch                report only, write no page
  rescore watch --format json            one JSON object a line, for editors and scripts
";
const BACKLINKS_HELP: &str = "\
Examples:
  rescore backlinks                      show what would change
  rescore backlinks --write
  rescore backlinks --check              exit 1 when a block is out of date (CI, pre-commit)
";
const COMPLETIONS_HELP: &str = "\
Examples:
  rescore completions bash > ~/.local/share/bash-completion/completions/rescore
  rescore completions zsh > ~/.zfunc/_rescore
  rescore completions fish > ~/.config/fish/completions/rescore.fish
";
const MAN_HELP: &str = "\
Example:
  rescore man > rescore.1 && man ./rescore.1
";

#[derive(Debug, Parser)]
#[command(
    name = "rescore",
    version = VERSION,
    about = "Flags research theses for re-scoring when the evidence under them changes materially",
    after_help = MAIN_HELP,
    after_long_help = format!("{MAIN_HELP}\n{EXIT_CODES}")
)]
pub struct Cli {
    /// The research repo (default: nearest folder upward holding rescore.toml, else the current one).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Report format. Written before a command's name, it is that command's --format.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// More logging (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors: no notes, warnings, progress or human report (exit codes still tell). A
    /// document asked for with --format json|github|junit, and the output of ls, why, graph,
    /// rules, completions and man, is still written.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Report what would be flagged and written, and write nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Exit 1 when any thesis is stale, pending or unscored (as `check` does).
    #[arg(long)]
    pub exit_code: bool,
    /// Compare with the research repo at this git ref (e.g. `main`) instead of the lock: report
    /// only what this branch newly flags. Writes nothing.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List pages, claims with level and quantities, benchmark rows and edges.
    #[command(after_help = LS_HELP, after_long_help = format!("{LS_HELP}\n{EXIT_CODES}"))]
    Ls {
        /// Only this node kind (source, claim, benchmark, concept, thesis).
        #[arg(long)]
        kind: Option<String>,
        /// Only the selected nodes (`id`, `id+`, `+id`, `id+2`, `kind:K`, `status:S`; repeatable).
        #[arg(long, value_name = "SELECTOR")]
        select: Vec<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Draw the graph as Graphviz DOT or Mermaid (--format dot|mermaid).
    #[command(after_help = GRAPH_HELP, after_long_help = format!("{GRAPH_HELP}\n{EXIT_CODES}"))]
    Graph {
        /// Draw only the selected nodes and the edges between them.
        #[arg(long, value_name = "SELECTOR")]
        select: Vec<String>,
        /// The picture's language (default: dot).
        #[arg(long, value_enum)]
        format: Option<GraphFormat>,
    },
    /// The CI gate: exit 1 while any thesis is stale, pending or unscored; writes nothing.
    #[command(after_help = CHECK_HELP, after_long_help = format!("{CHECK_HELP}\n{EXIT_CODES}"))]
    Check {
        /// Fail only on what this branch newly flags relative to this git ref.
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// Neither read nor write the caches in .rescore/cache/ (last outcome, parsed pages).
        #[arg(long, env = "RESCORE_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
        no_cache: bool,
        /// Report format.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
    },
    /// Record theses as re-scored: their current evidence becomes the new baseline.
    #[command(after_help = ACCEPT_HELP, after_long_help = format!("{ACCEPT_HELP}\n{EXIT_CODES}"))]
    Accept {
        /// Thesis ids to accept.
        #[arg(required_unless_present_any = ["all", "select"])]
        theses: Vec<String>,
        /// Accept every thesis that is stale, pending or unscored.
        #[arg(long, conflicts_with_all = ["theses", "select"])]
        all: bool,
        /// Accept the selected theses that need it (e.g. `status:stale`, `concept-id+`).
        #[arg(long, value_name = "SELECTOR", conflicts_with = "theses")]
        select: Vec<String>,
        /// Accept even a thesis that is clean or waits on an upstream thesis.
        #[arg(long)]
        force: bool,
    },
    /// Why a thesis is stale: each root cause and the path it travelled.
    #[command(after_help = WHY_HELP, after_long_help = format!("{WHY_HELP}\n{EXIT_CODES}"))]
    Why {
        /// The thesis id (its front matter `id`, else its file name without `.md`).
        #[arg(required_unless_present = "select")]
        thesis: Option<String>,
        /// Explain each selected thesis.
        #[arg(long, value_name = "SELECTOR", conflicts_with = "thesis")]
        select: Vec<String>,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Start using rescore here: a commented rescore.toml (if none) and a lock accepting every thesis.
    #[command(after_help = INIT_HELP, after_long_help = format!("{INIT_HELP}\n{EXIT_CODES}"))]
    Init {
        /// Replace an existing lock.
        #[arg(long)]
        force: bool,
    },
    /// List the rules in force.
    #[command(after_help = RULES_HELP, after_long_help = format!("{RULES_HELP}\n{EXIT_CODES}"))]
    Rules,
    /// Watch the research repo: on every save, re-evaluate the theses downstream of what
    /// changed, print one line per flag raised, cleared or turned pending, and update their
    /// warning blocks (`rescore --dry-run watch` writes nothing). Stops on Ctrl-C / SIGTERM.
    #[command(after_help = WATCH_HELP, after_long_help = format!("{WATCH_HELP}\n{EXIT_CODES}"))]
    Watch {
        /// Quiet period in milliseconds before a burst of file events is evaluated as one.
        #[arg(long, value_name = "MS", default_value_t = 100)]
        debounce: u64,
        /// Neither read nor write the parse cache in .rescore/cache/pages/.
        #[arg(long, env = "RESCORE_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
        no_cache: bool,
        /// Output format: json is one JSON object a line.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Regenerate each concept page's "Theses that depend on this concept" block.
    #[command(after_help = BACKLINKS_HELP, after_long_help = format!("{BACKLINKS_HELP}\n{EXIT_CODES}"))]
    Backlinks {
        /// Write the pages whose block is out of date.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Exit 1 when a page's block is out of date, listing the pages; write nothing.
        #[arg(long)]
        check: bool,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<BacklinksFormat>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line's definition.
    #[command(after_help = MAN_HELP)]
    Man,
}

impl Cli {
    /// Parses the command line; help and errors are coloured as `--color` (and NO_COLOR,
    /// CLICOLOR_FORCE) say, like the rest of the output.
    fn parse_args(args: &[OsString]) -> Result<Cli, clap::Error> {
        let color = match value_in_args(args, "--color").map(|v| ColorChoice::from_str(&v, true)) {
            Some(Ok(ColorChoice::Always)) => clap::ColorChoice::Always,
            Some(Ok(ColorChoice::Never)) => clap::ColorChoice::Never,
            _ => clap::ColorChoice::Auto,
        };
        let mut command = Cli::command().color(color);
        let cli = Cli::from_arg_matches_mut(&mut command.try_get_matches_from_mut(args)?)?;
        cli.refuse_misplaced_format(&mut command)?;
        Ok(cli)
    }

    /// `rescore --format F CMD` asks CMD for F: refused, as clap refuses `CMD --format F`,
    /// when CMD's own `--format` does not take F.
    fn refuse_misplaced_format(&self, command: &mut clap::Command) -> Result<(), clap::Error> {
        let (Some(f), Some(c)) = (self.format, &self.command) else {
            return Ok(());
        };
        let name = command_name(c);
        let takes: Vec<String> = command
            .find_subcommand(name)
            .and_then(|sub| sub.get_arguments().find(|a| a.get_id() == "format"))
            .map(|a| {
                a.get_possible_values()
                    .iter()
                    .map(|v| v.get_name().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let f = format::name(&f);
        if takes.contains(&f) {
            return Ok(());
        }
        let writes = if takes.is_empty() {
            "takes no --format".to_string()
        } else {
            format!("writes {}", takes.join(", "))
        };
        Err(command.error(
            ErrorKind::InvalidValue,
            format!("invalid value '{f}' for '--format <FORMAT>': `rescore {name}` {writes}"),
        ))
    }

    /// A command's `--format`: its own, else the one written before its name.
    fn format_of<F: ValueEnum>(&self, own: Option<F>) -> Option<F> {
        own.or_else(|| self.format.as_ref().and_then(format::convert))
    }

    /// The format diagnostics are printed in, and a stopped run's document is written in.
    fn report_format(&self) -> Option<ReportFormat> {
        match &self.command {
            None => self.format,
            Some(Command::Check { format, .. }) => self.format_of(*format),
            Some(
                Command::Ls { format, .. }
                | Command::Why { format, .. }
                | Command::Watch { format, .. },
            ) => self.format_of(*format).map(Into::into),
            Some(Command::Backlinks { format, .. }) => self.format_of(*format).map(Into::into),
            Some(_) => None,
        }
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Ls { .. } => "ls",
        Command::Graph { .. } => "graph",
        Command::Check { .. } => "check",
        Command::Accept { .. } => "accept",
        Command::Why { .. } => "why",
        Command::Init { .. } => "init",
        Command::Rules => "rules",
        Command::Watch { .. } => "watch",
        Command::Backlinks { .. } => "backlinks",
        Command::Completions { .. } => "completions",
        Command::Man => "man",
    }
}

pub fn main() -> i32 {
    // As given, not as UTF-8: clap reports an argument that is not text, rather than a panic.
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return 0;
            }
            // The command line did not parse, but a CI job that asked for a document still
            // gets one that carries the error.
            let text = e.render().to_string();
            let msg = text.lines().next().unwrap_or_default();
            let msg = msg.strip_prefix("error: ").unwrap_or(msg).to_string();
            let asked = value_in_args(&args, "--format")
                .and_then(|v| ReportFormat::from_str(&v, true).ok());
            usage_document(asked, msg);
            return 2;
        }
    };
    output::set(cli.color, cli.quiet);
    init_tracing(cli.verbose, cli.quiet);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = load::find_root(cli.root.as_deref(), &cwd);
    let format = cli.report_format();
    match run(&cli, &root) {
        Ok(code) => code,
        Err(Failure::Diagnostics(diags)) => {
            print_diags(&root, &diags, format);
            let prefix = ci::git_prefix(&root);
            if let Some(doc) = format.and_then(|f| report::failed_input(&diags, f, &prefix)) {
                print!("{doc}");
            }
            2
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            usage_document(format, msg);
            2
        }
    }
}

/// A machine format still gets its document on a usage error, carrying the error.
fn usage_document(format: Option<ReportFormat>, msg: String) {
    let d = Diagnostic::usage(msg);
    if let Some(doc) = format.and_then(|f| report::failed_input(&[d], f, Path::new(""))) {
        print!("{doc}");
    }
}

/// The value of `--NAME V` or `--NAME=V` in raw arguments (read before, or without, clap).
fn value_in_args(args: &[OsString], name: &str) -> Option<String> {
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy()).peekable();
    while let Some(a) = args.next() {
        let value = match a.strip_prefix(name) {
            Some("") => args.peek().map(|v| v.to_string()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        if value.is_some() {
            return value;
        }
    }
    None
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

fn run(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    match &cli.command {
        Some(Command::Ls {
            kind,
            select,
            format,
        }) => ls(cli, root, kind.as_deref(), select, cli.format_of(*format)),
        Some(Command::Graph { select, format }) => graph(root, select, *format),
        Some(Command::Check {
            base,
            no_cache,
            format,
        }) => check(
            cli,
            root,
            base.as_deref().or(cli.base.as_deref()),
            cli.format_of(*format).unwrap_or(ReportFormat::Human),
            !no_cache,
        ),
        Some(Command::Accept {
            theses,
            all,
            force,
            select,
        }) => {
            if select.is_empty() {
                accept(cli, root, theses, *all, *force)
            } else {
                accept_selected(cli, root, select, *force)
            }
        }
        Some(Command::Why {
            thesis,
            select,
            format,
        }) => {
            let format = cli.format_of(*format).unwrap_or(TextOrJson::Human);
            if select.is_empty() {
                why(cli, root, thesis.as_deref().unwrap_or_default(), format)
            } else {
                why_selected(cli, root, select, format)
            }
        }
        Some(Command::Init { force }) => init(cli, root, *force),
        Some(Command::Watch {
            debounce,
            no_cache,
            format,
        }) => crate::watch::run(
            &crate::watch::Options {
                format: cli.format_of(*format),
                quiet: cli.quiet,
                dry_run: cli.dry_run,
                debounce_ms: *debounce,
                // As `check`: a dry run writes nothing, its cache included.
                cache: !no_cache && !cli.dry_run,
            },
            root,
        ),
        Some(Command::Rules) => {
            let config_text = load::read_config(root)?;
            let (_, rules) =
                load::settings(config_text.as_deref(), &crate::settings::read_from(root))?;
            print!("{}", crate::rules::describe_rules(&rules));
            Ok(0)
        }
        // Without --write (or with the global --dry-run) it prints what would change.
        Some(Command::Backlinks {
            write,
            check,
            format,
        }) => backlinks(
            cli,
            root,
            *write && !cli.dry_run,
            *check,
            cli.format_of(*format).unwrap_or(BacklinksFormat::Human),
        ),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "rescore",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::Usage(format!("cannot print the man page: {e}")))?;
            Ok(0)
        }
        None => flag(cli, root, cli.format.unwrap_or(ReportFormat::Human)),
    }
}

/// Loads the repo, printing its warnings; errors stop the command.
fn load_checked(root: &Path, format: Option<ReportFormat>) -> Result<Repo, Failure> {
    let (repo, _) = open::repo(root, false)?;
    print_diags(root, &repo.diags, format);
    Ok(repo)
}

/// Loads the repo and the lock, and evaluates every thesis. Problems in the settings, the
/// pages and the lock are reported together.
fn evaluated(cli: &Cli, root: &Path) -> Result<(Repo, Lock, Evaluation), Failure> {
    let started = std::time::Instant::now();
    let (repo, lock) = open::repo(root, true)?;
    print_diags(root, &repo.diags, cli.report_format());
    open::evaluate(repo, lock, started)
}

/// `evaluated` for a command that prints a report: the report carries the input warnings in
/// every machine format (JSON, GitHub, JUnit); human output keeps them on stderr.
fn evaluated_for_report(
    root: &Path,
    format: ReportFormat,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    let started = std::time::Instant::now();
    let (repo, lock) = open::repo(root, true)?;
    if format == ReportFormat::Human {
        print_diags(root, &repo.diags, Some(format));
    }
    open::evaluate(repo, lock, started)
}

fn check(
    cli: &Cli,
    root: &Path,
    base: Option<&str>,
    format: ReportFormat,
    use_cache: bool,
) -> Result<i32, Failure> {
    let prefix = ci::git_prefix(root);
    if let Some(rev) = base {
        let eval = against_base(cli, root, rev, format)?;
        report::print_report(
            &report::verdicts_warned(&eval, &[], format, true, &prefix),
            format,
            cli.quiet,
        );
        report::append_step_summary(&eval, base);
        return Ok(i32::from(eval.fails_gate()));
    }
    // A GitHub job summary is a write the cache does not replay: such a run is never cached.
    let cached = use_cache && std::env::var_os("GITHUB_STEP_SUMMARY").is_none();
    let render = format!(
        "{format:?} quiet={} colour={}/{} prefix={prefix:?}",
        cli.quiet,
        output::stdout(),
        output::stderr()
    );
    let mut before = match cached.then(|| cache::lookup(root, &render)) {
        Some(cache::Lookup::Hit(outcome)) => {
            eprint!("{}", outcome.stderr);
            print!("{}", outcome.stdout);
            return Ok(outcome.code);
        }
        Some(cache::Lookup::Miss(before)) => Some(before),
        None => None,
    };
    let started = std::time::Instant::now();
    let observed = cache::Observed::default();
    // Hashing every page is the cache key's cost: a run that stores no outcome skips it.
    let storing = before.is_some() && !cli.dry_run;
    let observe: &dyn load::Observer = if storing {
        &observed
    } else {
        &load::Unobserved
    };
    let walked = before.as_mut().and_then(cache::Before::take_walk);
    let (repo, lock, trees) = open::repo_with_trees(root, observe, cached && !cli.dry_run, walked)?;
    let stderr = if format == ReportFormat::Human {
        report::diags_text(root, &repo.diags, Some(format))
    } else {
        String::new()
    };
    eprint!("{stderr}");
    let (repo, _, eval) = open::evaluate_with_trees(repo, lock, &trees, started)?;
    let stdout = report::report_text(
        &report::verdicts_warned(&eval, &repo.diags, format, true, &prefix),
        format,
        cli.quiet,
    );
    print!("{stdout}");
    report::append_step_summary(&eval, None);
    let code = i32::from(eval.fails_gate());
    // `check` writes nothing of the user's; its own cache it skips only under --dry-run, and
    // when a claim's accepted text was missing from git (a fetch brings it without touching a
    // file the cache key covers).
    if let Some(before) = before.filter(|_| !cli.dry_run && !eval.missed_accepted_text()) {
        let outcome = cache::Outcome {
            stdout,
            stderr,
            code,
        };
        cache::store(root, &render, before, observed, outcome);
    }
    // The process exits right after `check`: freeing every page, node and verdict one by one
    // would be a single-threaded tail of the run. They hold no file or lock to release, and the
    // report is already written.
    std::mem::forget((repo, eval));
    Ok(code)
}

/// `--base REF`: the working tree's verdicts that are new relative to the repo at REF. Reads
/// the ref into memory; writes nothing.
fn against_base(
    cli: &Cli,
    root: &Path,
    rev: &str,
    format: ReportFormat,
) -> Result<Evaluation, Failure> {
    let base = crate::git::load_base(root, rev)?;
    let (head, head_lock) = open::repo(root, true)?;
    print_diags(root, &head.diags, Some(format));
    if let Some(w) = crate::git::base_errors(&base, rev) {
        print_diags(root, &[w], Some(format));
    }
    let cmp = crate::git::compare(&base, &head, head_lock.as_ref());
    if format == ReportFormat::Human && !cli.quiet {
        println!("{}", report::base_note(&cmp, rev));
    }
    Ok(cmp.newly)
}

/// `rescore`: report, and bring the warning block of every thesis page in line with its verdict.
fn flag(cli: &Cli, root: &Path, format: ReportFormat) -> Result<i32, Failure> {
    if let Some(rev) = cli.base.as_deref() {
        let eval = against_base(cli, root, rev, format)?;
        report::print_report(
            &report::verdicts(&eval, format, false, &ci::git_prefix(root)),
            format,
            cli.quiet,
        );
        report::append_step_summary(&eval, Some(rev));
        return Ok(i32::from(cli.exit_code && eval.fails_gate()));
    }
    let (repo, read_lock, eval) = evaluated_for_report(root, format)?;
    report::print_report(
        &report::verdicts_warned(&eval, &repo.diags, format, false, &ci::git_prefix(root)),
        format,
        cli.quiet,
    );
    report::append_step_summary(&eval, None);
    let code = i32::from(cli.exit_code && eval.fails_gate());
    if cli.dry_run {
        if format == ReportFormat::Human && !cli.quiet {
            for v in writeback::out_of_date(root, &eval.verdicts) {
                println!("would write {}", v.path);
            }
        }
        return Ok(code);
    }
    let outcomes = writeback::update_blocks(root, &repo, &read_lock, eval)?;
    let human = format == ReportFormat::Human;
    report::print_writes(&outcomes, "warning block", human, cli.quiet)?;
    if !cli.quiet {
        eprint!("{}", report::blocks_updated(&outcomes));
    }
    Ok(code)
}

fn accept(
    cli: &Cli,
    root: &Path,
    theses: &[String],
    all: bool,
    force: bool,
) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let chosen: Vec<&Verdict> = if all {
        eval.verdicts
            .iter()
            .filter(|v| force || v.status != Status::Clean)
            .collect()
    } else {
        let mut out = Vec::new();
        for t in theses {
            let v = thesis(&eval, t)?;
            match v.status {
                Status::Clean if !force => {
                    return Err(Failure::Usage(format!("thesis `{t}` is not stale: nothing to accept (use --force to record its baseline anyway)")))
                }
                Status::Pending if !force => {
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
    record(cli, root, &repo, &eval, &chosen)
}

/// The verdict of thesis `id` (any case), or a usage error that suggests a near id.
fn thesis<'a>(eval: &'a Evaluation, id: &str) -> Result<&'a Verdict, Failure> {
    let key = id.to_lowercase();
    eval.get(&key).ok_or_else(|| {
        let near = did_you_mean(&key, eval.verdicts.iter().map(|v| v.thesis.as_str()));
        Failure::Usage(format!(
            "no thesis `{id}`{}",
            near.map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default()
        ))
    })
}

/// `accept --select`: the selected theses that need a re-score (all selected with --force).
fn accept_selected(cli: &Cli, root: &Path, select: &[String], force: bool) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let picked = crate::select::theses(&repo, &eval, select)?;
    let (chosen, skipped): (Vec<&Verdict>, Vec<&Verdict>) = picked
        .into_iter()
        .partition(|v| force || matches!(v.status, Status::Stale | Status::Unscored));
    if !cli.quiet {
        eprint!("{}", report::skipped(&skipped, chosen.is_empty()));
    }
    if chosen.is_empty() {
        return Ok(0);
    }
    record(cli, root, &repo, &eval, &chosen)
}

/// Moves the baselines of `chosen` to their current evidence, updates warning blocks, and
/// says what that did.
fn record(
    cli: &Cli,
    root: &Path,
    repo: &Repo,
    before: &Evaluation,
    chosen: &[&Verdict],
) -> Result<i32, Failure> {
    let done = crate::accept::record(root, repo, chosen, cli.dry_run)?;
    report::print_writes(&done.writes, "warning block", false, cli.quiet)?;
    if !cli.quiet {
        print!("{}", report::accepted(&done, before, cli.dry_run));
    }
    Ok(0)
}

fn why(cli: &Cli, root: &Path, id: &str, format: TextOrJson) -> Result<i32, Failure> {
    let (_, _, eval) = evaluated(cli, root)?;
    let v = thesis(&eval, id)?;
    print!("{}", report::why(&eval, &v.thesis, format));
    Ok(0)
}

/// `why --select`: each selected thesis explained, in report order (JSON: an array).
fn why_selected(
    cli: &Cli,
    root: &Path,
    select: &[String],
    format: TextOrJson,
) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let picked = crate::select::theses(&repo, &eval, select)?;
    if picked.is_empty() {
        return Err(Failure::Usage(format!(
            "`--select {}` selects no thesis",
            select.join(" ")
        )));
    }
    print!("{}", report::why_each(&eval, &picked, format));
    Ok(0)
}

/// `rescore backlinks`: list (default), check (exit 1 when out of date) or write the blocks.
fn backlinks(
    cli: &Cli,
    root: &Path,
    write: bool,
    check: bool,
    format: BacklinksFormat,
) -> Result<i32, Failure> {
    let repo = load_checked(root, Some(format.into()))?;
    let changes = crate::backlinks::changes(&repo);
    let written = if write {
        let done = writeback::write_backlinks(root, &repo, &changes)?;
        report::print_writes(&done, "backlinks block", false, cli.quiet)?;
        done
    } else {
        Vec::new()
    };
    let mode = match (write, check) {
        (true, _) => report::BacklinksMode::Written(&written),
        (_, true) => report::BacklinksMode::Check,
        _ => report::BacklinksMode::List,
    };
    print!(
        "{}",
        report::backlinks(&changes, mode, format, cli.quiet, &ci::git_prefix(root))
    );
    Ok(i32::from(check && !changes.is_empty()))
}

fn init(cli: &Cli, root: &Path, force: bool) -> Result<i32, Failure> {
    let config = root.join(crate::config::FILE_NAME);
    // Refused before anything is written: a refused init leaves the tree as it was.
    if root.join(lock::FILE_NAME).exists() && !force {
        return Err(Failure::Usage("rescore.lock exists already: use `rescore accept` to move baselines (or `init --force` to start over)".into()));
    }
    let held = if cli.dry_run {
        None
    } else {
        Some(writeback::repo_lock(root)?)
    };
    let did = if held.is_some() {
        "wrote"
    } else {
        "would write"
    };
    if !config.exists() {
        if held.is_some() {
            lock::write_atomic(&config, crate::config::TEMPLATE.as_bytes())
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", config.display())))?;
        }
        if !cli.quiet {
            println!("{did} {}", crate::config::FILE_NAME);
        }
    }
    let repo = load_checked(root, None)?;
    let mut n = 0;
    let mut start_over = |lock: &mut Lock| {
        *lock = Lock::new();
        n = crate::accept::every_thesis(lock, &repo);
        Ok(())
    };
    match &held {
        Some(held) => {
            if lock::mark_union_merge(root)
                .map_err(|e| Failure::Usage(format!("cannot write .gitattributes: {e}")))?
                && !cli.quiet
            {
                println!(
                    "wrote .gitattributes: git merges the lock files by keeping both sides' lines"
                );
            }
            lock::update_held(held, root, start_over)?;
        }
        None => start_over(&mut Lock::new())?,
    }
    if !cli.quiet {
        println!("{did} {} accepting {n} theses", lock::FILE_NAME);
    }
    Ok(0)
}

fn ls(
    cli: &Cli,
    root: &Path,
    kind: Option<&str>,
    select: &[String],
    format: Option<TextOrJson>,
) -> Result<i32, Failure> {
    let kind = match kind {
        None => None,
        Some(k) => Some(rescore_graph::NodeKind::parse(k).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown kind `{k}`: expected source, claim, benchmark, concept or thesis"
            ))
        })?),
    };
    let repo = load_checked(root, cli.report_format())?;
    let only = selected(&repo, root, select)?;
    let only = only.map(|o| o.into_iter().collect::<std::collections::HashSet<_>>());
    print!(
        "{}",
        report::ls(
            &repo,
            kind,
            only.as_ref(),
            format.unwrap_or(TextOrJson::Human)
        )
    );
    Ok(0)
}

/// The nodes `--select` picks (`None` without selectors); evaluates only for `status:`.
fn selected(
    repo: &Repo,
    root: &Path,
    select: &[String],
) -> Result<Option<Vec<rescore_graph::NodeIx>>, Failure> {
    if select.is_empty() {
        return Ok(None);
    }
    let sel = crate::select::Selector::parse_all(select)?;
    let eval = if sel.needs_evaluation() {
        let lock = Lock::read(root)?.unwrap_or_else(Lock::new);
        Some(eval::evaluate(repo, &lock))
    } else {
        None
    };
    Ok(Some(sel.resolve(&repo.graph, eval.as_ref())?))
}

fn graph(root: &Path, select: &[String], format: Option<GraphFormat>) -> Result<i32, Failure> {
    let repo = load_checked(root, None)?;
    let only = selected(&repo, root, select)?;
    // Without a lock every thesis is unscored and nothing is marked, so nothing is evaluated.
    let marks = match Lock::read(root)? {
        Some(lock) => draw::Marks::new(&repo.graph, &eval::evaluate(&repo, &lock)),
        None => draw::Marks::default(),
    };
    let out = match format.unwrap_or(GraphFormat::Dot) {
        GraphFormat::Mermaid => draw::mermaid(&repo.graph, only.as_deref(), &marks),
        GraphFormat::Dot => draw::dot(&repo.graph, only.as_deref(), &marks),
    };
    print!("{out}");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dry_run_goes_before_or_after_the_command() {
        for args in [
            ["rescore", "--dry-run", "watch"],
            ["rescore", "watch", "--dry-run"],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            assert!(cli.dry_run, "{args:?}");
        }
    }
}
