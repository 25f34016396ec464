//! The settings stage of loading: the shipped rules, the rule files `rescore.toml` names (read
//! through the caller, from disk or from a git tree) and its own overrides, merged into the
//! rules in force. Every problem is reported where it is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

use crate::config::{keys_of, toml_error, Config, Reader, RulesConfig};
use crate::diag::{did_you_mean, Code, Diagnostic, Pos};
use crate::rules::{
    check_rule, check_threshold, checked_scale, RuleSet, RuleSpec, Scale, ScaleSpec, DEFAULT_RULES,
};
use crate::textdiff::{Classifier, TextSpec};
use crate::toml_spans::KeySpans;

/// A rule file as read: its scale, its rules with their index in `[[rule]]`, where its keys
/// are, and what was wrong in it.
#[derive(Default)]
struct RuleFile {
    scale: Option<ScaleSpec>,
    rule: Vec<(usize, RuleSpec)>,
    text: Option<TextSpec>,
    spans: KeySpans,
}

impl RuleFile {
    /// Reads a rule file rule by rule: a bad rule or key costs only itself.
    fn read(text: &str, path: &Path, diags: &mut Vec<Diagnostic>) -> RuleFile {
        let known = rule_file_keys();
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                diags.push(toml_error(text, path, "rule file", &known, &e));
                return RuleFile::default();
            }
        };
        let mut r = Reader::new(text, path, "rule file", &known);
        let mut file = RuleFile::default();
        for (key, value) in doc.get_ref() {
            match key.get_ref().as_ref() {
                "scale" => file.scale = r.take(value),
                "rule" => file.rule = r.rules_list(value),
                "text" => file.text = r.take(value),
                other => r.unknown(other, key.span(), "", TABLES),
            }
        }
        diags.append(&mut r.diags);
        file.spans = KeySpans::of_table(text, doc.get_ref());
        file
    }
}

/// The tables of a rule file.
const TABLES: &[&str] = &["scale", "rule", "text"];

/// The keys a rule file may hold, at any depth, for "did you mean".
fn rule_file_keys() -> Vec<&'static str> {
    let mut keys = TABLES.to_vec();
    keys.extend(keys_of::<ScaleSpec>());
    keys.extend(keys_of::<RuleSpec>());
    keys.extend(keys_of::<TextSpec>());
    keys
}

