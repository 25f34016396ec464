//! Loading a research repo: find its root, read `rescore.toml` and the rules, walk the pages
//! (honouring `.gitignore` and `exclude`), parse them in parallel and build the graph.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use rescore_graph::Graph;

use crate::config::{Config, FILE_NAME};
use crate::diag::{Diagnostic, Pos};
use crate::page::{self, Page, PageKind, ParseContext};
use crate::resolve;
use crate::rules::RuleSet;

/// A loaded research repo: pages (a page's index is its `Loc::file`), the graph, the rules,
/// and every diagnostic found on the way.
pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
    pub rules: RuleSet,
    pub pages: Vec<Page>,
    pub graph: Graph,
    pub diags: Vec<Diagnostic>,
    /// Theses' links to missing anchors or pages: all of them until `settle_dangling`, then
    /// those that name something gone.
    pub dangling: Vec<resolve::Dangling>,
}

impl Repo {
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// Sorts the theses' links to missing anchors or pages by what the lock knows: a key some
    /// thesis was scored against existed and is gone, which evaluation reports as a stale cause
    /// (removed, or renamed), so its error is withdrawn; a key no baseline knows never existed, a
    /// typo, and stays an error. Until this is called every such link is an error.
    pub fn settle_dangling(&mut self, lock: &crate::lock::Lock) {
        self.dangling = settle(std::mem::take(&mut self.dangling), lock, &mut self.diags);
    }

    pub fn page_of(&self, loc: rescore_graph::Loc) -> Option<&Page> {
        self.pages.get(loc.file as usize)
    }

    /// Drops what only building the graph needed (claims, rows and links as parsed; the graph
    /// holds their states), so a one-shot command does not carry both copies into evaluation.
    pub fn shed_parse_detail(&mut self) {
        for p in &mut self.pages {
            p.claims = Vec::new();
            p.rows = Vec::new();
            p.links = Vec::new();
        }
    }
}

/// `Repo::settle_dangling` on its parts: withdraws from `diags` the errors of the links the lock
/// knows, and returns those links (evaluation reports them); the others stay errors.
pub fn settle(
    dangling: Vec<resolve::Dangling>,
    lock: &crate::lock::Lock,
    diags: &mut Vec<Diagnostic>,
) -> Vec<resolve::Dangling> {
    let known = |key: &str| lock.thesis.values().any(|b| b.against.contains_key(key));
    let gone: Vec<resolve::Dangling> = dangling.into_iter().filter(|d| known(&d.key)).collect();
    diags.retain(|d| !gone.iter().any(|g| g.diag == *d));
    gone
}

/// The root: `--root`, else the nearest folder upward holding `rescore.toml`, else `cwd`.
pub fn find_root(explicit: Option<&Path>, cwd: &Path) -> PathBuf {
    if let Some(r) = explicit {
        return r.to_path_buf();
    }
    cwd.ancestors()
        .find(|d| d.join(FILE_NAME).is_file())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// Config and rules, or the diagnostics that stop everything else.
pub fn settings(
    config_text: Option<&str>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Result<(Config, RuleSet), Vec<Diagnostic>> {
    let config_path = Path::new(FILE_NAME);
    let config = match config_text {
        Some(text) => Config::parse(text, config_path).map_err(|d| vec![d])?,
        None => Config::default(),
    };
    let rules = RuleSet::load(&config, config_path, read)?;
    Ok((config, rules))
}

/// Every markdown page below the root, relative paths, sorted.
pub fn walk(root: &Path, config: &Config) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for glob in &config.exclude {
        overrides.add(&format!("!{glob}")).map_err(|e| {
            Diagnostic::error(
                "bad-exclude",
                Path::new(FILE_NAME),
                Pos::at(1, 1),
                format!("exclude glob `{glob}`: {e}"),
            )
            .expected("a gitignore-style glob relative to the root")
            .hint("check the brackets and stars in the glob")
        })?;
    }
    let overrides = overrides.build().map_err(|e| {
        Diagnostic::error(
            "bad-exclude",
            Path::new(FILE_NAME),
            Pos::at(1, 1),
            format!("exclude globs: {e}"),
        )
        .expected("gitignore-style globs")
        .hint("check `exclude` in rescore.toml")
    })?;
    let mut paths: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .overrides(overrides)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Parses page texts (in parallel) and builds the graph.
pub fn build(
    root: PathBuf,
    config: Config,
    rules: RuleSet,
    files: Vec<(PathBuf, Result<String, Diagnostic>)>,
) -> Repo {
    let parsed: Vec<Parsed> = {
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        files
            .par_iter()
            .map(|(path, text)| match text {
                Ok(t) => page::parse(path, t, &cx),
                Err(d) => (None, vec![d.clone()]),
            })
            .collect()
    };
    assemble(root, config, rules, parsed)
}

/// A page parsed on its own, with the problems found in it.
type Parsed = (Option<Page>, Vec<Diagnostic>);

/// Builds the graph from parsed pages.
fn assemble(root: PathBuf, config: Config, rules: RuleSet, parsed: Vec<Parsed>) -> Repo {
    let started = Instant::now();
    let mut diags = Vec::new();
    let mut pages = Vec::with_capacity(parsed.len());
    for (p, d) in parsed {
        diags.extend(d);
        pages.extend(p);
    }
    tracing::debug!(
        pages = pages.len(),
        ms = started.elapsed().as_millis() as u64,
        "parsed"
    );
    diags.extend(crate::layout::folder_warnings(&pages, &config.folders));
    let (graph, dangling) = resolve::build_parts(&pages, &mut diags);
    tracing::debug!(
        nodes = graph.len(),
        edges = graph.edge_count(),
        ms = started.elapsed().as_millis() as u64,
        "graph built"
    );
    Repo {
        root,
        config,
        rules,
        pages,
        graph,
        diags,
        dangling,
    }
}

/// Reads one page, turning unreadable or non-UTF-8 bytes into a located diagnostic.
pub fn read_page(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(root.join(rel)).map_err(|e| {
        Diagnostic::error(
            "unreadable",
            rel,
            Pos::at(1, 1),
            format!("cannot read page: {e}"),
        )
        .expected("a readable file")
        .hint("check the file's permissions")
    })?;
    decode(rel, bytes)
}

pub fn decode(rel: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]).into_owned();
        let line = prefix.matches('\n').count() as u32 + 1;
        let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        Diagnostic::error(
            "not-utf8",
            rel,
            Pos::at(line, col),
            "page is not valid UTF-8",
        )
        .expected("UTF-8 text")
        .hint("re-save the file as UTF-8")
    })
}

