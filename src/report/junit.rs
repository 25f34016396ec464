//! JUnit XML: one test case per thesis, and the document of a run stopped by bad input.

use std::fmt::Write as _;
use std::path::Path;

use crate::ci;
use crate::diag::Diagnostic;
use crate::eval::{Evaluation, Status};
use crate::wording;

/// JUnit XML: one test case per thesis, failing when it is not clean; then, when the input has
/// warnings, a `warnings` suite with one passing case per warning, its text in `system-out`.
pub(super) fn verdicts(eval: &Evaluation, warnings: &[Diagnostic], prefix: &Path) -> String {
    let esc = xml_escape;
    let failures = eval
        .verdicts
        .iter()
        .filter(|v| v.status != Status::Clean)
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rescore\" tests=\"{}\" failures=\"{failures}\">",
        eval.verdicts.len() + warnings.len()
    );
    let _ = writeln!(out, "  <testsuite name=\"theses\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">", eval.verdicts.len());
    for v in &eval.verdicts {
        let _ = write!(
            out,
            "    <testcase classname=\"rescore.thesis\" name=\"{}\" file=\"{}\" line=\"{}\"",
            esc(&v.thesis),
            esc(&ci::ci_path(prefix, &v.path)),
            v.line
        );
        if v.status == Status::Clean {
            out.push_str("/>\n");
            continue;
        }
        let body = wording::body(v).join("\n");
        let kind = wording::status(v.status);
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{kind}\">{}</failure>\n    </testcase>",
            esc(&wording::title(v)),
            esc(&body)
        );
    }
    out.push_str("  </testsuite>\n");
    if !warnings.is_empty() {
        let _ = writeln!(out, "  <testsuite name=\"warnings\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"0\">", warnings.len());
        for w in warnings {
            let _ = writeln!(
                out,
                "    <testcase classname=\"rescore.warning\" name=\"{} {}\" file=\"{}\" line=\"{}\">\n      <system-out>{}</system-out>\n    </testcase>",
                esc(w.code.as_str()),
                esc(&w.location()),
                esc(&ci::ci_path(prefix, &w.path.to_string_lossy())),
                w.line,
                esc(&format!("warning[{}]: {}: {}", w.code, w.location(), w.message))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text made safe for an XML attribute or element. Control characters that XML 1.0 cannot
/// carry at all (a page may hold them) become U+FFFD, so the document always parses.
fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() && (c as u32) < 0x20 => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit for a run stopped by bad input: one failing case per error; warnings pass, their text
/// in `system-out`.
pub(super) fn failed_input(diags: &[Diagnostic], prefix: &Path) -> String {
    let esc = xml_escape;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rescore\" tests=\"{}\" failures=\"{errors}\">",
        diags.len()
    );
    let _ = writeln!(out, "  <testsuite name=\"input\" tests=\"{}\" failures=\"{errors}\" errors=\"0\" skipped=\"0\">", diags.len());
    for d in diags {
        let text = format!(
            "{}[{}]: {}: {} (expected {}){}",
            if d.is_error() { "error" } else { "warning" },
            d.code,
            d.location(),
            d.message,
            d.expected,
            d.hint
                .as_deref()
                .map(|h| format!(" hint: {h}"))
                .unwrap_or_default()
        );
        let _ = write!(
            out,
            "    <testcase classname=\"rescore.input\" name=\"{} {}\" file=\"{}\" line=\"{}\">\n      ",
            esc(d.code.as_str()),
            esc(&d.location()),
            esc(&ci::ci_path(prefix, &d.path.to_string_lossy())),
            d.line
        );
        if d.is_error() {
            let _ = writeln!(
                out,
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                esc(&d.message),
                esc(d.code.as_str()),
                esc(&text)
            );
        } else {
            let _ = writeln!(out, "<system-out>{}</system-out>", esc(&text));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            super::xml_escape("a\u{1}b\u{1b}[31m<c>\t\"&"),
            "a\u{FFFD}b\u{FFFD}[31m&lt;c&gt;\t&quot;&amp;"
        );
    }
}
