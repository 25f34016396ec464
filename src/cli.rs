//! The command line: clap definitions and one function per command. Thin: each command loads
//! the repo, calls into the library, and renders.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::cache;
use crate::ci;
use crate::diag::Diagnostic;
use crate::draw;
use crate::eval::{self, Evaluation};
use crate::failure::Failure;
pub use crate::format::Format;
use crate::load::{self, Repo};
use crate::lock::{self, Lock};
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
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
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
    },
    /// Draw the graph as Graphviz DOT or Mermaid (--format dot|mermaid).
    #[command(after_help = GRAPH_HELP, after_long_help = format!("{GRAPH_HELP}\n{EXIT_CODES}"))]
    Graph {
        /// Draw only the selected nodes and the edges between them.
        #[arg(long, value_name = "SELECTOR")]
        select: Vec<String>,
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

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
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
            usage_document(format_in_args(std::env::args().skip(1)), msg);
            return 2;
        }
    };
    output::set(cli.color, cli.quiet);
    init_tracing(cli.verbose, cli.quiet);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = load::find_root(cli.root.as_deref(), &cwd);
    match run(&cli, &root) {
        Ok(code) => code,
        Err(Failure::Diagnostics(diags)) => {
            print_diags(&root, &diags, cli.format);
            let prefix = crate::ci::git_prefix(&root);
            if let Some(doc) = cli
                .format
                .and_then(|f| report::failed_input(&diags, f, &prefix))
            {
                print!("{doc}");
            }
            2
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            usage_document(cli.format, msg);
            2
        }
    }
}

/// A machine format still gets its document on a usage error, carrying the error.
fn usage_document(format: Option<Format>, msg: String) {
    let d = Diagnostic::error("usage", Path::new("."), crate::diag::Pos::at(1, 1), msg)
        .expected("a command line rescore accepts (see `rescore help`)");
    if let Some(doc) = format.and_then(|f| report::failed_input(&[d], f, Path::new(""))) {
        print!("{doc}");
    }
}

