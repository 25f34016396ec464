//! The warm-check cache in `.rescore/cache/`: a warm `check` answers exactly as a cold one, an
//! edit is always seen (even one that keeps the size and the mtime), a damaged or unwritable
//! cache is ignored, two runs at once are safe, and `--dry-run` / `--no-cache` write none.

mod common;

use std::path::Path;

use common::{example_init, TempRepo};

const CACHE: &str = ".rescore/cache/check";
const PAGES: &str = ".rescore/cache/pages";

/// Makes the example's physics-wall thesis (and those citing the same claim) stale.
fn drop_vsb_evidence(repo: &TempRepo) {
    repo.edit(
        "concepts/generative-world-models.md",
        "Evidence: strong ([[VideoScience-Bench]])",
        "Evidence: weak ([[VideoScience-Bench]])",
    );
}

/// A repo with stale theses and a warning, so every output stream has something in it.
fn repo_with_findings() -> TempRepo {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    repo.write(
        "drafts/maybe.md",
        "+++\nscore = 0.4\n+++\n# A thesis without a kind\n",
    );
    repo
}

/// `check ARGS` with `-v`: whether the cache answered.
fn answered_from_cache(repo: &TempRepo, args: &[&str]) -> bool {
    let mut all = vec!["-v", "check"];
    all.extend_from_slice(args);
    let (_, _, err) = repo.run(&all);
    err.contains("check cache: hit")
}

fn check(repo: &TempRepo, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    repo.run(&all)
}

#[test]
fn a_warm_check_prints_byte_for_byte_what_a_cold_one_does() {
    let repo = repo_with_findings();
    for format in [
        &[][..],
        &["--format", "json"],
        &["--format", "github"],
        &["--format", "junit"],
        &["-q"],
    ] {
        let uncached = check(&repo, &[format, &["--no-cache"]].concat());
        assert!(!repo.path(".rescore").exists(), "--no-cache wrote a cache");
        let cold = check(&repo, format);
        assert!(repo.path(CACHE).is_file(), "a cold check stored no cache");
        let warm = check(&repo, format);
        assert_eq!(cold, uncached, "{format:?}");
        assert_eq!(warm, cold, "{format:?}");
        assert_eq!(cold.0, 1, "{format:?}: {cold:?}");
        // `-q` keeps the log quiet too: there the hit is seen in the other formats only.
        if format != ["-q"] {
            assert!(answered_from_cache(&repo, format), "{format:?}");
        }
        std::fs::remove_dir_all(repo.path(".rescore")).expect("remove the cache");
    }
    let (_, out, err) = check(&repo, &[]);
    assert!(out.contains("stale"), "{out}");
    assert!(err.contains("score-on-note"), "{err}");
}

#[test]
fn each_output_option_has_its_own_outcome() {
    let repo = repo_with_findings();
    let human = check(&repo, &[]);
    let json = check(&repo, &["--format", "json"]);
    assert_ne!(human.1, json.1);
    assert_eq!(check(&repo, &[]), human);
    assert_eq!(check(&repo, &["--format", "json"]), json);
    let coloured = repo.run(&["--color", "always", "check"]);
    assert!(coloured.1.contains("\u{1b}["), "{coloured:?}");
    assert_eq!(repo.run(&["--color", "always", "check"]), coloured);
    assert_eq!(check(&repo, &[]), human);
}

#[test]
fn an_edit_that_keeps_size_and_mtime_is_still_seen() {
    let repo = example_init();
    let page = repo.path("concepts/generative-world-models.md");
    let (code, ..) = check(&repo, &[]);
    assert_eq!(code, 0);
    assert!(answered_from_cache(&repo, &[]));
    let mtime = std::fs::metadata(&page)
        .and_then(|m| m.modified())
        .expect("mtime");
    let before = std::fs::read(&page).expect("read");
    repo.edit(
        "concepts/generative-world-models.md",
        "score only ~64% (Sora-2)",
        "score only ~14% (Sora-2)",
    );
    let after = std::fs::read(&page).expect("read");
    assert_eq!(before.len(), after.len());
    std::fs::File::options()
        .write(true)
        .open(&page)
        .and_then(|f| f.set_modified(mtime))
        .expect("restore the mtime");
    assert_eq!(
        std::fs::metadata(&page).and_then(|m| m.modified()).ok(),
        Some(mtime)
    );
    let (code, out, err) = check(&repo, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("physics-wall"), "{out}");
    assert_eq!(check(&repo, &["--no-cache"]), (code, out, err));
}

