//! The managed warning block rescore writes into a stale thesis page: a `> [!WARNING]` callout
//! between marker comments, right under the title. Bytes outside the block are never touched,
//! and writing the same causes twice changes nothing. Also the one writer of pages
//! (`write_pages`): under the repo lock, a compare-and-swap against the bytes the new text was
//! computed from, so a save made meanwhile is never replaced.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::Diagnostic;
use crate::eval::{Evaluation, Status, Verdict};
use crate::load::Repo;
use crate::lock::{self, Lock, RepoLock};
use crate::managed;
use crate::page::{self, Claim, Page, ParseContext};

pub use managed::{WARNING_BEGIN as BEGIN, WARNING_END as END};

/// The block for a stale thesis, lines without line endings.
pub fn block(v: &Verdict) -> Vec<String> {
    let mut lines = vec![
        BEGIN.to_string(),
        "> [!WARNING]".to_string(),
        "> **Re-score needed.** Evidence under this thesis changed materially since it was scored:"
            .to_string(),
    ];
    for c in &v.causes {
        let line = format!("> - {}", crate::wording::cause_markdown(c));
        // Values are quoted from pages; a line break in one would end the callout.
        lines.push(line.replace(['\r', '\n'], " "));
    }
    lines.push(END.to_string());
    lines
}

/// Whether the lines between the markers are a warning block's: the callout, line by line.
fn warning_shape(lines: &[&str]) -> bool {
    lines.first() == Some(&"> [!WARNING]") && lines.iter().all(|l| l.starts_with('>'))
}

/// Every warning block in the page, each from the blank line before it through its end line
/// (and line ending), as `put` lays it out.
fn find(text: &str) -> Vec<std::ops::Range<usize>> {
    let top = managed::content_start(text);
    managed::blocks(text, BEGIN, END, warning_shape)
        .into_iter()
        .map(|r| {
            let begin = r.start;
            let mut end = managed::past_eol(text, r.end);
            // A block written after a last line without a line ending ends the page without one.
            let at_bare_end = end == r.end && end == text.len();
            let mut start = begin;
            if begin == top {
                // A block at the very top was written with a blank line after it.
                end = managed::past_eol(text, end);
            } else if at_bare_end && text[..start].ends_with("\r\n\r\n") {
                start -= 4;
            } else if at_bare_end && text[..start].ends_with("\n\n") {
                start -= 2;
            } else {
                start = managed::before_blank_line(text, start);
            }
            start..end
        })
        .collect()
}

