//! The files that ship rescore and run it elsewhere, parsed and held to the keys that matter:
//! the release and CI workflows of this repo, the example workflow for research repos, the
//! pre-commit hooks and the Python packaging. Nothing here needs the network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_file(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_saphyr::from_str::<Value>(&read(rel))
        .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

fn steps<'a>(workflow: &'a Value, job: &str) -> &'a [Value] {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("job {job} has no steps: {workflow:#}"))
}

/// The one step that uses an action whose name starts with `action`.
fn step_using<'a>(steps: &'a [Value], action: &str) -> &'a Value {
    let found: Vec<&Value> = steps
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect();
    assert_eq!(found.len(), 1, "steps using {action}: {found:#?}");
    found[0]
}

/// The one step whose script contains `needle`.
fn step_running<'a>(steps: &'a [Value], needle: &str) -> &'a Value {
    let found: Vec<&Value> = steps
        .iter()
        .filter(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
        .collect();
    assert_eq!(found.len(), 1, "steps running {needle:?}: {found:#?}");
    found[0]
}

fn position(steps: &[Value], step: &Value) -> usize {
    steps
        .iter()
        .position(|s| std::ptr::eq(s, step))
        .expect("a step of this job")
}

fn run(step: &Value) -> &str {
    step["run"].as_str().expect("a run script")
}

const EXAMPLE: &str = "examples/ci/github-actions.yml";
const RELEASE: &str = ".github/workflows/release.yml";

#[test]
fn the_example_workflow_runs_the_gate_against_the_pr_base() {
    let wf = yaml(EXAMPLE);
    assert!(wf["on"]["pull_request"].is_null() || wf["on"]["pull_request"].is_object());
    let steps = steps(&wf, "rescore");
    let checkout = step_using(steps, "actions/checkout@");
    assert_eq!(
        checkout["with"]["fetch-depth"], 0,
        "full history for --base"
    );
    let gate = step_running(steps, "rescore check --base");
    let script = run(gate);
    assert!(
        script.contains(r#"rescore check --base "origin/$BASE_REF" --format github"#),
        "{script}"
    );
    assert_eq!(gate["env"]["BASE_REF"], "${{ github.base_ref }}");
    assert!(
        script.contains(r#"export PATH="$HOME/.rescore/bin:$PATH""#),
        "the gate runs the installed binary: {script}"
    );
}

#[test]
fn the_example_workflow_saves_its_cache_on_the_default_branch_and_after_a_failed_gate() {
    let wf = yaml(EXAMPLE);
    let branches = wf["on"]["push"]["branches"]
        .as_array()
        .expect("runs on pushes to the default branch, where PRs can restore its cache");
    assert!(branches.contains(&Value::from("main")), "{branches:?}");

    let steps = steps(&wf, "rescore");
    let restore = step_using(steps, "actions/cache/restore@");
    let save = step_using(steps, "actions/cache/save@");
    let install = step_running(steps, "cargo install --locked");
    let gate = step_running(steps, "rescore check --base");

    let key = restore["with"]["key"].as_str().expect("a cache key");
    assert!(
        key.contains("${{ env.RESCORE_VERSION }}"),
        "the key changes with the version: {key}"
    );
    assert!(key.contains("${{ runner.os }}") && key.contains("${{ runner.arch }}"));
    assert_eq!(
        save["with"]["key"],
        format!(
            "${{{{ steps.{}.outputs.cache-primary-key }}}}",
            restore["id"].as_str().expect("restore id")
        ),
        "the save step stores under the key that was looked up"
    );
    assert_eq!(save["with"]["path"], restore["with"]["path"]);
    assert_eq!(restore["with"]["path"], "~/.rescore/bin");

    assert_eq!(
        install["if"],
        format!(
            "steps.{}.outputs.cache-hit != 'true'",
            restore["id"].as_str().expect("id")
        )
    );
    let save_if = save["if"].as_str().expect("the save step has a condition");
    assert!(
        save_if.starts_with("always()"),
        "saved even when the gate failed: {save_if}"
    );
    assert!(save_if.contains("cache-hit != 'true'"), "{save_if}");
    assert!(position(steps, restore) < position(steps, install));
    assert!(position(steps, install) < position(steps, gate));
    assert!(position(steps, gate) < position(steps, save));
}

#[test]
fn the_example_workflow_installs_a_checked_release_binary_of_the_pinned_version() {
    let wf = yaml(EXAMPLE);
    let version = wf["env"]["RESCORE_VERSION"]
        .as_str()
        .expect("RESCORE_VERSION pinned as a string");
    let cargo_version = read("Cargo.toml")
        .parse::<toml::Table>()
        .expect("Cargo.toml")["workspace"]["package"]["version"]
        .as_str()
        .expect("workspace version")
        .to_owned();
    assert_eq!(
        version, cargo_version,
        "the example pins the version this checkout releases"
    );
    assert_eq!(wf["env"]["RESCORE_REPO"], "${{ vars.RESCORE_REPO }}");

    let install = run(step_running(
        steps(&wf, "rescore"),
        "cargo install --locked",
    ));
    for needle in [
        r#"release="https://github.com/$RESCORE_REPO/releases/download/v$RESCORE_VERSION""#,
        r#"shasum -a 256 --check "$archive.sha256""#,
        r#"--tag "v$RESCORE_VERSION""#,
        "::error title=rescore::set the repository variable RESCORE_REPO",
    ] {
        assert!(install.contains(needle), "{needle} missing from\n{install}");
    }
}

/// The archive names of a script, with its variables for version and target filled in.
fn archive_names(script: &str, vars: [&str; 2]) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once("=\"rescore-v")?;
            let name = format!("rescore-v{}", rest.trim_end_matches('"'));
            Some(name.replace(vars[0], "1.2.3").replace(vars[1], "TARGET"))
        })
        .collect()
}

