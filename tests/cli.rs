//! A CLI that explains itself: help with examples and exit codes, completions, the man page,
//! `--color` with NO_COLOR / CLICOLOR_FORCE, `-q`, `--version`, the `rules` table, and what the
//! bare command says after writing.

mod common;

use assert_cmd::Command;
use common::{example, tiny};

const UNSCORED: &str = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\nA position.\n";

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("rescore").expect("the rescore binary");
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG");
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn help_shows_examples_and_exit_codes() {
    insta::assert_snapshot!("check_help", stdout(bin().args(["check", "--help"])));
    insta::assert_snapshot!("why_help", stdout(bin().args(["why", "--help"])));
    let main = stdout(bin().arg("--help"));
    for needle in ["Exit codes:", "Examples:", "pending", "--dry-run"] {
        assert!(main.contains(needle), "{needle} missing from:\n{main}");
    }
}

#[test]
fn every_command_has_examples_in_its_help() {
    use clap::CommandFactory;
    for sub in rescore::cli::Cli::command().get_subcommands() {
        let name = sub.get_name();
        let text = stdout(bin().args([name, "--help"]));
        assert!(
            text.contains("Example"),
            "`rescore {name} --help` has no example:\n{text}"
        );
    }
}

#[test]
fn bash_completions_name_the_subcommands() {
    let text = stdout(bin().args(["completions", "bash"]));
    for sub in ["check", "accept", "why", "watch", "completions"] {
        assert!(text.contains(sub), "{sub} missing from the completions");
    }
}

#[test]
fn the_man_page_renders_as_roff() {
    let text = stdout(bin().arg("man"));
    assert!(text.contains(".TH rescore 1"), "{text}");
    assert!(text.contains("accept"), "{text}");
    assert!(text.contains("Exit codes"), "{text}");
}