/// The shipped rules with the research repo's files and overrides applied. Every problem is
/// reported, located where it is written; the set returned leaves out what was wrong (a bad
/// rule, a bad threshold override, a bad alias) so pages can still be read with it. `read`
/// fetches a rule file relative to the root (from disk or from a git tree).
pub fn rule_set(
    config: &Config,
    config_path: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
) -> (RuleSet, Vec<Diagnostic>) {
    let spans = &config.spans;
    let mut diags = Vec::new();
    let shipped_path = Path::new("rules/default.toml");
    let shipped = RuleFile::read(DEFAULT_RULES, shipped_path, &mut diags);
    let shipped_spans = shipped.spans;
    let shipped_scale = shipped.scale.clone();
    let mut words = shipped.text.clone().unwrap_or_default();
    let mut scale = Placed {
        path: shipped_path.to_path_buf(),
        spans: shipped_spans.clone(),
        value: shipped.scale.unwrap_or(ScaleSpec {
            levels: Vec::new(),
            aliases: BTreeMap::new(),
        }),
    };
    let mut rules: Vec<(RuleSpec, Origin)> = Vec::new();
    let add = |rules: &mut Vec<(RuleSpec, Origin)>, r: RuleSpec, o: Origin| match rules
        .iter_mut()
        .find(|(old, _)| old.name == r.name)
    {
        Some(old) => *old = (r, o),
        None => rules.push((r, o)),
    };
    for (i, r) in shipped.rule {
        let o = Origin::of(shipped_path, &shipped_spans, &format!("rule[{i}]"));
        add(&mut rules, r, o);
    }
    for (n, file) in config.rules.files.iter().enumerate() {
        let Some(text) = read(file) else {
            diags.push(
                Diagnostic::error(
                    Code::MissingRuleFile,
                    config_path,
                    spans.of(&format!("rules.files[{n}]")),
                    format!(
                        "rule file {} does not exist or cannot be read",
                        file.display()
                    ),
                )
                .expected("a readable rule file, as a path relative to the research repo root")
                .hint("fix or remove the entry in rules.files"),
            );
            continue;
        };
        let rf = RuleFile::read(&text, file, &mut diags);
        if let Some(t) = &rf.text {
            words.overlay(t);
        }
        for (i, r) in rf.rule {
            let o = Origin::of(file, &rf.spans, &format!("rule[{i}]"));
            add(&mut rules, r, o);
        }
        if let Some(s) = rf.scale {
            scale = Placed {
                path: file.clone(),
                spans: rf.spans,
                value: s,
            };
        }
    }
    for (i, r) in &config.rules.rule {
        let o = Origin::of(config_path, spans, &format!("rules.rule[{i}]"));
        add(&mut rules, r.clone(), o);
    }
    if let Some(t) = &config.text {
        words.overlay(t);
    }
    if let Some(s) = &config.scale {
        scale = Placed {
            path: config_path.to_path_buf(),
            spans: spans.clone(),
            value: s.clone(),
        };
    }
    let names: Vec<String> = rules.iter().map(|(r, _)| r.name.clone()).collect();
    let unknown = |name: &str, what: &str, at: Pos| {
        let d = Diagnostic::error(
            Code::UnknownRule,
            config_path,
            at,
            format!("{what} names no rule `{name}`"),
        )
        .expected("the name of a shipped or added rule");
        match did_you_mean(name, names.iter().map(String::as_str)) {
            Some(near) => d.hint(format!("did you mean `{near}`?")),
            None => d.hint(format!("rules are: {}", names.join(", "))),
        }
    };
    for (i, name) in config.rules.disable.iter().enumerate() {
        if !names.contains(name) {
            diags.push(unknown(
                name,
                "rules.disable",
                spans.of(&format!("rules.disable[{i}]")),
            ));
        }
    }
    rules.retain(|(r, _)| !config.rules.disable.contains(&r.name));
    // A rule that is wrong as written is left out; the run fails on its diagnostic anyway.
    let mut dropped = Vec::new();
    rules.retain(
        |(r, o)| match check_rule(r).and_then(|()| check_threshold(r)) {
            Ok(()) => true,
            Err(problem) => {
                dropped.push(r.name.clone());
                let at = if problem.in_threshold {
                    o.threshold.clone()
                } else {
                    o.rule.clone()
                };
                diags.push(problem.diagnostic(&r.name, &o.path, at));
                false
            }
        },
    );
    for (name, value) in &config.rules.threshold {
        let at = spans.of(&format!("rules.threshold.{name}"));
        let Some((r, _)) = rules.iter_mut().find(|(r, _)| &r.name == name) else {
            if !config.rules.disable.contains(name) && !dropped.contains(name) {
                diags.push(unknown(name, "rules.threshold", at));
            }
            continue;
        };
        let moved = RuleSpec {
            threshold: Some(*value),
            ..r.clone()
        };
        match check_threshold(&moved) {
            Ok(()) => *r = moved,
            Err(problem) => diags.push(problem.diagnostic(name, config_path, at)),
        }
    }
    let rename_similarity = config.rules.rename_similarity;
    let rename_similarity = if (0.0..=1.0).contains(&rename_similarity) {
        rename_similarity
    } else {
        diags.push(
            Diagnostic::error(
                Code::BadThreshold,
                config_path,
                spans.of("rules.rename_similarity"),
                format!("rules.rename_similarity is {rename_similarity}, outside 0 to 1"),
            )
            .expected("a number from 0 to 1, e.g. 0.6")
            .hint("0.6 counts a claim as reworded when 60% of its text is alike"),
        );
        RulesConfig::default().rename_similarity
    };
    let scale = checked_scale(
        &scale.path,
        &scale.spans,
        scale.value,
        shipped_scale,
        &mut diags,
    );
    let set = RuleSet {
        scale: Scale::from_spec(&scale),
        rules: rules.into_iter().map(|(r, _)| r).collect(),
        flag_at: config.rules.flag_at,
        rename_similarity,
        classifier: Classifier::from_spec(&words),
    };
    (set, diags)
}

impl RuleSet {
    /// The shipped rules alone.
    pub fn shipped() -> Result<RuleSet, Vec<Diagnostic>> {
        let (set, diags) = rule_set(
            &Config::default(),
            Path::new(crate::config::FILE_NAME),
            &|_| None,
        );
        if diags.is_empty() {
            Ok(set)
        } else {
            Err(diags)
        }
    }
}

/// Where a rule is written: its table, and its threshold (or the override that set it).
struct Origin {
    path: PathBuf,
    rule: Pos,
    threshold: Pos,
}

impl Origin {
    fn of(path: &Path, spans: &KeySpans, key: &str) -> Origin {
        Origin {
            path: path.to_path_buf(),
            rule: spans.of(key),
            threshold: spans.of(&format!("{key}.threshold")),
        }
    }
}

/// A setting together with the file it came from and where its keys are in that file.
struct Placed<T> {
    path: PathBuf,
    spans: KeySpans,
    value: T,
}

/// Where rule files come from when reading from disk.
pub fn read_from(root: &Path) -> impl Fn(&Path) -> Option<String> + '_ {
    move |p: &Path| std::fs::read_to_string(root.join(p)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_pass_their_own_checks() {
        let set = RuleSet::shipped().expect("shipped rules load");
        assert!(set.rules.iter().any(|r| r.name == "value-shift"));
    }

    #[test]
    fn key_lists_come_from_the_schema_types() {
        assert_eq!(keys_of::<ScaleSpec>(), ["levels", "aliases"]);
        let keys = rule_file_keys();
        for k in [
            "scale",
            "rule",
            "text",
            "levels",
            "compare",
            "classes",
            "typo_max_edits",
        ] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
    }
}