/// The page with its warning blocks removed (if any).
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in find(text) {
        out.push_str(&text[at..r.start]);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The page with `lines` as its block, placed under the first top-level H1 (else after the
/// front matter, else at the top, past a BOM), in the page's own line endings. `None` for a
/// page whose front matter is never closed (there is no telling where its body starts), or
/// where the block would not read back as one.
pub fn put(text: &str, lines: &[String]) -> Option<String> {
    let clean = strip(text);
    let eol = managed::eol(&clean);
    let body = managed::body_start(&clean)?;
    let top = managed::content_start(&clean);
    let at = managed::after_title(&clean, body).unwrap_or(body);
    let mut block = String::new();
    let before = &clean[..at];
    let at_top = at == top;
    let unterminated = !at_top && !before.ends_with('\n');
    if unterminated {
        block.push_str(eol);
    }
    if !at_top {
        block.push_str(eol);
    }
    for (i, l) in lines.iter().enumerate() {
        block.push_str(l);
        // After a last line without a line ending the block has none either, so `strip` can
        // tell this page from the same page with one and give back the exact bytes.
        if !(unterminated && i + 1 == lines.len()) {
            block.push_str(eol);
        }
    }
    if at_top {
        block.push_str(eol);
    }
    let new = format!("{}{}{}", before, block, &clean[at..]);
    // Only a block that reads back as one is written: anything else would be added again on
    // every run.
    (strip(&new) == clean && find(&new).len() == 1).then_some(new)
}

/// Brings a page's block in line with its verdict. Returns the new text when it changes.
pub fn updated(text: &str, verdict: Option<&Verdict>) -> Option<String> {
    let new = match verdict {
        Some(v) => {
            let lines = block(v);
            if holds(text, &lines) {
                return None;
            }
            put(text, &lines)?
        }
        None => strip(text),
    };
    (new != text).then_some(new)
}

/// Whether the page holds this block and no other (the common case on every run after the
/// first, answered with one parse of the page).
fn holds(text: &str, lines: &[String]) -> bool {
    match managed::blocks(text, BEGIN, END, warning_shape).as_slice() {
        [r] => text[r.clone()].lines().eq(lines.iter().map(String::as_str)),
        _ => false,
    }
}

/// What became of one page write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The page was replaced by this text.
    Written(String),
    /// Already as it should be when looked at under the repo lock.
    Unchanged,
    /// Left as it is, and why.
    Skipped(String),
    /// The write failed.
    Failed(String),
}

/// How often a page that keeps changing under a write is re-read and tried again.
const TRIES: usize = 5;

/// Brings managed blocks up to date without losing a save. For each page (relative to `root`),
/// under the repo lock: read it, let `render` compute its new text from the bytes it holds now
/// (`Ok(None)`: nothing to change; `Err(why)`: leave it, such as when its own content changed
/// since it was evaluated), and replace it only if it still holds exactly those bytes when the
/// new text is in place to be renamed over it. A page that changed meanwhile is read again and
/// rendered again, up to a few times. One function for every page rescore writes: the default
/// command, `accept`, the watcher and `backlinks --write`. Pages are written in parallel (each
/// is its own file, and the repo lock is held for all of them); the outcomes come in `pages`'
/// order.
pub fn write_pages(
    held: &RepoLock,
    root: &Path,
    pages: &[PathBuf],
    render: impl Fn(&Path, &str) -> Result<Option<String>, String> + Sync,
) -> Vec<(PathBuf, Outcome)> {
    let write = || {
        pages
            .par_iter()
            .map(|rel| (rel.clone(), write_page(held, root, rel, &render)))
            .collect()
    };
    match writers() {
        Some(pool) => pool.install(write),
        None => write(),
    }
}

/// Threads that write pages. Each page is synced before it goes in, and a sync waits on the
/// disk far longer than it uses a core, so more writers than cores overlap those waits.
fn writers() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(WRITERS)
            .thread_name(|i| format!("rescore-writer-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Writer threads. On the 2-core benchmark machine (ext4), the watcher's batch that writes 287
/// warning blocks at 100k pages took about half as long on 8 as on the 2 threads of the cores,
/// and on 16 its median went from 67 to 59 ms and its worst from 96 to 68 (four alternating
/// runs of six batches each; 65.5 to 59.5 and 93 to 84 in four more, `dist` builds):
/// concurrent syncs share the filesystem's journal commits. 32 were no quicker than 16.
const WRITERS: usize = 16;

fn write_page(
    held: &RepoLock,
    root: &Path,
    rel: &Path,
    render: &(impl Fn(&Path, &str) -> Result<Option<String>, String> + Sync),
) -> Outcome {
    // Through a symlinked page to its file, so the link stays a link.
    let path = match std::fs::canonicalize(root.join(rel)) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Outcome::Skipped("it is gone".into())
        }
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    for _ in 0..TRIES {
        let (bytes, stamp) = match lock::read_stamped(&path) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Outcome::Skipped("it is gone".into())
            }
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Outcome::Skipped("it is no longer UTF-8 text".into());
        };
        let new = match render(rel, text) {
            Ok(Some(new)) => new,
            Ok(None) => return Outcome::Unchanged,
            Err(why) => return Outcome::Skipped(why),
        };
        match lock::replace_if_unchanged(held, &path, stamp, &bytes, new.as_bytes()) {
            Ok(true) => return Outcome::Written(new),
            Ok(false) => {
                tracing::debug!(path = %rel.display(), "changed while being written: again")
            }
            Err(e) => return Outcome::Failed(e.to_string()),
        }
    }
    Outcome::Skipped("it kept changing while rescore wrote it".into())
}