/// The `--format` a command line asks for, read from the raw arguments when clap refused them.
fn format_in_args(args: impl Iterator<Item = String>) -> Option<Format> {
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        let value = match a.strip_prefix("--format") {
            Some("") => args.peek().cloned(),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        if let Some(v) = value {
            return Format::from_str(&v, true).ok();
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

/// Loads the repo; diagnostics that are errors stop the command, warnings are printed.
pub fn load_checked(root: &Path, format: Option<Format>) -> Result<Repo, Failure> {
    let (repo, _) = load_quiet(root, false)?;
    print_diags(root, &repo.diags, format);
    Ok(repo)
}

/// Loads the repo and, when `want_lock` or a thesis links to something missing, reads the lock
/// (`None` when there is none). Fails with every error of the settings, the pages and the lock
/// together, sorted by place; warnings stay in `repo.diags`.
fn load_quiet(root: &Path, want_lock: bool) -> Result<(Repo, Option<Lock>), Failure> {
    load_quiet_observed(root, want_lock, &|_, _| {}, false)
}

/// `load_quiet`, showing `observe` every page's bytes as read, through the parse cache when
/// `parse_cache`.
fn load_quiet_observed(
    root: &Path,
    want_lock: bool,
    observe: &(dyn Fn(&Path, &[u8]) + Sync),
    parse_cache: bool,
) -> Result<(Repo, Option<Lock>), Failure> {
    let mut repo = load::load_lean(root, observe, parse_cache)?;
    // Before the lock is read, so the lock can use the memory the parse detail held.
    repo.shed_parse_detail();
    let mut lock = None;
    if want_lock || !repo.dangling.is_empty() {
        match Lock::read(root) {
            Ok(read) => {
                // Only a thesis's link to a missing anchor or page needs the lock before
                // evaluation: it tells a gone dependency from a typo.
                if !repo.dangling.is_empty() {
                    repo.settle_dangling(read.as_ref().unwrap_or(&Lock::new()));
                }
                lock = read;
            }
            Err(d) => repo.diags.push(d),
        }
    }
    if repo.has_errors() {
        let mut diags = repo.diags;
        diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        return Err(Failure::Diagnostics(diags));
    }
    repo.diags
        .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    Ok((repo, lock))
}

/// The formats a command writes: anything else is refused, never answered in another format.
fn formats_of(command: Option<&Command>) -> &'static [Format] {
    use Format::{Dot, Github, Human, Json, Junit, Mermaid};
    match command {
        None | Some(Command::Check { .. }) => &[Human, Json, Github, Junit],
        Some(Command::Ls { .. } | Command::Why { .. } | Command::Watch { .. }) => &[Human, Json],
        Some(Command::Backlinks { .. }) => &[Human, Json, Github],
        Some(Command::Graph { .. }) => &[Dot, Mermaid],
        Some(
            Command::Accept { .. }
            | Command::Init { .. }
            | Command::Rules
            | Command::Completions { .. }
            | Command::Man,
        ) => &[Human],
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

/// The name a format has on the command line.
fn format_name(f: Format) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

fn run(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    let allowed = formats_of(cli.command.as_ref());
    if let Some(f) = cli.format.filter(|f| !allowed.contains(f)) {
        let names: Vec<String> = allowed.iter().map(|&a| format_name(a)).collect();
        let command = cli.command.as_ref().map_or("rescore".to_string(), |c| {
            format!("rescore {}", command_name(c))
        });
        return Err(Failure::Usage(format!(
            "`{command}` writes --format {}, not {}",
            names.join(", "),
            format_name(f)
        )));
    }
    match &cli.command {
        Some(Command::Ls { kind, select }) => ls(cli, root, kind.as_deref(), select),
        Some(Command::Graph { select }) => graph(cli, root, select),
        Some(Command::Check { base, no_cache }) => check(
            cli,
            root,
            base.as_deref().or(cli.base.as_deref()),
            !no_cache,
        ),
        Some(Command::Accept {
            theses,
            all,
            force,
            select,
        }) if !select.is_empty() => accept_selected(cli, root, select, *force),
        Some(Command::Accept {
            theses, all, force, ..
        }) => accept(cli, root, theses, *all, *force),
        Some(Command::Why { select, .. }) if !select.is_empty() => why_selected(cli, root, select),
        Some(Command::Why { thesis, .. }) => why(cli, root, thesis.as_deref().unwrap_or_default()),
        Some(Command::Init { force }) => init(cli, root, *force),
        Some(Command::Watch { debounce }) => crate::watch::run(
            &crate::watch::Options {
                format: cli.format,
                quiet: cli.quiet,
                dry_run: cli.dry_run,
                debounce_ms: *debounce,
            },
            root,
        ),
        Some(Command::Rules) => {
            let config_text = load::read_config(root)?;
            let (_, rules) =
                load::settings(config_text.as_deref(), &crate::rules::read_from(root))?;
            print!("{}", crate::rules::describe_rules(&rules));
            Ok(0)
        }
        // Without --write (or with the global --dry-run) it prints what would change.
        Some(Command::Backlinks { write, check }) => {
            backlinks(cli, root, *write && !cli.dry_run, *check)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "rescore",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::Usage(format!("cannot print the man page: {e}")))?;
            Ok(0)
        }
        None => flag(cli, root),
    }
}

/// Loads the repo and the lock, and evaluates every thesis. Problems in the settings, the
/// pages and the lock are reported together.
fn evaluated(cli: &Cli, root: &Path) -> Result<(Repo, Lock, Evaluation), Failure> {
    let started = std::time::Instant::now();
    let (repo, lock) = load_quiet(root, true)?;
    print_diags(root, &repo.diags, cli.format);
    evaluate_loaded(repo, lock, started)
}

/// `evaluated` for a command that prints a report: the report carries the input warnings in
/// every machine format (JSON, GitHub, JUnit); human output keeps them on stderr.
fn evaluated_for_report(cli: &Cli, root: &Path) -> Result<(Repo, Lock, Evaluation), Failure> {
    let started = std::time::Instant::now();
    let (repo, lock) = load_quiet(root, true)?;
    if matches!(cli.format, None | Some(Format::Human)) {
        print_diags(root, &repo.diags, cli.format);
    }
    evaluate_loaded(repo, lock, started)
}

fn evaluate_loaded(
    repo: Repo,
    lock: Option<Lock>,
    started: std::time::Instant,
) -> Result<(Repo, Lock, Evaluation), Failure> {
    let lock = lock.unwrap_or_default();
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

/// Prints a report, colouring the status words of human output when colour is on; `-q`
/// silences the human report (the exit code still tells), not a machine document.
fn print_report(cli: &Cli, text: &str, format: Format) {
    print!("{}", report_text(cli, text, format));
}

/// What `print_report` prints.
fn report_text(cli: &Cli, text: &str, format: Format) -> String {
    if cli.quiet && format == Format::Human {
        return String::new();
    }
    if format != Format::Human || !output::stdout() {
        return text.to_string();
    }
    use owo_colors::OwoColorize;
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let (word, rest) = line.split_at(line.find(' ').unwrap_or(0));
        let _ = match word {
            "stale" => writeln!(out, "{}{rest}", word.red().bold()),
            "pending" => writeln!(out, "{}{rest}", word.yellow()),
            "unscored" => writeln!(out, "{}{rest}", word.cyan()),
            _ => writeln!(out, "{line}"),
        };
    }
    out
}

fn check(cli: &Cli, root: &Path, base: Option<&str>, use_cache: bool) -> Result<i32, Failure> {
    let format = cli.format.unwrap_or(Format::Human);
    let prefix = ci::git_prefix(root);
    if let Some(rev) = base {
        let eval = against_base(cli, root, rev)?;
        print_report(
            cli,
            &report::verdicts_warned(&eval, &[], format, true, &prefix),
            format,
        );
        step_summary(&eval, base);
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
    let before = match cached.then(|| cache::lookup(root, &render)) {
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
    let (repo, lock) = load_quiet_observed(
        root,
        true,
        &|p, b| observed.page(p, b),
        cached && !cli.dry_run,
    )?;
    let stderr = if format == Format::Human {
        report::diags_text(root, &repo.diags, cli.format)
    } else {
        String::new()
    };
    eprint!("{stderr}");
    let (repo, _, eval) = evaluate_loaded(repo, lock, started)?;
    let stdout = report_text(
        cli,
        &report::verdicts_warned(&eval, &repo.diags, format, true, &prefix),
        format,
    );
    print!("{stdout}");
    step_summary(&eval, None);
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
fn against_base(cli: &Cli, root: &Path, rev: &str) -> Result<Evaluation, Failure> {
    let base = crate::git::load_base(root, rev)?;
    let (head, head_lock) = load_quiet(root, true)?;
    print_diags(root, &head.diags, cli.format);
    if let Some(w) = crate::git::base_errors(&base, rev) {
        print_diags(root, &[w], cli.format);
    }
    let cmp = crate::git::compare(&base, &head, head_lock.as_ref());
    if cli.format.unwrap_or(Format::Human) == Format::Human && !cli.quiet {
        let already = cmp.head.verdicts.len() - cmp.newly.verdicts.len();
        let note = match already {
            0 => String::new(),
            1 => " (1 thesis flagged at the base too is not shown)".to_string(),
            n => format!(" ({n} theses flagged at the base too are not shown)"),
        };
        println!("compared with {rev}: what this branch newly flags{note}");
    }
    Ok(cmp.newly)
}

/// In GitHub Actions (`GITHUB_STEP_SUMMARY` set), appends a markdown job summary.
fn step_summary(eval: &Evaluation, base: Option<&str>) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let text = report::job_summary(eval, base);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "cannot append the job summary to {}: {e}",
            PathBuf::from(path).display()
        );
    }
}

/// `rescore`: report, and bring the warning block of every thesis page in line with its verdict.
fn flag(cli: &Cli, root: &Path) -> Result<i32, Failure> {
    let format = cli.format.unwrap_or(Format::Human);
    if let Some(rev) = cli.base.as_deref() {
        let eval = against_base(cli, root, rev)?;
        print_report(
            cli,
            &report::verdicts(&eval, format, false, &ci::git_prefix(root)),
            format,
        );
        step_summary(&eval, Some(rev));
        return Ok(i32::from(cli.exit_code && eval.fails_gate()));
    }
    let (repo, read_lock, eval) = evaluated_for_report(cli, root)?;
    print_report(
        cli,
        &report::verdicts_warned(&eval, &repo.diags, format, false, &ci::git_prefix(root)),
        format,
    );
    step_summary(&eval, None);
    let code = i32::from(cli.exit_code && eval.fails_gate());
    if cli.dry_run {
        if format == Format::Human && !cli.quiet {
            for v in writeback::out_of_date(root, &eval.verdicts) {
                println!("would write {}", v.path);
            }
        }
        return Ok(code);
    }
    let held = repo_lock(root)?;
    sweep_page_temps(&held, root, &repo);
    // An accept may have moved baselines since the evaluation: the blocks follow the lock as it
    // is now.
    let now = Lock::read(root)?.unwrap_or_else(Lock::new);
    let eval = if now == read_lock {
        eval
    } else {
        eval::evaluate(&repo, &now)
    };
    let todo = writeback::out_of_date(root, &eval.verdicts);
    let outcomes = writeback::write_theses(&held, root, &repo, &todo, false);
    report_writes(cli, &outcomes, "warning block", format == Format::Human)?;
    let written = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, writeback::Outcome::Written(_)))
        .count();
    if written > 0 && !cli.quiet {
        eprintln!(
            "updated the warning block of {written} thesis page{}; `rescore --dry-run` reports without writing",
            if written == 1 { "" } else { "s" }
        );
    }
    Ok(code)
}

/// Takes the repo lock for a write.
fn repo_lock(root: &Path) -> Result<lock::RepoLock, Failure> {
    lock::RepoLock::acquire(root).map_err(|e| {
        Failure::from(
            Diagnostic::error(
                "lock-failed",
                Path::new("."),
                crate::diag::Pos::at(1, 1),
                format!("cannot lock the research repo for writing: {e}"),
            )
            .expected("a research repo folder rescore can open")
            .hint("check the folder's permissions"),
        )
    })
}

/// Removes temp files left by interrupted writes next to the lock and every page (a killed
/// `backlinks --write` leaves them beside concept pages).
fn sweep_page_temps(held: &lock::RepoLock, root: &Path, repo: &Repo) {
    let dirs = writeback::temp_dirs(root, repo.pages.iter().map(|p| p.path.as_path()));
    lock::sweep_temps(held, dirs.iter().map(PathBuf::as_path));
}

/// Prints what page writes did (`wrote` lines with `announce`); pages left alone are said so
/// on stderr, and failed writes are errors once every page has been tried.
fn report_writes(
    cli: &Cli,
    outcomes: &[(PathBuf, writeback::Outcome)],
    what: &str,
    announce: bool,
) -> Result<(), Failure> {
    let mut failed = Vec::new();
    for (path, outcome) in outcomes {
        match outcome {
            writeback::Outcome::Written(_) if announce && !cli.quiet => {
                println!("wrote {}", path.display())
            }
            writeback::Outcome::Written(_) | writeback::Outcome::Unchanged => {}
            writeback::Outcome::Skipped(why) => {
                if !cli.quiet {
                    eprintln!("left {} as it is: {why}", path.display());
                }
            }
            writeback::Outcome::Failed(e) => failed.push(
                Diagnostic::error(
                    "write-failed",
                    path,
                    crate::diag::Pos::at(1, 1),
                    format!("cannot write the {what}: {e}"),
                )
                .expected("a writable page")
                .hint("check the file's permissions"),
            ),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Diagnostics(failed))
    }
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
    record(cli, root, &repo, &eval, &chosen)
}

/// `accept --select`: the selected theses that need a re-score (all selected with --force).
fn accept_selected(cli: &Cli, root: &Path, select: &[String], force: bool) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let picked = crate::select::theses(&repo, &eval, select)?;
    let (chosen, skipped): (Vec<&eval::Verdict>, Vec<&eval::Verdict>) = picked
        .into_iter()
        .partition(|v| force || matches!(v.status, eval::Status::Stale | eval::Status::Unscored));
    if !cli.quiet {
        for v in &skipped {
            let why = match v.status {
                eval::Status::Pending => format!("waits on {}", v.waiting_on.join(", ")),
                _ => "clean".to_string(),
            };
            eprintln!("skipped {} ({why}; --force accepts it anyway)", v.thesis);
        }
        if chosen.is_empty() {
            eprintln!("nothing to accept: no selected thesis is stale or unscored");
        }
    }
    if chosen.is_empty() {
        return Ok(0);
    }
    record(cli, root, &repo, &eval, &chosen)
}