#[test]
fn version_names_the_package_version() {
    let text = stdout(bin().arg("--version"));
    assert!(
        text.starts_with(&format!("rescore {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn colour_follows_the_flag_then_clicolor_force_then_no_color() {
    let repo = tiny(&[("theses/t.md", UNSCORED)]);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = bin();
        cmd.arg("--root").arg(repo.root()).arg("check").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runs");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let coloured = |s: &str| s.contains('\u{1b}');
    // Not a terminal: plain by default.
    assert!(!coloured(&run(&[], &[])));
    assert!(coloured(&run(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(coloured(&run(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!coloured(&run(&[], &[("CLICOLOR_FORCE", "0")])));
    assert!(coloured(&run(&["--color", "always"], &[("NO_COLOR", "1")])));
    assert!(!coloured(&run(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));
}

#[test]
fn quiet_prints_only_errors() {
    let repo = example();
    repo.ok(&["init"], 0);
    repo.edit("concepts/generative-world-models.md", "~64%", "~41%");
    for args in [
        &["-q"][..],
        &["-q", "check"],
        &["-q", "--dry-run"],
        &["-q", "accept", "--all"],
        &["-q", "backlinks"],
    ] {
        let (_, out, err) = repo.run(args);
        assert_eq!((out.as_str(), err.as_str()), ("", ""), "{args:?}");
    }
    // An error still shows.
    repo.write(
        "theses/broken.md",
        "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# B\n\n- [[ghost]]\n",
    );
    let (code, out, err) = repo.run(&["-q", "check"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("link-to-no-page"), "{err}");
}

#[test]
fn rules_columns_line_up() {
    let repo = tiny(&[("theses/t.md", UNSCORED)]);
    let text = repo.ok(&["rules"], 0);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "{text}");
    // Each column starts where it starts on the first line.
    let starts = |line: &str| -> Vec<usize> {
        let chars: Vec<char> = line.chars().collect();
        (2..chars.len())
            .filter(|&i| chars[i] != ' ' && chars[i - 1] == ' ' && chars[i - 2] == ' ')
            .take(3)
            .collect()
    };
    let first = starts(lines[0]);
    assert_eq!(first.len(), 3, "{}", lines[0]);
    for l in &lines {
        assert_eq!(starts(l), first, "misaligned:\n{text}");
    }
}

#[test]
fn the_bare_command_says_what_it_wrote_and_how_to_look_first() {
    let repo = example();
    repo.ok(&["init"], 0);
    repo.edit("concepts/generative-world-models.md", "~64%", "~41%");
    let (_, out, err) = repo.run(&[]);
    assert!(out.contains("wrote theses/"), "{out}");
    assert!(err.contains("updated the warning block of"), "{err}");
    assert!(err.contains("rescore --dry-run"), "{err}");
}

#[test]
fn init_writes_a_config_that_names_no_file_outside_the_repo() {
    let repo = tiny(&[("theses/t.md", UNSCORED)]);
    repo.ok(&["init"], 0);
    let config = repo.read_str("rescore.toml");
    assert!(!config.contains("docs/"), "{config}");
}

#[test]
fn accept_names_the_theses_it_made_stale() {
    let source = "+++\nkind = \"source\"\n+++\n# Paper\n";
    let concept = "+++\nkind = \"concept\"\n+++\n# C\n\n- Models score ~64% on the benchmark. {#score}\n  Evidence: strong ([[Paper]])\n";
    let up = "+++\nkind = \"thesis\"\nscore = 0.6\n+++\n# Up\n\n- [[c#score]]\n";
    let down = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# Down\n\n- Builds on [[up]]\n";
    let repo = tiny(&[
        ("sources/paper.md", source),
        ("concepts/c.md", concept),
        ("theses/up.md", up),
        ("theses/down.md", down),
    ]);
    repo.ok(&["init"], 0);
    repo.edit("concepts/c.md", "~64%", "~41%");
    repo.edit("theses/up.md", "score = 0.6", "score = 0.3");
    // `down` waits on `up`: drawn pending.
    let dot = repo.ok(&["graph"], 0);
    let down_node = dot
        .lines()
        .find(|l| l.contains("label=\"down\""))
        .expect("down drawn");
    assert!(down_node.contains("fillcolor=\"#fde68a\""), "{dot}");
    let out = repo.ok(&["--dry-run", "accept", "up"], 0);
    assert!(
        out.contains("would make down stale (theses/down.md:"),
        "{out}"
    );
    let out = repo.ok(&["accept", "up"], 0);
    assert!(out.contains("accepted up at score 0.3"), "{out}");
    assert!(out.contains("made down stale (theses/down.md:"), "{out}");
    assert!(out.contains("then `rescore accept down`"), "{out}");
}

#[test]
fn graph_marks_stale_and_pending_theses_and_the_cause_path() {
    let repo = example();
    repo.ok(&["init"], 0);
    let clean = repo.ok(&["graph"], 0);
    assert!(!clean.contains("#dc2626"), "nothing is marked while clean");
    repo.edit("concepts/generative-world-models.md", "~64%", "~41%");

    let dot = repo.ok(&["graph"], 0);
    let node = |key: &str| {
        dot.lines()
            .find(|l| l.contains(&format!("label=\"{key}\"")))
            .unwrap_or_else(|| panic!("no node {key}:\n{dot}"))
            .to_string()
    };
    assert!(
        node("physics-wall").contains("fillcolor=\"#fecaca\""),
        "{dot}"
    );
    assert!(
        node("generative-world-models#videoscience-bench").contains("color=\"#dc2626\""),
        "{dot}"
    );
    assert!(
        dot.lines()
            .any(|l| l.contains(" -> ") && l.contains("penwidth=2")),
        "no edge on the cause path:\n{dot}"
    );

    let mermaid = repo.ok(&["graph", "--format", "mermaid"], 0);
    assert!(mermaid.contains("classDef stale "), "{mermaid}");
    assert!(
        mermaid
            .lines()
            .any(|l| l.starts_with("  class n") && l.ends_with(" stale")),
        "{mermaid}"
    );
    assert!(mermaid.contains("  linkStyle "), "{mermaid}");
}

#[test]
fn a_format_a_command_cannot_write_is_refused() {
    for (args, refused) in [
        (
            &["check", "--format", "mermaid"][..],
            "invalid value 'mermaid' for '--format <FORMAT>'",
        ),
        (
            &["why", "physics-wall", "--format", "github"][..],
            "[possible values: human, json]",
        ),
        (
            &["ls", "--format", "github"][..],
            "[possible values: human, json]",
        ),
        (
            &["graph", "--format", "json"][..],
            "[possible values: dot, mermaid]",
        ),
        (
            &["rules", "--format", "junit"][..],
            "unexpected argument '--format'",
        ),
        // Written before the command's name, it is still that command's format.
        (
            &["--format", "junit", "watch"][..],
            "`rescore watch` writes human, json",
        ),
        (
            &["--format", "json", "rules"][..],
            "`rescore rules` takes no --format",
        ),
        (
            &["--format", "mermaid", "graph"][..],
            "invalid value 'mermaid'",
        ),
    ] {
        let out = common::rescore_in(&common::example_dir())
            .args(args)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(refused), "{args:?}: {err}");
    }
}

#[test]
fn a_format_before_the_command_name_is_that_commands_format() {
    let out = common::rescore_in(&common::example_dir())
        .args(["--format", "json", "ls", "--kind", "thesis"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        doc["nodes"].as_array().is_some_and(|n| !n.is_empty()),
        "{doc}"
    );
}

#[test]
fn help_colour_follows_the_color_flag() {
    let help = |args: &[&str]| {
        let out = common::rescore_in(&common::example_dir())
            .args(args)
            .env("CLICOLOR_FORCE", "1")
            .env_remove("NO_COLOR")
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(help(&["--color", "always", "--help"]).contains('\u{1b}'));
    assert!(!help(&["--color", "never", "--help"]).contains('\u{1b}'));
    assert!(!help(&["check", "--help", "--color=never"]).contains('\u{1b}'));
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_text_is_refused_not_a_crash() {
    use std::os::unix::ffi::OsStrExt;
    let out = common::rescore_in(&common::example_dir())
        .arg("why")
        .arg(std::ffi::OsStr::from_bytes(b"\xffid"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid UTF-8"));
}