/// Whether a page, parsed from what it holds now, still has the content its verdict or block
/// was computed from: the same kind, id, title, score, front matter keys that make edges, and
/// (with `detail`, when the evaluated page kept its links, claims and rows) the same links,
/// claims and rows. Prose and the managed blocks may differ.
pub fn same_inputs(old: &Page, new: &Page, detail: bool) -> bool {
    let head = old.kind == new.kind
        && old.id.to_lowercase() == new.id.to_lowercase()
        && old.title == new.title
        && old.score().map(f64::to_bits) == new.score().map(f64::to_bits)
        && old.status == new.status
        && old.part_of == new.part_of
        && old.depends_on() == new.depends_on()
        && old.retracted() == new.retracted()
        && old.superseded_by() == new.superseded_by();
    if !head || !detail {
        return head;
    }
    fn same<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(x, y))
    }
    old.links.same_targets(&new.links)
        && same(&old.claims, &new.claims, |a, b| {
            fn said(c: &Claim) -> Option<(&str, Option<&str>, &str)> {
                let m = c.material.as_deref()?;
                Some((&m.level, m.qualifier.as_deref(), &m.text))
            }
            (&a.id, &a.bare_sources, said(a)) == (&b.id, &b.bare_sources, said(b))
        })
        && same(&old.rows, &new.rows, |a, b| {
            (&a.id, &a.value) == (&b.id, &b.value)
        })
}

/// `Err(why)` when the page at `rel`, as `text`, is not the page `repo` evaluated any more.
pub fn check_unchanged(repo: &Repo, rel: &Path, text: &str, detail: bool) -> Result<(), String> {
    let changed = || "it changed while rescore ran; the next run updates its block".to_string();
    let old = repo.page_at(rel).ok_or_else(changed)?;
    let cx = ParseContext {
        folders: &repo.config.folders,
        scale: &repo.rules.scale,
    };
    match page::parse(rel, text, &cx) {
        (Some(new), _) if same_inputs(old, &new, detail) => Ok(()),
        _ => Err(changed()),
    }
}

/// The theses whose page's warning block differs from their verdict, as the pages are now.
pub fn out_of_date<'a>(root: &Path, verdicts: &'a [Verdict]) -> Vec<&'a Verdict> {
    verdicts
        .par_iter()
        .filter(|v| {
            std::fs::read_to_string(root.join(&v.path))
                .is_ok_and(|text| updated(&text, stale(v)).is_some())
        })
        .collect()
}

fn stale(v: &Verdict) -> Option<&Verdict> {
    (v.status == Status::Stale).then_some(v)
}

/// Writes the warning blocks of `verdicts`' pages (see `write_pages`). A page is left when a
/// save since it was evaluated changed its links, claims or rows as well as its front matter:
/// every load keeps a thesis page's (`load::Keep`).
pub fn write_theses(
    held: &RepoLock,
    root: &Path,
    repo: &Repo,
    verdicts: &[&Verdict],
) -> Vec<(PathBuf, Outcome)> {
    let by_path: std::collections::HashMap<&Path, &Verdict> = verdicts
        .iter()
        .map(|v| (Path::new(v.path.as_str()), *v))
        .collect();
    let paths: Vec<PathBuf> = verdicts.iter().map(|v| PathBuf::from(&v.path)).collect();
    write_pages(held, root, &paths, |rel, text| {
        let v = by_path.get(rel).ok_or_else(|| "no verdict".to_string())?;
        check_unchanged(repo, rel, text, true)?;
        Ok(updated(text, stale(v)))
    })
}

/// Takes the repo lock for a write: every page and lock write happens while it is held.
pub fn repo_lock(root: &Path) -> Result<RepoLock, Diagnostic> {
    RepoLock::acquire(root).map_err(|e| Diagnostic::lock_failed(&e))
}