/// Moves the baselines of `chosen` to their current evidence, and updates warning blocks.
fn record(
    cli: &Cli,
    root: &Path,
    repo: &Repo,
    before: &Evaluation,
    chosen: &[&eval::Verdict],
) -> Result<i32, Failure> {
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
    let trees = eval::trees(repo);
    let accept_all = |lock: &mut Lock| {
        for (t, ix, score) in &baselines {
            let snap = eval::baseline(repo, &trees, lock, *ix);
            lock.accept(t, *score, &snap);
        }
        lock.retain_theses(|t| {
            repo.graph
                .get(t)
                .is_some_and(|ix| repo.graph.node(ix).kind == rescore_graph::NodeKind::Thesis)
        });
    };
    if cli.dry_run {
        let mut lock = Lock::read(root)?.unwrap_or_else(Lock::new);
        accept_all(&mut lock);
        let after = eval::evaluate(repo, &lock);
        if !cli.quiet {
            for (t, _, score) in &baselines {
                println!("would accept {t} at score {score}");
            }
            print!("{}", made_stale(before, &after, "would make"));
            for v in writeback::out_of_date(root, &after.verdicts) {
                println!("would write {}", v.path);
            }
        }
        return Ok(0);
    }
    // The lock and the pages are written under one hold of the repo lock, so a concurrent
    // accept cannot put back a block this one cleared. Snapshots are taken against the lock as
    // re-read under it, so entries another process dropped meanwhile are written again rather
    // than referred to.
    let held = repo_lock(root)?;
    let lock = lock::update_held(&held, root, |lock| {
        accept_all(lock);
        Ok(())
    })?;
    // Accepting can settle theses downstream too; re-evaluate before touching pages.
    let after = eval::evaluate(repo, &lock);
    sweep_page_temps(&held, root, repo);
    let todo = writeback::out_of_date(root, &after.verdicts);
    let outcomes = writeback::write_theses(&held, root, repo, &todo, false);
    report_writes(cli, &outcomes, "warning block", false)?;
    if !cli.quiet {
        for (t, _, score) in &baselines {
            println!("accepted {t} at score {score}");
        }
        print!("{}", made_stale(before, &after, "made"));
    }
    Ok(0)
}

