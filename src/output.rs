//! How output is printed, decided once from the command line for reports and diagnostics
//! alike: whether `-q` keeps only errors, and whether it is coloured. Colour:
//! `--color always|never` wins; under `auto`, `CLICOLOR_FORCE` (set, not `0`) forces colour,
//! else `NO_COLOR` (set, not empty) turns it off, else colour goes to a terminal only. The
//! order of the two variables is the one clap's own help follows.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();
static QUIET: OnceLock<bool> = OnceLock::new();

/// Records the command line's choices; the first call wins.
pub fn set(choice: ColorChoice, quiet: bool) {
    let _ = CHOICE.set(choice);
    let _ = QUIET.set(quiet);
}

/// `-q`: only errors are printed.
pub fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

/// Colour on stdout.
pub fn stdout() -> bool {
    decide(std::io::stdout().is_terminal())
}

/// Colour on stderr.
pub fn stderr() -> bool {
    decide(std::io::stderr().is_terminal())
}

fn decide(terminal: bool) -> bool {
    let force = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    resolve(
        CHOICE.get().copied().unwrap_or_default(),
        terminal,
        force,
        no_color,
    )
}

fn resolve(choice: ColorChoice, terminal: bool, force: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => force || (!no_color && terminal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_clicolor_force_then_no_color_then_the_terminal() {
        use ColorChoice::*;
        assert!(resolve(Always, false, false, true));
        assert!(!resolve(Never, true, true, false));
        assert!(resolve(Auto, false, true, true));
        assert!(!resolve(Auto, true, false, true));
        assert!(resolve(Auto, true, false, false));
        assert!(!resolve(Auto, false, false, false));
    }
}
