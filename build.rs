//! Puts the commit into `--version` (`0.1.0 (abc1234)`) when the source is a git checkout and
//! git is at hand; any other build gets the plain version and never fails for want of git.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    println!("cargo:rerun-if-changed=build.rs");
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => {
            println!("cargo:rustc-env=RESCORE_VERSION={version} ({commit})");
            // Rebuild when HEAD moves: HEAD itself, and the branch file it points at. A path
            // that does not exist would make cargo rerun this on every build, so none is named.
            let branch = git(&["symbolic-ref", "-q", "HEAD"]);
            for path in std::iter::once("HEAD").chain(branch.as_deref()) {
                if let Some(p) = git(&["rev-parse", "--git-path", path]) {
                    if std::path::Path::new(&p).exists() {
                        println!("cargo:rerun-if-changed={p}");
                    }
                }
            }
        }
        None => println!("cargo:rustc-env=RESCORE_VERSION={version}"),
    }
}