/// The theses an accept turned stale or pending (one built on an accepted thesis whose score
/// moved: pending on it before, stale now), each with its next step.
fn made_stale(before: &Evaluation, after: &Evaluation, verb: &str) -> String {
    let mut out = String::new();
    for v in &after.verdicts {
        if before.get(&v.thesis).is_some_and(|b| b.status == v.status) {
            continue;
        }
        let line = match v.status {
            eval::Status::Stale => {
                let cause = v
                    .causes
                    .first()
                    .map(|c| format!(" ← {}", report::cause_line(c)))
                    .unwrap_or_default();
                format!(
                    "{verb} {} stale ({}:{}){cause}: re-score it, then `rescore accept {}`",
                    v.thesis, v.path, v.line, v.thesis
                )
            }
            eval::Status::Pending => format!(
                "{verb} {} pending ({}:{}): it waits on {}",
                v.thesis,
                v.path,
                v.line,
                v.waiting_on.join(", ")
            ),
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
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

/// `why --select`: each selected thesis explained, in report order (JSON: an array).
fn why_selected(cli: &Cli, root: &Path, select: &[String]) -> Result<i32, Failure> {
    let (repo, _, eval) = evaluated(cli, root)?;
    let picked = crate::select::theses(&repo, &eval, select)?;
    if picked.is_empty() {
        return Err(Failure::Usage(format!(
            "`--select {}` selects no thesis",
            select.join(" ")
        )));
    }
    let format = cli.format.unwrap_or(Format::Human);
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&picked).unwrap_or_default()
        );
        return Ok(0);
    }
    let parts: Vec<String> = picked
        .iter()
        .map(|v| report::why(&eval, &v.thesis, format))
        .collect();
    print!("{}", parts.join("\n"));
    Ok(0)
}