fn release_targets() -> BTreeSet<String> {
    let wf = yaml(RELEASE);
    wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a build matrix")
        .iter()
        .map(|m| m["target"].as_str().expect("target").to_owned())
        .collect()
}

#[test]
fn the_example_workflow_fetches_archives_the_release_publishes() {
    let example = yaml(EXAMPLE);
    let install = run(step_running(
        steps(&example, "rescore"),
        "cargo install --locked",
    ));
    let release = yaml(RELEASE);
    let archive = run(step_running(steps(&release, "build"), "tar -czf"));

    let fetched = archive_names(install, ["$RESCORE_VERSION", "$target"]);
    let published = archive_names(archive, ["$VERSION", "$TARGET"]);
    assert_eq!(fetched, ["rescore-v1.2.3-TARGET.tar.gz"], "{install}");
    assert_eq!(published, ["rescore-v1.2.3-TARGET"], "{archive}");
    assert!(archive.contains(r#"archive="$name.tar.gz""#), "{archive}");

    let targets = release_targets();
    let mapped: Vec<&str> = install
        .lines()
        .filter_map(|l| l.split_once(") target=")?.1.strip_suffix(" ;;"))
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(mapped.len(), 4, "{install}");
    for t in mapped {
        assert!(
            targets.contains(t),
            "the release builds no {t}: {targets:?}"
        );
    }
}

#[test]
fn the_release_builds_six_targets_into_wheels_and_checksummed_archives() {
    let wf = yaml(RELEASE);
    let tags = wf["on"]["push"]["tags"].as_array().expect("runs on tags");
    assert_eq!(tags, &[Value::from("v[0-9]+.[0-9]+.[0-9]+*")]);

    let expected: BTreeSet<String> = [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "aarch64-pc-windows-msvc",
    ]
    .map(String::from)
    .into();
    assert_eq!(release_targets(), expected);

    let build = steps(&wf, "build");
    let maturin = step_using(build, "PyO3/maturin-action@");
    assert_eq!(maturin["with"]["target"], "${{ matrix.target }}");
    let args = maturin["with"]["args"].as_str().expect("maturin args");
    assert!(
        args.contains("--profile dist") && args.contains("--locked"),
        "{args}"
    );
    assert_eq!(maturin["with"]["manylinux"], "2_17");

    let smoke = step_running(build, "pip install --no-index --find-links dist rescore");
    assert_eq!(smoke["if"], "matrix.runs_here");
    let smoke = run(smoke);
    assert!(
        smoke.contains("python -m venv"),
        "a fresh virtualenv: {smoke}"
    );
    assert!(
        smoke.contains(r#""$bin/rescore" check --root examples/world-models"#),
        "{smoke}"
    );
    let archive = run(step_running(build, "tar -czf"));
    assert!(
        archive.contains(r#"sha256sum "$archive" > "$archive.sha256""#),
        "{archive}"
    );
    assert!(archive.contains(r#"7z a -tzip "$archive""#), "{archive}");
    // The binary archived is the one the wheel was built with.
    for bin in ["rescore", "rescore.exe"] {
        let built = format!("../target/$TARGET/dist/{bin}");
        assert!(archive.contains(&built), "{archive}");
    }

    let version = run(&steps(&wf, "version")[1]);
    assert!(
        version.contains(r#""$GITHUB_REF_NAME" != "v$version""#),
        "{version}"
    );
}

#[test]
fn the_release_publishes_only_from_a_tag() {
    let wf = yaml(RELEASE);
    let jobs = &wf["jobs"];
    for job in ["github-release", "pypi"] {
        assert_eq!(jobs[job]["if"], "github.ref_type == 'tag'", "{job}");
        assert_eq!(
            jobs[job]["needs"],
            serde_json::json!(["build", "sdist"]),
            "{job}"
        );
    }
    assert_eq!(wf["permissions"]["contents"], "read");

    let release = &jobs["github-release"];
    assert_eq!(release["permissions"]["contents"], "write");
    let release_steps = steps(&wf, "github-release");
    let sums = run(step_running(release_steps, "SHA256SUMS"));
    assert!(sums.contains("sha256sum --check SHA256SUMS"), "{sums}");
    let create = run(step_running(release_steps, "gh release create"));
    assert!(create.contains("release/*"), "{create}");

    let pypi = &jobs["pypi"];
    assert_eq!(
        pypi["permissions"]["id-token"], "write",
        "trusted publishing"
    );
    assert_eq!(pypi["environment"], "pypi");
    step_using(steps(&wf, "pypi"), "pypa/gh-action-pypi-publish@release/v1");
    let sdist = step_using(steps(&wf, "sdist"), "PyO3/maturin-action@");
    assert_eq!(sdist["with"]["command"], "sdist");
}

#[test]
fn the_ci_workflow_runs_the_ci_script_and_the_wheel_script() {
    let wf = yaml(".github/workflows/ci.yml");
    assert!(wf["on"]["pull_request"].is_null() || wf["on"]["pull_request"].is_object());
    assert_eq!(wf["on"]["push"]["branches"], serde_json::json!(["main"]));
    let ci = steps(&wf, "ci");
    assert_eq!(run(step_running(ci, ".ci/run")), ".ci/run");
    let toolchain = step_using(ci, "dtolnay/rust-toolchain@");
    assert_eq!(toolchain["with"]["components"], "rustfmt, clippy");

    let wheel = &wf["jobs"]["wheel"];
    assert_eq!(
        wheel["strategy"]["matrix"]["os"],
        serde_json::json!(["ubuntu-latest", "macos-14", "windows-latest"])
    );
    let script = step_running(steps(&wf, "wheel"), "packaging/build-wheel.sh");
    assert_eq!(script["shell"], "bash");

    for script in [".ci/run", "packaging/build-wheel.sh"] {
        let status = std::process::Command::new("bash")
            .arg("-n")
            .arg(repo_file(script))
            .status()
            .expect("bash runs");
        assert!(status.success(), "{script} is not valid bash");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(repo_file(script))
                .expect("script")
                .permissions()
                .mode();
            assert!(mode & 0o111 != 0, "{script} is not executable");
        }
    }
}

#[test]
fn the_wheel_script_installs_into_a_fresh_virtualenv_and_runs_the_installed_binary() {
    let script = read("packaging/build-wheel.sh");
    for needle in [
        r#"-m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2""#,
        r#""$build_bin/maturin" build --release --out "$work/dist""#,
        r#""$python" -m venv "$work/try""#,
        r#"-m pip install --quiet --disable-pip-version-check --no-index "$wheel""#,
        "rescore --version",
        r#"rescore check --root "$repo/examples/world-models""#,
    ] {
        assert!(script.contains(needle), "{needle} missing from the script");
    }
}

#[test]
fn pyproject_builds_a_wheel_that_carries_the_binary() {
    let py = read("pyproject.toml")
        .parse::<toml::Table>()
        .expect("pyproject.toml is TOML");
    assert_eq!(
        py["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(py["project"]["name"].as_str(), Some("rescore"));
    let dynamic = py["project"]["dynamic"].as_array().expect("dynamic");
    assert!(
        dynamic.contains(&toml::Value::from("version")),
        "the version comes from Cargo.toml: {dynamic:?}"
    );
    let maturin = &py["tool"]["maturin"];
    assert_eq!(maturin["bindings"].as_str(), Some("bin"));
    assert_eq!(
        maturin["locked"].as_bool(),
        Some(true),
        "builds from source use Cargo.lock"
    );
}

#[test]
fn the_pre_commit_hooks_use_the_installed_rescore_or_build_it_locked() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let hook = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    for (installed, from_source, entry, files) in [
        (
            "rescore-check",
            "rescore-check-from-source",
            "rescore check",
            r"\.md$|rescore\.(toml|lock)$",
        ),
        (
            "rescore-backlinks",
            "rescore-backlinks-from-source",
            "rescore backlinks --check",
            r"\.md$",
        ),
    ] {
        let installed = hook(installed);
        assert_eq!(
            installed["language"], "unsupported",
            "runs the rescore on PATH"
        );
        assert_eq!(installed["minimum_pre_commit_version"], "4.4.0");
        let from_source = hook(from_source);
        assert_eq!(
            from_source["language"], "python",
            "pip builds pyproject.toml's wheel, with Cargo.lock"
        );
        for h in [installed, from_source] {
            assert_eq!(h["entry"], entry);
            assert_eq!(h["files"], files);
            assert_eq!(h["pass_filenames"], false);
        }
    }
    for h in hooks {
        for key in ["id", "name", "entry", "language", "description"] {
            assert!(h[key].is_string(), "hook {h} lacks {key}");
        }
        assert_ne!(
            h["language"], "rust",
            "pre-commit's rust language runs cargo install without --locked"
        );
    }
}

#[test]
fn the_readme_names_every_way_to_install() {
    let readme = read("README.md");
    for needle in [
        "pip install rescore",
        "rescore-vX.Y.Z-TARGET.tar.gz",
        "cargo install --locked --path .",
        "packaging/build-wheel.sh",
    ] {
        assert!(readme.contains(needle), "README lacks {needle:?}");
    }
}