/// Removes temp files left by interrupted writes next to the lock and every page (a killed
/// `backlinks --write` leaves them beside concept pages).
pub fn sweep_temps(held: &RepoLock, root: &Path, repo: &Repo) {
    let dirs = temp_dirs(root, repo.pages.iter().map(|p| &*p.path));
    lock::sweep_temps(held, dirs.iter().map(PathBuf::as_path));
}

/// `rescore`: brings the warning block of every thesis page in line with its verdict, under
/// the repo lock. An accept may have moved baselines since `eval` was made against `read`:
/// the blocks follow the lock as it is once held.
pub fn update_blocks(
    root: &Path,
    repo: &Repo,
    read: &Lock,
    eval: Evaluation,
) -> Result<Vec<(PathBuf, Outcome)>, Diagnostic> {
    let held = repo_lock(root)?;
    sweep_temps(&held, root, repo);
    let now = Lock::read(root)?.unwrap_or_else(Lock::new);
    let eval = if &now == read {
        eval
    } else {
        crate::eval::evaluate(repo, &now)
    };
    let todo = out_of_date(root, &eval.verdicts);
    Ok(write_theses(&held, root, repo, &todo))
}

/// `backlinks --write`: each concept page's backlinks block as `changes` computed it, under
/// the repo lock; a page whose content changed since it was loaded is left alone.
pub fn write_backlinks(
    root: &Path,
    repo: &Repo,
    changes: &[crate::backlinks::Change],
) -> Result<Vec<(PathBuf, Outcome)>, Diagnostic> {
    let held = repo_lock(root)?;
    sweep_temps(&held, root, repo);
    let paths: Vec<PathBuf> = changes.iter().map(|c| c.path.clone()).collect();
    let by_path: std::collections::HashMap<&Path, &crate::backlinks::Change> =
        changes.iter().map(|c| (c.path.as_path(), c)).collect();
    Ok(write_pages(&held, root, &paths, |rel, text| {
        let c = by_path.get(rel).ok_or_else(|| "no change".to_string())?;
        check_unchanged(repo, rel, text, false)?;
        let new = crate::backlinks::put(text, c.lines.as_deref())
            .ok_or_else(|| "its block cannot be placed".to_string())?;
        Ok((new != text).then_some(new))
    }))
}