/// `rescore backlinks`: list (default), check (exit 1 when out of date) or write the blocks.
fn backlinks(cli: &Cli, root: &Path, write: bool, check: bool) -> Result<i32, Failure> {
    let repo = load_checked(root, cli.format)?;
    let changes = crate::backlinks::changes(&repo);
    let mut outcomes: std::collections::HashMap<PathBuf, writeback::Outcome> = Default::default();
    if write {
        let held = repo_lock(root)?;
        let dirs = writeback::temp_dirs(root, repo.pages.iter().map(|p| p.path.as_path()));
        lock::sweep_temps(&held, dirs.iter().map(PathBuf::as_path));
        let paths: Vec<PathBuf> = changes.iter().map(|c| c.path.clone()).collect();
        let by_path: std::collections::HashMap<&Path, &crate::backlinks::Change> =
            changes.iter().map(|c| (c.path.as_path(), c)).collect();
        let done = writeback::write_pages(&held, root, &paths, |rel, text| {
            let c = by_path.get(rel).ok_or_else(|| "no change".to_string())?;
            writeback::check_unchanged(&repo, rel, text, false)?;
            let new = crate::backlinks::put(text, c.lines.as_deref())
                .ok_or_else(|| "its block cannot be placed".to_string())?;
            Ok((new != text).then_some(new))
        });
        report_writes(cli, &done, "backlinks block", false)?;
        outcomes.extend(done);
    }
    let format = cli.format.unwrap_or(Format::Human);
    if format == Format::Json {
        let list: Vec<_> = changes
            .iter()
            .map(|c| json!({ "path": c.path, "concept": c.concept, "theses": c.theses }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "out_of_date": list, "written": write }))
                .unwrap_or_default()
        );
    }
    for c in &changes {
        if format == Format::Github {
            if !write {
                let file = ci::ci_path(&ci::git_prefix(root), &c.path.to_string_lossy());
                let place = ci::Place {
                    file: &file,
                    line: 1,
                    col: None,
                };
                println!(
                    "{}",
                    ci::annotation(
                        check,
                        &place,
                        "rescore backlinks",
                        "the \"Theses that depend on this concept\" block is out of date: run `rescore backlinks --write`"
                    )
                );
            }
        } else if format != Format::Json && !cli.quiet {
            let path = c.path.display();
            match (write, check) {
                (true, _) => {
                    if matches!(outcomes.get(&c.path), Some(writeback::Outcome::Written(_))) {
                        println!("wrote {path}");
                    }
                }
                (_, true) => println!("out of date: {path}"),
                _ => print!(
                    "would write {path}\n{}",
                    crate::backlinks::diff(&c.old, &c.new)
                ),
            }
        }
    }
    let plain = !matches!(format, Format::Json | Format::Github) && !cli.quiet;
    if changes.is_empty() && plain {
        println!("backlinks are up to date");
    } else if check && plain {
        println!("run `rescore backlinks --write` to update them");
    }
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
        Some(repo_lock(root)?)
    };
    if !config.exists() {
        if held.is_some() {
            lock::write_atomic(&config, crate::config::TEMPLATE.as_bytes())
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", config.display())))?;
        }
        if !cli.quiet {
            let did = if held.is_some() {
                "wrote"
            } else {
                "would write"
            };
            println!("{did} {}", crate::config::FILE_NAME);
        }
    }
    let repo = load_checked(root, cli.format)?;
    let trees = eval::trees(&repo);
    let mut n = 0;
    let mut start_over = |lock: &mut Lock| {
        *lock = Lock::new();
        for ix in eval::thesis_order(&repo) {
            if let rescore_graph::MaterialState::Thesis { score } = repo.graph.node(ix).state {
                let snap = eval::baseline(&repo, &trees, lock, ix);
                lock.accept(&repo.graph.node(ix).key, score, &snap);
                n += 1;
            }
        }
        Ok(())
    };
    let did = match &held {
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
            "wrote"
        }
        None => {
            start_over(&mut Lock::new())?;
            "would write"
        }
    };
    if !cli.quiet {
        println!("{did} {} accepting {n} theses", lock::FILE_NAME);
    }
    Ok(0)
}