#[test]
fn settings_lock_and_the_set_of_pages_are_part_of_the_key() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    assert_eq!(check(&repo, &[]).0, 1);
    // The lock moves: accepted, nothing is stale.
    repo.ok(&["accept", "--all"], 0);
    assert_eq!(check(&repo, &[]).0, 0);
    // A new page, with a dangling link: an error now.
    repo.write(
        "theses/new.md",
        "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# New\n\n- [[No Such Concept]]\n",
    );
    let (code, _, err) = check(&repo, &[]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_file(repo.path("theses/new.md")).expect("remove");
    assert_eq!(check(&repo, &[]).0, 0);
    // The settings: a bad key in rescore.toml is an error, whatever the cache holds.
    let toml = repo.read_str("rescore.toml");
    repo.write("rescore.toml", format!("{toml}\nno_such_setting = 1\n"));
    let uncached = check(&repo, &["--no-cache"]);
    assert_eq!(check(&repo, &[]), uncached);
    repo.write("rescore.toml", toml);
    assert_eq!(check(&repo, &[]).0, 0);
    assert!(answered_from_cache(&repo, &[]));
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_rebuilt() {
    let repo = repo_with_findings();
    let cold = check(&repo, &[]);
    let good = std::fs::read(repo.path(CACHE)).expect("a cache");
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let mut other_version = good.clone();
    other_version[7] = 0x7f;
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("one byte short", good[..good.len() - 1].to_vec()),
        ("a flipped byte", flipped),
        ("another format", other_version),
        (
            "another program's file",
            b"\x7fELF\x02\x01\x01 not a cache".to_vec(),
        ),
        ("text", b"stale physics-wall\n".to_vec()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(repo.path(CACHE), &bytes).expect("damage");
        assert_eq!(check(&repo, &[]), cold, "{what}");
        assert_eq!(
            std::fs::read(repo.path(CACHE)).expect("rebuilt"),
            good,
            "{what}"
        );
        assert!(answered_from_cache(&repo, &[]), "{what}");
    }
    // A folder where the file should be: ignored, and the run still answers.
    std::fs::remove_file(repo.path(CACHE)).expect("remove");
    std::fs::create_dir(repo.path(CACHE)).expect("mkdir");
    assert_eq!(check(&repo, &[]), cold);
}

#[test]
fn an_unwritable_cache_folder_only_costs_speed() {
    let repo = repo_with_findings();
    let cold = check(&repo, &["--no-cache"]);
    // A file where the cache folder should be: nothing can be stored, nothing fails.
    std::fs::write(repo.path(".rescore"), "not a folder").expect("write");
    assert_eq!(check(&repo, &[]), cold);
    let (_, _, err) = repo.run(&["-v", "check"]);
    assert!(err.contains("check cache: not stored"), "{err}");
    assert_eq!(check(&repo, &[]), cold);
    assert_eq!(repo.read_str(".rescore"), "not a folder");
}

#[cfg(unix)]
#[test]
fn a_read_only_cache_folder_only_costs_speed() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_with_findings();
    let cold = check(&repo, &[]);
    let folder = repo.path(".rescore/cache");
    std::fs::remove_file(repo.path(CACHE)).expect("remove");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    assert_eq!(check(&repo, &[]), cold);
    assert_eq!(check(&repo, &[]), cold);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn two_checks_at_once_both_answer_and_leave_a_whole_cache() {
    let repo = repo_with_findings();
    let expected = check(&repo, &["--no-cache"]);
    for round in 0..4 {
        if round % 2 == 0 {
            let _ = std::fs::remove_dir_all(repo.path(".rescore"));
        }
        let spawn = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_rescore"))
                .arg("--root")
                .arg(repo.root())
                .arg("check")
                .current_dir(repo.root())
                .env("NO_COLOR", "1")
                .env_remove("RUST_LOG")
                .env_remove("GITHUB_STEP_SUMMARY")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().expect("wait");
            let got = (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            assert_eq!(got, expected, "round {round}");
        }
        assert_eq!(check(&repo, &[]), expected, "round {round}");
        assert!(answered_from_cache(&repo, &[]), "round {round}");
    }
    // No temp file is left behind beside the cache.
    let left: Vec<_> = std::fs::read_dir(repo.path(".rescore/cache"))
        .expect("the cache folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        left,
        ["check", "pages"].map(std::ffi::OsString::from).to_vec()
    );
    assert_eq!(common::temp_files(&repo.path(PAGES)), Vec::<String>::new());
}

#[test]
fn the_cache_folder_ignores_itself_and_is_never_read_as_pages() {
    let repo = repo_with_findings();
    let cold = check(&repo, &[]);
    assert_eq!(
        repo.read_str(".rescore/.gitignore").lines().last(),
        Some("*")
    );
    // A markdown file inside it is no page of the research repo.
    repo.write(
        ".rescore/cache/stray.md",
        "+++\nkind = \"thesis\"\n+++\n# Stray\n",
    );
    assert_eq!(check(&repo, &["--no-cache"]), cold);
}

#[test]
fn git_sees_no_untracked_file_after_a_check() {
    let repo = repo_with_findings();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(repo.root())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "research"]);
    check(&repo, &[]);
    assert!(repo.path(CACHE).is_file());
    assert_eq!(git(&["status", "--porcelain"]), "");
    assert_eq!(
        git(&["status", "--porcelain", "--ignored"]),
        "!! .rescore/\n"
    );
}