/// Loads the repo at `root` from disk.
pub fn load(root: &Path) -> Result<Repo, Vec<Diagnostic>> {
    let started = Instant::now();
    if !root.is_dir() {
        return Err(vec![Diagnostic::error(
            "no-root",
            root,
            Pos::at(1, 1),
            "research repo root is not a folder",
        )
        .expected("a folder holding markdown pages (and optionally rescore.toml)")
        .hint("pass --root DIR or run rescore inside the research repo")]);
    }
    let config_text = match std::fs::read(root.join(FILE_NAME)) {
        Ok(b) => Some(decode(Path::new(FILE_NAME), b).map_err(|d| vec![d])?),
        Err(_) => None,
    };
    let (config, rules) = settings(config_text.as_deref(), &crate::rules::read_from(root))?;
    let paths = walk(root, &config).map_err(|d| vec![d])?;
    let bar = progress(paths.len());
    // Read and parse in one parallel pass, so a page's text is dropped as soon as it is parsed.
    let parsed: Vec<Parsed> = {
        let cx = ParseContext {
            folders: &config.folders,
            scale: &rules.scale,
        };
        paths
            .into_par_iter()
            .progress_with(bar.clone())
            .map(|p| match read_page(root, &p) {
                Ok(text) => page::parse(&p, &text, &cx),
                Err(d) => (None, vec![d]),
            })
            .collect()
    };
    bar.finish_and_clear();
    tracing::debug!(
        pages = parsed.len(),
        ms = started.elapsed().as_millis() as u64,
        "read and parsed"
    );
    let repo = assemble(root.to_path_buf(), config, rules, parsed);
    if config_text.is_none()
        && !repo.has_errors()
        && repo.pages.iter().all(|p| p.kind == PageKind::Note)
    {
        return Err(vec![no_repo(root)]);
    }
    Ok(repo)
}

/// Neither `rescore.toml` nor a concept, thesis or source page: most likely a CI job or a shell
/// in the wrong folder, which must not pass as "nothing is stale".
fn no_repo(root: &Path) -> Diagnostic {
    Diagnostic::error(
        "no-repo",
        root,
        Pos::at(1, 1),
        "no research repo here: no rescore.toml and no concept, thesis or source page",
    )
    .expected("a folder holding rescore.toml, or pages under concepts/, theses/ or sources/ (or with a `kind`)")
    .hint("pass --root DIR to point at the research repo, or run `rescore init` to start one here")
}

/// A progress bar on a terminal for repos big enough to take a second; hidden otherwise.
fn progress(n: usize) -> ProgressBar {
    use std::io::IsTerminal;
    if n < 20_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} reading pages {pos}/{len} {wide_bar}")
    {
        bar.set_style(style);
    }
    bar
}