fn ls(cli: &Cli, root: &Path, kind: Option<&str>, select: &[String]) -> Result<i32, Failure> {
    let kind = match kind {
        None => None,
        Some(k) => Some(rescore_graph::NodeKind::parse(k).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown kind `{k}`: expected source, claim, benchmark, concept or thesis"
            ))
        })?),
    };
    let repo = load_checked(root, cli.format)?;
    let only = selected(&repo, root, select)?;
    let only = only.map(|o| o.into_iter().collect::<std::collections::HashSet<_>>());
    let out = crate::report::ls_only(
        &repo,
        kind,
        only.as_ref(),
        cli.format.unwrap_or(Format::Human),
    );
    print!("{out}");
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

fn graph(cli: &Cli, root: &Path, select: &[String]) -> Result<i32, Failure> {
    let repo = load_checked(root, cli.format)?;
    let only = selected(&repo, root, select)?;
    // Without a lock every thesis is unscored and nothing is marked, so nothing is evaluated.
    let marks = match Lock::read(root)? {
        Some(lock) => draw::Marks::new(&repo.graph, &eval::evaluate(&repo, &lock)),
        None => draw::Marks::default(),
    };
    let out = match cli.format {
        Some(Format::Mermaid) => draw::mermaid(&repo.graph, only.as_deref(), &marks),
        None | Some(Format::Dot) => draw::dot(&repo.graph, only.as_deref(), &marks),
        Some(f) => {
            return Err(Failure::Usage(format!(
                "graph draws --format dot or mermaid, not {}",
                format_name(f)
            )))
        }
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