#[test]
fn dry_run_and_no_cache_write_no_cache() {
    let repo = repo_with_findings();
    let expected = check(&repo, &["--no-cache"]);
    assert_eq!(repo.run(&["--dry-run", "check"]), expected);
    assert!(!repo.path(".rescore").exists());
    for value in ["1", "true"] {
        let out = common::rescore_in(repo.root())
            .arg("check")
            .env("RESCORE_NO_CACHE", value)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(!repo.path(".rescore").exists(), "RESCORE_NO_CACHE={value}");
    }
    // Read-only commands leave no cache either.
    for args in [
        &["ls"][..],
        &["why", "physics-wall"],
        &["graph"],
        &["rules"],
    ] {
        repo.run(args);
        assert!(!Path::new(&repo.path(".rescore")).exists(), "{args:?}");
    }
    // With a cache present, --no-cache does not consult it.
    check(&repo, &[]);
    let (_, _, err) = repo.run(&["-v", "check", "--no-cache"]);
    assert!(!err.contains("check cache"), "{err}");
}

#[test]
fn another_build_of_rescore_does_not_answer_from_this_ones_outcome() {
    let repo = repo_with_findings();
    let expected = check(&repo, &[]);
    let other = tempfile::tempdir().expect("tempdir");
    let copy = other.path().join("rescore");
    std::fs::copy(env!("CARGO_BIN_EXE_rescore"), &copy).expect("copy the binary");
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&copy)
        .and_then(|f| f.set_modified(past))
        .expect("set the copy's mtime");
    let run_copy = |args: &[&str]| {
        let mut command = std::process::Command::new(&copy);
        command
            .arg("--root")
            .arg(repo.root())
            .args(args)
            .current_dir(repo.root())
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env_remove("GITHUB_STEP_SUMMARY");
        // A test thread forking while the copy was open for writing holds it open in the
        // child until that child execs ("text file busy"): wait for that to pass.
        let mut tries = 0;
        let out = loop {
            match command.output() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                done => break done.expect("run the copy"),
            }
        };
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (_, _, log) = run_copy(&["-v", "check"]);
    assert!(log.contains("check cache: miss (binary changed)"), "{log}");
    assert!(log.contains("parse cache: 0 of "), "{log}");
    assert_eq!(run_copy(&["check"]), expected);
    let (_, _, log) = repo.run(&["-v", "check"]);
    assert!(log.contains("check cache: miss (binary changed)"), "{log}");
}

/// `-v check ARGS`: (pages taken from the parse cache, pages read), from its log.
fn reused(repo: &TempRepo, args: &[&str]) -> (usize, usize) {
    let mut all = vec!["-v", "check"];
    all.extend_from_slice(args);
    let (_, _, err) = repo.run(&all);
    let line = err
        .lines()
        .find_map(|l| l.split_once("parse cache: ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no parse cache line in:\n{err}"));
    let mut numbers = line.split(' ').filter_map(|w| w.parse::<usize>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(taken), Some(read)) => (taken, read),
        _ => panic!("{line}"),
    }
}

/// Adds a sentence to a page without changing what it says: the check cache misses, and only
/// this page needs parsing again.
fn touch_page(repo: &TempRepo, page: &str, n: usize) {
    let text = repo.read_str(page);
    repo.write(page, format!("{text}\nSee also note {n}.\n"));
}

