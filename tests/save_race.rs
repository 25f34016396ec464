//! No save is lost to a page write: a thesis page is saved editor-style (temp file + rename),
//! hundreds of times, each save without the warning block so that rescore has a block to write
//! every time, while the default command runs over and over, and while the watcher writes. After
//! every save, before the next one, the page must still hold that save's text; at the end it
//! holds the last save and its block. The counts are printed (`--nocapture`) for the record.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rescore::writeback::BEGIN;

const GWM: &str = "concepts/generative-world-models.md";
const THESIS: &str = "theses/realtime-sim-ready.md";
const SAVES: usize = 300;

/// The example after init, with realtime-sim-ready stale, and its page's text without a block.
fn stale_repo() -> (common::TempRepo, String) {
    let repo = common::example_init();
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 20B |");
    assert!(repo
        .ids("stale")
        .contains(&"realtime-sim-ready".to_string()));
    let base = repo.read_str(THESIS);
    assert!(!base.contains(BEGIN));
    (repo, base)
}

fn saved_text(base: &str, i: usize) -> String {
    format!("{base}\nSave {i}.\n")
}

/// The number of the save the page holds.
fn save_number(text: &str) -> Option<usize> {
    let at = text.rfind("\nSave ")?;
    let rest = &text[at + "\nSave ".len()..];
    rest[..rest.find('.')?].parse().ok()
}

/// Saves the page the way an editor does, checking before each save that the previous one is
/// still there: `SAVES` times, and on (up to ten times as long) until `raced` says rescore wrote
/// during the saves, so a slow machine does not make the race vacuous. Returns (saves, lost,
/// saves that found rescore's block).
fn save_in_a_loop(page: &Path, base: &str, raced: impl Fn(usize) -> bool) -> (usize, usize, usize) {
    let tmp: PathBuf = page.with_file_name(".realtime-sim-ready.md.saving");
    let (mut lost, mut with_block) = (0, 0);
    let mut i = 0;
    while i < SAVES || (!raced(with_block) && i < 10 * SAVES) {
        if i > 0 {
            let now = std::fs::read_to_string(page).expect("read the page");
            if save_number(&now) != Some(i - 1) {
                lost += 1;
                eprintln!(
                    "save {} lost: the page holds save {:?}",
                    i - 1,
                    save_number(&now)
                );
            }
            if now.contains(BEGIN) {
                with_block += 1;
            }
        }
        std::fs::write(&tmp, saved_text(base, i)).expect("write the temp file");
        std::fs::rename(&tmp, page).expect("rename over the page");
        // Pacing only: give the writer a chance to land between saves.
        std::thread::sleep(Duration::from_millis(1 + (i % 4) as u64));
        i += 1;
    }
    (i, lost, with_block)
}

#[test]
fn saves_made_while_the_default_command_writes_are_never_lost() {
    let (repo, base) = stale_repo();
    let root = repo.root().to_path_buf();
    let done = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicUsize::new(0));
    let runner = {
        let (root, done, writes) = (root.clone(), done.clone(), writes.clone());
        std::thread::spawn(move || {
            let (mut runs, mut wrote, mut redone, mut handed_back) = (0, 0, 0, 0);
            while !done.load(Ordering::SeqCst) {
                let (code, out, err) = common::run_in(&root, &["-v"]);
                assert_eq!(code, 0, "rescore failed: {err}");
                runs += 1;
                let n = out.matches(&format!("wrote {THESIS}")).count();
                wrote += n;
                writes.fetch_add(n, Ordering::SeqCst);
                redone += err.matches("changed while being written").count();
                handed_back += err.matches("handed back").count();
            }
            (runs, wrote, redone, handed_back)
        })
    };
    let (saves, lost, with_block) = save_in_a_loop(&root.join(THESIS), &base, |_| {
        writes.load(Ordering::SeqCst) > 0
    });
    done.store(true, Ordering::SeqCst);
    let (runs, wrote, redone, handed_back) = runner.join().expect("runner");
    repo.ok(&[], 0);
    let last = repo.read_str(THESIS);
    eprintln!(
        "default command: {saves} saves, {lost} lost; {runs} runs wrote the block {wrote} times \
         ({redone} writes met a save before the swap and were redone, {handed_back} during it); \
         {with_block} saves found the block in place"
    );
    assert_eq!(lost, 0);
    assert!(wrote > 0, "rescore never wrote the block during the saves");
    assert_eq!(save_number(&last), Some(saves - 1), "{last}");
    assert!(last.contains(BEGIN), "{last}");
}

#[test]
fn saves_made_while_the_watcher_writes_are_never_lost() {
    let (repo, base) = stale_repo();
    let root = repo.root().to_path_buf();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_rescore"))
        .args(["--format", "json", "watch", "--debounce", "1", "--root"])
        .arg(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rescore watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("\"event\":\"ready\""));
    assert!(ready, "the watcher did not start");
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});

    let page = root.join(THESIS);
    let (saves, lost, with_block) = save_in_a_loop(&page, &base, |with_block| with_block > 0);
    // The last save gets its block, and keeps its text.
    let end = Instant::now() + Duration::from_secs(30);
    let last = loop {
        let text = std::fs::read_to_string(&page).expect("read");
        if text.contains(BEGIN) || Instant::now() > end {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = watch.kill();
    let _ = watch.wait();
    eprintln!(
        "watcher: {saves} saves, {lost} lost; {with_block} saves found the watcher's block in place"
    );
    assert_eq!(lost, 0);
    assert!(
        with_block > 0,
        "the watcher never wrote the block during the saves"
    );
    assert_eq!(save_number(&last), Some(saves - 1), "{last}");
    assert!(
        last.contains(BEGIN),
        "the watcher did not write the last save's block"
    );
}