/// The folders temp files of interrupted writes may be left in: the root, the lock's shard
/// folder and each page's.
pub fn temp_dirs<'a>(root: &'a Path, pages: impl Iterator<Item = &'a Path>) -> Vec<PathBuf> {
    // Pages in path order share their folder with the page before: only a change of folder,
    // compared as bytes, goes into the set, which compares paths component by component.
    let mut last: Option<&Path> = None;
    let parents: std::collections::BTreeSet<&Path> = pages
        .filter_map(|p| p.parent())
        .filter(|d| {
            let new = last.is_none_or(|l| l.as_os_str() != d.as_os_str());
            last = Some(d);
            new
        })
        .collect();
    let mut dirs: Vec<PathBuf> = [root.to_path_buf(), root.join(crate::lock::DIR)]
        .into_iter()
        .chain(parents.into_iter().map(|d| root.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Cause;
    use crate::rules::Severity;

    #[test]
    fn temp_dirs_name_each_folder_once_whatever_the_order_of_the_pages() {
        let root = Path::new("/repo");
        let pages = ["b/x.md", "a/y.md", "b/z.md", "b/w.md", "a/v.md", "top.md"];
        let dirs = temp_dirs(root, pages.iter().map(Path::new));
        let want: Vec<PathBuf> = ["/repo", "/repo/a", "/repo/b"]
            .iter()
            .map(PathBuf::from)
            .chain([root.join(crate::lock::DIR)])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(dirs, want);
    }

    fn verdict() -> Verdict {
        Verdict {
            thesis: "t".into(),
            path: "theses/t.md".into(),
            line: 4,
            status: Status::Stale,
            causes: vec![Cause {
                rule: "evidence-down".into(),
                field: "evidence",
                severity: Severity::Major,
                node: "c#x".into(),
                was: None,
                before: "strong".into(),
                after: "weak".into(),
                detail: None,
                via: vec![],
            }],
            waiting_on: vec![],
            ix: None,
        }
    }

    #[test]
    fn put_then_strip_gives_back_the_exact_bytes() {
        for page in [
            "+++\nkind = \"thesis\"\n+++\n# Title\n\nBody text.\n",
            "+++\r\nkind = \"thesis\"\r\n+++\r\n# Title\r\n\r\nBody.\r\n",
            "No title, no newline at end",
            "+++\nscore = 1\n+++\nno heading\n",
        ] {
            let with = put(page, &block(&verdict())).expect("placed");
            assert!(with.contains("[!WARNING]"));
            assert_eq!(strip(&with), page);
        }
    }

    #[test]
    fn a_block_written_by_the_previous_version_is_read_back() {
        // Byte for byte what rescore 0.1 wrote under a title: an upgrade finds it, replaces it
        // in place, and adds no second one.
        let page = "# T\n\n<!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->\n\
                    > [!WARNING]\n\
                    > **Re-score needed.** Evidence under this thesis changed materially since it was scored:\n\
                    > - `c#x`: value ~64% → ~41% (−36%, rule value-shift, major)\n\
                    <!-- rescore:end -->\n\nBody.\n";
        assert_eq!(strip(page), "# T\n\nBody.\n");
        let now = updated(page, Some(&verdict())).expect("new causes");
        assert_eq!(now.matches(BEGIN).count(), 1);
        assert_eq!(strip(&now), "# T\n\nBody.\n");
    }

    #[test]
    fn writing_twice_is_idempotent() {
        let page = "# Title\n\nBody.\n";
        let once = put(page, &block(&verdict())).expect("placed");
        assert_eq!(updated(&once, Some(&verdict())), None);
    }

    #[test]
    fn crlf_pages_get_crlf_blocks() {
        let with = put("# T\r\nx\r\n", &block(&verdict())).expect("placed");
        assert!(!with.replace("\r\n", "").contains('\n'));
    }

    fn tiny_repo(thesis: &str) -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("theses")).expect("mkdir");
        std::fs::write(dir.path().join("theses/t.md"), thesis).expect("write");
        let repo = crate::load::load(dir.path()).expect("loads");
        (dir, repo)
    }

    const THESIS: &str = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\nProse.\n";

    #[test]
    fn a_page_is_still_the_evaluated_one_after_a_prose_edit_but_not_after_a_score_edit() {
        let (_dir, repo) = tiny_repo(THESIS);
        let rel = Path::new("theses/t.md");
        let prose = THESIS.replace("Prose.", "Other prose, and a block:\n\n> quote");
        assert_eq!(check_unchanged(&repo, rel, &prose, true), Ok(()));
        let score = THESIS.replace("0.5", "0.7");
        assert!(check_unchanged(&repo, rel, &score, false).is_err());
        let title = THESIS.replace("# T", "# Another title");
        assert!(check_unchanged(&repo, rel, &title, false).is_err());
        assert!(check_unchanged(&repo, rel, "+++\nbroken", false).is_err());
    }

    #[test]
    fn a_save_landing_during_the_write_is_kept_and_written_around() {
        let (dir, repo) = tiny_repo(THESIS);
        let rel = PathBuf::from("theses/t.md");
        let page = dir.path().join(&rel);
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let saved = THESIS.replace("Prose.", "Saved meanwhile.");
        let calls = std::sync::atomic::AtomicU32::new(0);
        let out = write_pages(
            &held,
            dir.path(),
            std::slice::from_ref(&rel),
            |rel, text| {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    // An editor saves (temp file + rename) after rescore read the page.
                    let tmp = page.with_extension("saving");
                    std::fs::write(&tmp, &saved).expect("write");
                    std::fs::rename(&tmp, &page).expect("rename");
                }
                check_unchanged(&repo, rel, text, true)?;
                Ok(updated(text, Some(&verdict())))
            },
        );
        assert_eq!(calls.into_inner(), 2, "the page was not read again");
        let now = std::fs::read_to_string(&page).expect("read");
        assert_eq!(out, vec![(rel, Outcome::Written(now.clone()))]);
        assert!(
            now.contains("Saved meanwhile.") && now.contains("[!WARNING]"),
            "{now}"
        );
        assert_eq!(strip(&now), saved);
    }

    /// Syncing a page waits on the disk, not a core: pages are written on more threads than
    /// there are cores.
    #[test]
    fn pages_are_written_on_the_writer_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pages: Vec<PathBuf> = (0..4).map(|i| PathBuf::from(format!("t{i}.md"))).collect();
        for p in &pages {
            std::fs::write(dir.path().join(p), "# T\n").expect("write");
        }
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let names = std::sync::Mutex::new(Vec::new());
        let out = write_pages(&held, dir.path(), &pages, |_, text| {
            let name = std::thread::current().name().map(str::to_string);
            names.lock().expect("names").push(name);
            Ok(Some(format!("{text}more\n")))
        });
        assert!(out.iter().all(|(_, o)| matches!(o, Outcome::Written(_))));
        let names = names.into_inner().expect("names");
        assert_eq!(names.len(), 4);
        assert!(
            names.iter().all(|n| n
                .as_deref()
                .is_some_and(|n| n.starts_with("rescore-writer-"))),
            "{names:?}"
        );
        assert_eq!(
            writers().map(rayon::ThreadPool::current_num_threads),
            Some(WRITERS)
        );
    }

    /// As a one-shot command loads (`open::repo`), a thesis page keeps its links: a save that
    /// points one elsewhere while the command runs is not written around with the old verdict.
    #[test]
    fn a_save_that_changes_a_link_is_kept_and_the_page_skipped() {
        let thesis = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n- [[c]]\n";
        let (dir, _) = tiny_repo(thesis);
        std::fs::create_dir_all(dir.path().join("concepts")).expect("mkdir");
        for id in ["c", "d"] {
            let text =
                format!("+++\nkind = \"concept\"\n+++\n# {id}\n\n- A claim.\n  Evidence: strong\n");
            std::fs::write(dir.path().join(format!("concepts/{id}.md")), text).expect("write");
        }
        let Ok((repo, _)) = crate::open::repo(dir.path(), false) else {
            panic!("the repo does not open");
        };
        let page = dir.path().join("theses/t.md");
        let relinked = thesis.replace("[[c]]", "[[d]]");
        std::fs::write(&page, &relinked).expect("write");
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let out = write_theses(&held, dir.path(), &repo, &[&verdict()]);
        assert!(matches!(out[0].1, Outcome::Skipped(_)), "{out:?}");
        assert_eq!(std::fs::read_to_string(&page).expect("read"), relinked);
    }

    #[test]
    fn a_save_that_changes_the_score_is_kept_and_the_page_skipped() {
        let (dir, repo) = tiny_repo(THESIS);
        let rel = PathBuf::from("theses/t.md");
        let page = dir.path().join(&rel);
        let held = RepoLock::acquire(dir.path()).expect("lock");
        let rescored = THESIS.replace("0.5", "0.8");
        std::fs::write(&page, &rescored).expect("write");
        let out = write_pages(
            &held,
            dir.path(),
            std::slice::from_ref(&rel),
            |rel, text| {
                check_unchanged(&repo, rel, text, true)?;
                Ok(updated(text, Some(&verdict())))
            },
        );
        assert!(matches!(out[0].1, Outcome::Skipped(_)), "{out:?}");
        assert_eq!(std::fs::read_to_string(&page).expect("read"), rescored);
    }
}