#[test]
fn after_one_edited_page_only_that_page_is_parsed_and_the_output_is_a_cold_runs() {
    let repo = repo_with_findings();
    let (taken, read) = reused(&repo, &[]);
    assert_eq!(taken, 0, "the first run had nothing to take");
    for (round, format) in [&[][..], &["--format", "json"], &["--format", "github"]]
        .into_iter()
        .enumerate()
    {
        touch_page(&repo, "concepts/generative-world-models.md", round);
        let warm = check(&repo, format);
        assert_eq!(
            warm,
            check(&repo, &[format, &["--no-cache"]].concat()),
            "{format:?}"
        );
        assert_eq!(warm.0, 1, "{warm:?}");
        touch_page(&repo, "concepts/generative-world-models.md", round + 10);
        // The page with a warning (drafts/maybe.md) is parsed every time, like the edited one.
        assert_eq!(reused(&repo, format), (read - 2, read), "{format:?}");
    }
    // A material edit on a page is seen, and a page gone is gone; the others come from the
    // cache.
    repo.edit(
        "concepts/generative-world-models.md",
        "Evidence: weak ([[VideoScience-Bench]])",
        "Evidence: strong ([[VideoScience-Bench]])",
    );
    std::fs::remove_file(repo.path("drafts/maybe.md")).expect("remove");
    let warm = check(&repo, &[]);
    assert_eq!(warm.0, 0, "{warm:?}");
    assert_eq!(warm, check(&repo, &["--no-cache"]));
    drop_vsb_evidence(&repo);
    assert_eq!(reused(&repo, &[]), (read - 2, read - 1));
    let warm = check(&repo, &["--format", "json"]);
    assert_eq!(warm.0, 1, "{warm:?}");
    assert_eq!(warm, check(&repo, &["--format", "json", "--no-cache"]));
}

#[test]
fn a_same_size_edit_with_the_mtime_restored_is_parsed_again() {
    let repo = example_init();
    let page = "concepts/generative-world-models.md";
    let (_, read) = reused(&repo, &[]);
    let mtime = std::fs::metadata(repo.path(page))
        .and_then(|m| m.modified())
        .expect("mtime");
    repo.edit(page, "score only ~64% (Sora-2)", "score only ~14% (Sora-2)");
    std::fs::File::options()
        .write(true)
        .open(repo.path(page))
        .and_then(|f| f.set_modified(mtime))
        .expect("restore the mtime");
    assert_eq!(reused(&repo, &[]), (read - 1, read));
    let (code, out, _) = check(&repo, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("physics-wall"), "{out}");
}

#[test]
fn damaged_shards_are_ignored_and_rebuilt() {
    let repo = repo_with_findings();
    let expected = check(&repo, &["--no-cache"]);
    let (_, read) = reused(&repo, &[]);
    let shards: Vec<std::path::PathBuf> = std::fs::read_dir(repo.path(PAGES))
        .expect("the shards")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(shards.len() > 1, "{shards:?}");
    for (i, shard) in shards.iter().enumerate() {
        let good = std::fs::read(shard).expect("read");
        let damaged = match i % 4 {
            0 => good[..good.len() / 2].to_vec(),
            1 => Vec::new(),
            2 => {
                let mut b = good.clone();
                let last = b.len() - 1;
                b[last] ^= 0x20;
                b
            }
            _ => b"not a shard".to_vec(),
        };
        std::fs::write(shard, damaged).expect("damage");
    }
    touch_page(&repo, "theses/physics-wall.md", 0);
    let (_, _, log) = repo.run(&["-v", "check"]);
    assert!(log.contains("ignored (not a whole shard"), "{log}");
    assert!(
        log.contains(&format!("parse cache: 0 of {read} pages reused")),
        "{log}"
    );
    touch_page(&repo, "theses/physics-wall.md", 1);
    let warm = check(&repo, &[]);
    assert_eq!(warm, check(&repo, &["--no-cache"]));
    assert_eq!(warm.0, expected.0);
    touch_page(&repo, "theses/physics-wall.md", 2);
    assert_eq!(reused(&repo, &[]), (read - 2, read));
}

#[test]
fn a_page_with_an_error_is_never_stored_and_reports_its_error_every_run() {
    let repo = example_init();
    repo.write(
        "concepts/broken.md",
        "+++\nkind = \"concpt\"\n+++\n# Broken\n",
    );
    let (_, read) = reused(&repo, &[]);
    for n in 0..3 {
        touch_page(&repo, "theses/physics-wall.md", n);
        let (code, _, err) = check(&repo, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("concepts/broken.md:2:"), "{err}");
        assert!(err.contains("unknown-kind"), "{err}");
        touch_page(&repo, "theses/physics-wall.md", n + 10);
        assert_eq!(reused(&repo, &[]), (read - 2, read));
    }
}

#[test]
fn settings_that_change_how_pages_parse_bypass_the_stored_pages() {
    let repo = example_init();
    let (_, read) = reused(&repo, &[]);
    let toml = repo.read_str("rescore.toml");
    repo.write(
        "rescore.toml",
        format!("{toml}\n[folders]\nconcept = [\"sources\"]\nsource = [\"concepts\"]\n"),
    );
    assert_eq!(reused(&repo, &[]).0, 0);
    assert_eq!(check(&repo, &[]), check(&repo, &["--no-cache"]));
    repo.write("rescore.toml", toml);
    assert_eq!(reused(&repo, &[]), (0, read));
    touch_page(&repo, "theses/physics-wall.md", 0);
    assert_eq!(reused(&repo, &[]), (read - 1, read));
}

#[test]
fn two_checks_at_once_after_an_edit_leave_whole_shards() {
    let repo = repo_with_findings();
    check(&repo, &[]);
    for round in 0..4 {
        touch_page(&repo, "concepts/generative-world-models.md", round);
        let expected = check(&repo, &["--no-cache"]);
        let spawn = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_rescore"))
                .arg("--root")
                .arg(repo.root())
                .arg("check")
                .current_dir(repo.root())
                .env("NO_COLOR", "1")
                .env_remove("RUST_LOG")
                .env_remove("GITHUB_STEP_SUMMARY")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().expect("wait");
            let got = (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            assert_eq!(got, expected, "round {round}");
        }
        let (_, _, log) = repo.run(&["-v", "check", "--format", "json"]);
        assert!(!log.contains("ignored"), "round {round}: {log}");
        assert!(log.contains("parse cache: "), "round {round}: {log}");
        assert!(common::temp_files(&repo.path(PAGES)).is_empty());
    }
}

/// A temp file in the cache folder, its mtime `age` ago.
fn temp_file(repo: &TempRepo, rel: &str, age: std::time::Duration) {
    repo.write(rel, b"half a cache file");
    let file = std::fs::File::options()
        .write(true)
        .open(repo.path(rel))
        .expect("open");
    file.set_modified(std::time::SystemTime::now() - age)
        .expect("set mtime");
}

#[test]
fn temp_files_a_killed_check_left_are_swept_and_live_ones_kept() {
    let repo = repo_with_findings();
    check(&repo, &[]);
    let hours = std::time::Duration::from_secs(2 * 3600);
    let now = std::time::Duration::ZERO;
    temp_file(&repo, ".rescore/cache/.rescore-cache-dead.partial", hours);
    temp_file(&repo, ".rescore/cache/.tmpOld123", hours);
    temp_file(
        &repo,
        ".rescore/cache/pages/.rescore-cache-dead.partial",
        hours,
    );
    temp_file(&repo, ".rescore/cache/.rescore-cache-live.partial", now);
    temp_file(
        &repo,
        ".rescore/cache/pages/.rescore-cache-live.partial",
        now,
    );
    temp_file(&repo, ".rescore/cache/notes-of-mine", hours);
    // An edit makes the next check store a new outcome and rewrite a shard.
    repo.edit(
        "concepts/generative-world-models.md",
        "Evidence: weak ([[VideoScience-Bench]])",
        "Evidence: moderate ([[VideoScience-Bench]])",
    );
    let (_, _, err) = repo.run(&["-v", "check"]);
    assert!(err.contains("check cache: stored"), "{err}");
    for gone in [
        ".rescore/cache/.rescore-cache-dead.partial",
        ".rescore/cache/.tmpOld123",
        ".rescore/cache/pages/.rescore-cache-dead.partial",
    ] {
        assert!(!repo.path(gone).exists(), "{gone} was not swept");
    }
    for kept in [
        ".rescore/cache/.rescore-cache-live.partial",
        ".rescore/cache/pages/.rescore-cache-live.partial",
        ".rescore/cache/notes-of-mine",
    ] {
        assert!(repo.path(kept).exists(), "{kept} was removed");
    }
}
