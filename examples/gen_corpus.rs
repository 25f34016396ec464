//! Synthetic research-repo generator for benchmarks and end-to-end tests.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --pages N --out DIR [--seed S]
//! cargo run --release --example gen_corpus -- --mutate K --out DIR [--seed S] [--only KIND]
//! ```
//!
//! Generation writes a research repo in the input format v1 (concept, source and thesis pages,
//! `rescore.toml`, `.gitignore`) into DIR, which must be missing or empty. The output depends only
//! on `--pages` and `--seed`: every page draws from its own PRNG stream, so the pages are the same
//! whatever the thread count.
//!
//! `--mutate K` applies K realistic edits in place to concept and source pages of a generated
//! DIR: about half material (evidence level, quantity moved by 40%, benchmark value, source
//! retracted) and half cosmetic (re-wrapped claim, trailing spaces, CRLF line endings, two claims
//! swapped, a wikilink turned into the equivalent relative link). `--only material|cosmetic`
//! restricts the mix. Each edit is printed on stdout, the summary on stderr.
//!
//! Std only (no crates) on purpose: it must build even while the main crate is mid-edit
//! (`rustc --edition 2021 -O examples/gen_corpus.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: gen_corpus --pages N --out DIR [--seed S]
       gen_corpus --mutate K --out DIR [--seed S] [--only material|cosmetic]

  --pages N    write a research repo of N pages (N >= 3): ~60% concepts, ~15% sources,
               ~25% theses; DIR must be missing or empty
  --out DIR    the research repo to write (or to mutate)
  --seed S     PRNG seed (default 1); same pages + seed => byte-identical output
  --mutate K   apply K edits in place to an existing generated DIR, about half material
               and half cosmetic; one line per edit on stdout, a summary on stderr
  --only KIND  with --mutate: only `material` or only `cosmetic` edits";

// ---------------------------------------------------------------------------------------------
// PRNG

/// SplitMix64: tiny, fast, good enough for synthetic data, and stable across platforms.
struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// An independent stream for one (seed, stream, index) triple.
    fn stream(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix(mix(seed ^ 0x5EED)
            ^ mix(stream.wrapping_add(0x51AB))
            ^ index))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n`; `n` must be > 0.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// Picks from `(weight, value)` pairs.
    fn weighted<T: Copy>(&mut self, xs: &[(u32, T)]) -> T {
        let total: u32 = xs.iter().map(|x| x.0).sum();
        let mut r = self.below(total as usize) as u32;
        for &(w, v) in xs {
            if r < w {
                return v;
            }
            r -= w;
        }
        xs[xs.len() - 1].1
    }

    /// Long-tailed count >= 1: floor of a Pareto(x_m = 1, alpha) draw, capped.
    fn pareto_count(&mut self, alpha: f64, cap: usize) -> usize {
        let u = 1.0 - self.unit(); // (0, 1]
        let x = u.powf(-1.0 / alpha);
        (x as usize).clamp(1, cap)
    }
}

// Stream ids, so that adding a draw to one kind of page never shifts another kind.
const S_LAYOUT: u64 = 1;
const S_CONCEPT: u64 = 2;
const S_SOURCE: u64 = 3;
const S_THESIS: u64 = 4;
const S_MUTATE: u64 = 5;

// ---------------------------------------------------------------------------------------------
// Vocabulary

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "agents", "alignment", "ambiguity", "annotation", "architecture", "attention", "autoregressive",
    "backbone", "baseline", "batch", "behaviour", "benchmark", "bias", "bottleneck", "calibration",
    "camera", "capacity", "causal", "checkpoint", "closed-loop", "coherence", "collision",
    "compositional", "compute", "conditioning", "consistency", "context", "contrastive", "control",
    "counterfactual", "curriculum", "data", "dataset", "decoder", "denoising", "density", "depth",
    "diffusion", "discrete", "distillation", "distribution", "driving", "dynamics", "efficiency",
    "embodied", "emergent", "encoder", "energy", "episodes", "evaluation", "exploration", "failure",
    "fidelity", "fine-tuning", "fluid", "forecasting", "frames", "friction", "games",
    "generalisation", "generative", "geometry", "gradient", "gravity", "grounding", "hallucination",
    "horizon", "human", "imitation", "inference", "interactive", "interface", "intervention",
    "invariance", "joint", "keyframes", "kinematics", "labels", "language", "latent", "layout",
    "learning", "lidar", "locomotion", "long-horizon", "loss", "manipulation", "masking", "memory",
    "metric", "modality", "model", "motion", "multimodal", "navigation", "noise", "objects",
    "observation", "occlusion", "occupancy", "offline", "open-loop", "optimisation", "perception",
    "permanence", "physics", "pixels", "planning", "policy", "precision", "prediction",
    "pretraining", "priors", "probing", "prompting", "quantisation", "reasoning", "recall",
    "reconstruction", "regression", "reinforcement", "rendering", "representation", "retrieval",
    "reward", "robotics", "robustness", "rollout", "sampling", "scaling", "scene", "segmentation",
    "self-supervised", "semantics", "sensors", "simulation", "sparse", "spatial", "state",
    "steering", "structure", "supervision", "surprise", "synthetic", "temporal", "tokenizer",
    "tokens", "trajectory", "transfer", "transformer", "uncertainty", "video", "viewpoint",
    "vision", "voxels", "weights", "world", "zero-shot", "abstraction", "accuracy", "adaptation",
    "affordance", "annotation-free", "appearance", "benchmarks", "camp", "claims", "critique",
    "debate", "experiments", "frontier", "hypothesis", "limits", "methods", "proof",
    "replication", "results", "signals", "studies", "systems", "theory", "trends", "tasks",
];

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "improves", "reduces", "matches", "exceeds", "degrades", "stabilises", "predicts", "requires",
    "outperforms", "fails", "scales", "transfers", "saturates", "doubles", "halves", "tracks",
];

const QUALIFIERS: &[&str] = &[
    "vendor technical report",
    "vendor acknowledged limitation",
    "peer-reviewed",
    "single study",
    "independent replication",
    "preprint",
    "survey",
    "internal evaluation",
    "blog post",
    "multiple labs",
];

const LEVELS: &[&str] = &["speculative", "weak", "moderate", "strong"];

const STATUSES: &[(u32, &str)] = &[
    (40, "active-frontier"),
    (30, "established"),
    (15, "contested"),
    (10, "emerging"),
    (5, "deprecated"),
];

#[rustfmt::skip]
const SYSTEMS: &[&str] = &[
    "Genie 3", "Sora-2", "Veo-3", "GAIA-2", "Cosmos 1", "V-JEPA 2", "DreamerV3", "Oasis", "WHAM",
    "GameNGen", "UniSim", "Lumiere", "Kling 2", "Gen-4", "NWM", "DIAMOND", "Magi-1", "Matrix-Game",
];

const TEXT_VALUES: &[&str] = &[
    "\"a few minutes\"",
    "not reported",
    "qualitative only",
    "state of the art",
    "comparable to baseline",
    "below human level",
    "unstable beyond training horizon",
];

#[derive(Clone, Copy)]
enum Metric {
    Parameters,
    FrameRate,
    Latency,
    Accuracy,
    SuccessRate,
    Horizon,
    Fvd,
    Compute,
    Resolution,
    Context,
    Preference,
    Physics,
}

const METRICS: &[(Metric, &str)] = &[
    (Metric::Parameters, "Parameters"),
    (Metric::FrameRate, "Frame rate"),
    (Metric::Latency, "Latency"),
    (Metric::Accuracy, "Accuracy"),
    (Metric::SuccessRate, "Success rate"),
    (Metric::Horizon, "Consistency horizon"),
    (Metric::Fvd, "FVD"),
    (Metric::Compute, "Training compute"),
    (Metric::Resolution, "Resolution"),
    (Metric::Context, "Context length"),
    (Metric::Preference, "Human preference (win rate)"),
    (Metric::Physics, "Physics score"),
];

// ---------------------------------------------------------------------------------------------
// Text helpers

/// Writes to stdout, ignoring a closed pipe (`| head`) instead of panicking like `println!`.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn push_int(s: &mut String, n: usize) {
    let _ = write!(s, "{n}");
}

/// `12600` -> `12,600`.
fn push_grouped(s: &mut String, n: usize) {
    let digits = n.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
}

fn push_capitalised(s: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(c) = chars.next() {
        s.extend(c.to_uppercase());
        s.push_str(chars.as_str());
    }
}

/// Appends ` w1 w2 ...` (`min..=max` words, each with a leading space).
fn push_words(s: &mut String, rng: &mut Rng, min: usize, max: usize) {
    for _ in 0..rng.range(min, max) {
        s.push(' ');
        s.push_str(rng.pick(WORDS));
    }
}

/// A plain sentence without digits: `Word word ... .`
fn push_plain_sentence(s: &mut String, rng: &mut Rng, min: usize, max: usize) {
    push_capitalised(s, rng.pick(WORDS));
    let n = rng.range(min, max);
    let verb_at = rng.range(1, 3.min(n));
    for i in 0..n {
        s.push(' ');
        s.push_str(if i == verb_at {
            rng.pick(VERBS)
        } else {
            rng.pick(WORDS)
        });
    }
    s.push('.');
}

/// One quantity phrase, e.g. `11B parameters`, `~64%`, `24 fps`, `12,600 videos`, `10–20 steps`.
fn push_quantity(s: &mut String, rng: &mut Rng) {
    match rng.below(9) {
        0 => {
            let (lo, hi, suffix, noun) = rng.pick(&[
                (1, 900, "M", "parameters"),
                (1, 70, "B", "parameters"),
                (1, 15, "T", "tokens"),
                (10, 900, "k", "hours of video"),
            ]);
            push_int(s, rng.range(lo, hi));
            s.push_str(suffix);
            s.push(' ');
            s.push_str(noun);
        }
        1 => {
            if rng.chance(0.5) {
                s.push('~');
            }
            push_int(s, rng.range(5, 98));
            if rng.chance(0.3) {
                s.push('.');
                push_int(s, rng.below(10));
            }
            s.push('%');
        }
        2 => {
            push_int(s, rng.pick(&[8, 10, 12, 15, 16, 20, 24, 25, 30, 60]));
            s.push_str(" fps");
        }
        3 => {
            push_grouped(s, rng.range(1_000, 250_000) / 100 * 100);
            s.push(' ');
            s.push_str(rng.pick(&["videos", "episodes", "clips", "scenes", "trajectories"]));
        }
        4 => {
            let lo = rng.range(2, 40);
            push_int(s, lo);
            s.push('–');
            push_int(s, lo + rng.range(2, 60));
            s.push(' ');
            s.push_str(rng.pick(&["steps", "seconds", "frames", "minutes", "GPUs"]));
        }
        5 => {
            push_int(s, rng.range(5, 900));
            s.push_str(" ms");
        }
        6 => {
            push_int(s, rng.range(2, 12));
            s.push('.');
            push_int(s, rng.below(10));
            s.push_str("x faster");
        }
        7 => {
            push_int(s, rng.range(2, 512));
            s.push(' ');
            s.push_str(rng.pick(&["GPUs", "TPUs", "cameras", "robots", "tasks"]));
        }
        _ => {
            push_int(s, rng.range(1, 60));
            s.push(' ');
            s.push_str(rng.pick(&["minutes", "seconds", "hours"]));
            s.push_str(" of memory");
        }
    }
}

/// A claim sentence starting with `first` (capitalised), with `q` quantities spread in it.
fn push_claim_sentence(s: &mut String, rng: &mut Rng, first: &str, q: usize) {
    push_capitalised(s, first);
    let n = rng.range(7, 20);
    let verb_at = rng.range(1, 3);
    let mut slots: Vec<usize> = (0..q).map(|_| rng.range(verb_at + 1, n)).collect();
    slots.sort_unstable();
    let mut next_slot = 0;
    for i in 0..=n {
        while next_slot < slots.len() && slots[next_slot] == i {
            s.push(' ');
            s.push_str(rng.pick(&["at", "with", "reaching", "over", "for", "—"]));
            s.push(' ');
            push_quantity(s, rng);
            next_slot += 1;
        }
        if i == n {
            break;
        }
        s.push(' ');
        s.push_str(if i == verb_at {
            rng.pick(VERBS)
        } else {
            rng.pick(WORDS)
        });
    }
    s.push('.');
}

/// slug = lowercase, runs of non-alphanumerics -> one `-`, trimmed.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Generation

struct Layout {
    concepts: usize,
    sources: usize,
    theses: usize,
    /// First concept of each concept's topic block: `part_of` parents stay inside the block,
    /// so hierarchies are shallow trees/DAGs (depth ~ln(block)) rather than one giant DAG.
    block_start: Vec<u32>,
    /// Earlier theses each thesis builds on (thesis -> thesis chains).
    thesis_parents: Vec<Vec<u32>>,
}

fn layout(pages: usize, seed: u64) -> Layout {
    let concepts = (pages * 60 / 100).max(1);
    let sources = (pages * 15 / 100).max(1);
    let theses = pages - concepts - sources;
    let mut rng = Rng::stream(seed, S_LAYOUT, 0);

    let mut block_start = Vec::with_capacity(concepts);
    let mut start = 0;
    let mut left = 0;
    for n in 0..concepts {
        if left == 0 {
            start = n;
            // Topic sizes: mostly small, some large.
            left = if rng.chance(0.8) {
                rng.range(3, 40)
            } else {
                rng.range(40, 200)
            };
        }
        block_start.push(start as u32);
        left -= 1;
    }

    // ~20% of theses build on 1–2 earlier theses; half of those picks prefer theses that already
    // build on others, so chains get several levels deep.
    let mut thesis_parents = Vec::with_capacity(theses);
    let mut chained: Vec<u32> = Vec::new();
    for n in 0..theses {
        let mut parents: Vec<u32> = Vec::new();
        if n > 0 && rng.chance(0.2) {
            let k = if n > 1 && rng.chance(0.3) { 2 } else { 1 };
            while parents.len() < k {
                let y = if !chained.is_empty() && rng.chance(0.5) {
                    rng.pick(&chained)
                } else {
                    rng.below(n) as u32
                };
                if !parents.contains(&y) {
                    parents.push(y);
                }
            }
            parents.sort_unstable();
            chained.push(n as u32);
        }
        thesis_parents.push(parents);
    }
    Layout {
        concepts,
        sources,
        theses,
        block_start,
        thesis_parents,
    }
}

/// What theses may link to inside one concept: explicit claim ids and benchmark slugs.
#[derive(Default)]
struct ConceptAnchors {
    claims: Vec<u8>,
    benches: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct Stats {
    bytes: u64,
    claims: u64,
    claim_ids: u64,
    bench_rows: u64,
    thesis_links: u64,
    thesis_anchor_links: u64,
    max_fanout: u64,
    retracted: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.bytes += o.bytes;
        self.claims += o.claims;
        self.claim_ids += o.claim_ids;
        self.bench_rows += o.bench_rows;
        self.thesis_links += o.thesis_links;
        self.thesis_anchor_links += o.thesis_anchor_links;
        self.max_fanout = self.max_fanout.max(o.max_fanout);
        self.retracted += o.retracted;
    }
}

/// A source citation: 70% wikilink, 30% relative link.
fn push_source_link(s: &mut String, rng: &mut Rng, m: usize) {
    if rng.chance(0.7) {
        let _ = write!(s, "[[s{m}]]");
    } else {
        let _ = write!(s, "[Source {m}](../sources/s{m}.md)");
    }
}

/// Source popularity is skewed: half the citations go to a Zipf-like head.
fn pick_source(rng: &mut Rng, sources: usize) -> usize {
    if rng.chance(0.5) {
        ((sources as f64) * rng.unit().powi(3)) as usize
    } else {
        rng.below(sources)
    }
}

fn gen_concept(
    n: usize,
    seed: u64,
    lay: &Layout,
    s: &mut String,
    st: &mut Stats,
) -> ConceptAnchors {
    let mut rng = Rng::stream(seed, S_CONCEPT, n as u64);
    let mut anchors = ConceptAnchors::default();

    s.push_str("+++\nkind = \"concept\"\nstatus = \"");
    s.push_str(rng.weighted(STATUSES));
    s.push('"');
    s.push('\n');
    let start = lay.block_start[n] as usize;
    if n > start && rng.chance(0.92) {
        let want = rng
            .weighted(&[(70, 1usize), (22, 2), (8, 3)])
            .min(n - start);
        let mut parents: Vec<usize> = Vec::with_capacity(want);
        while parents.len() < want {
            let p = rng.range(start, n - 1);
            if !parents.contains(&p) {
                parents.push(p);
            }
        }
        parents.sort_unstable();
        s.push_str("part_of = [");
        for (i, p) in parents.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "\"c{p}\"");
        }
        s.push_str("]\n");
    }
    s.push_str("+++\n");

    let _ = write!(s, "# Concept {n}");
    push_words(s, &mut rng, 3, 3);
    s.push_str("\n\n");
    for i in 0..rng.range(1, 3) {
        if i > 0 {
            s.push(' ');
        }
        push_plain_sentence(s, &mut rng, 10, 24);
    }
    s.push_str("\n\n## Key Claims\n\n");

    // Claims: the first word is unique within the page, so slug-derived ids never collide and
    // reordering claims keeps every id.
    let nclaims = rng.range(3, 8);
    let mut firsts: Vec<&str> = Vec::with_capacity(nclaims);
    for j in 0..nclaims {
        let first = loop {
            let w = rng.pick(WORDS);
            if !firsts.contains(&w) {
                break w;
            }
        };
        firsts.push(first);
        s.push_str("- ");
        let q = rng.weighted(&[(20, 0usize), (40, 1), (28, 2), (12, 3)]);
        push_claim_sentence(s, &mut rng, first, q);
        if rng.chance(0.5) {
            let _ = write!(s, " {{#k{j}}}");
            anchors.claims.push(j as u8);
            st.claim_ids += 1;
        }
        s.push_str("\n  Evidence: ");
        s.push_str(LEVELS[rng.weighted(&[(10, 0usize), (20, 1), (30, 2), (40, 3)])]);
        if rng.chance(0.5) {
            s.push_str(" (");
            s.push_str(rng.pick(QUALIFIERS));
            s.push(')');
        }
        s.push_str(" (");
        let m1 = pick_source(&mut rng, lay.sources);
        push_source_link(s, &mut rng, m1);
        if lay.sources > 1 && rng.chance(0.2) {
            let mut m2 = pick_source(&mut rng, lay.sources);
            if m2 == m1 {
                m2 = (m1 + 1) % lay.sources;
            }
            s.push_str(", ");
            push_source_link(s, &mut rng, m2);
        }
        s.push_str(")\n");
    }
    st.claims += nclaims as u64;

    if rng.chance(0.3) {
        s.push_str("\n## Open Questions\n\n");
        for _ in 0..rng.range(1, 3) {
            s.push_str("- ");
            push_plain_sentence(s, &mut rng, 6, 14);
            s.push('\n');
        }
    }

    if rng.chance(0.5) {
        s.push_str(
            "\n## Benchmarks & Data\n\n| Metric | Value | System | Source |\n|---|---|---|---|\n",
        );
        let rows = rng.range(2, 5);
        let mut seen: Vec<(usize, usize)> = Vec::with_capacity(rows);
        while seen.len() < rows {
            let key = (rng.below(METRICS.len()), rng.below(SYSTEMS.len()));
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let (metric, name) = METRICS[key.0];
            let system = SYSTEMS[key.1];
            s.push_str("| ");
            s.push_str(name);
            s.push_str(" | ");
            push_bench_value(s, &mut rng, metric);
            s.push_str(" | ");
            s.push_str(system);
            s.push_str(" | ");
            let m = pick_source(&mut rng, lay.sources);
            let _ = write!(s, "[[s{m}]]");
            s.push_str(" |\n");
            let mut id = slug(name);
            id.push('@');
            id.push_str(&slug(system));
            anchors.benches.push(id);
        }
        st.bench_rows += rows as u64;
    }

    if lay.concepts > 1 {
        s.push_str("\n## Related Concepts\n\n");
        for _ in 0..rng.range(1, 3) {
            let mut x = rng.below(lay.concepts);
            if x == n {
                x = (x + 1) % lay.concepts;
            }
            let _ = write!(s, "- [[c{x}]] —");
            push_words(s, &mut rng, 2, 5);
            s.push('\n');
        }
    }
    anchors
}

fn push_bench_value(s: &mut String, rng: &mut Rng, metric: Metric) {
    match metric {
        Metric::Parameters => {
            if rng.chance(0.5) {
                push_int(s, rng.range(1, 70));
                s.push('B');
            } else {
                push_int(s, rng.range(50, 900));
                s.push('M');
            }
        }
        Metric::FrameRate => {
            push_int(s, rng.pick(&[8, 10, 12, 16, 20, 24, 30, 60]));
            s.push_str(rng.pick(&[" fps", " fps real-time", "fps"]));
        }
        Metric::Latency => {
            push_int(s, rng.range(5, 900));
            s.push_str(" ms");
        }
        Metric::Accuracy | Metric::SuccessRate | Metric::Preference => {
            if rng.chance(0.3) {
                s.push('~');
            }
            push_int(s, rng.range(5, 95));
            if rng.chance(0.4) {
                s.push('.');
                push_int(s, rng.below(10));
            }
            s.push('%');
        }
        Metric::Horizon => {
            if rng.chance(0.4) {
                s.push_str(rng.pick(TEXT_VALUES));
            } else {
                push_int(s, rng.range(5, 300));
                s.push_str(" s");
            }
        }
        Metric::Fvd => push_int(s, rng.range(40, 900)),
        Metric::Compute => {
            push_grouped(s, rng.range(1, 400) * 1000);
            s.push_str(" GPU-hours");
        }
        Metric::Resolution => s.push_str(rng.pick(&["256p", "360p", "480p", "720p", "1080p"])),
        Metric::Context => {
            push_int(s, rng.range(1, 128));
            s.push_str("k tokens");
        }
        Metric::Physics => {
            if rng.chance(0.25) {
                s.push_str(rng.pick(TEXT_VALUES));
            } else {
                push_int(s, rng.range(1, 9));
                s.push('.');
                push_int(s, rng.range(0, 99));
            }
        }
    }
}

fn gen_source(n: usize, seed: u64, s: &mut String, st: &mut Stats) {
    let mut rng = Rng::stream(seed, S_SOURCE, n as u64);
    let _ = write!(
        s,
        "+++\nkind = \"source\"\nurl = \"https://example.org/papers/{n:06}\"\npublished = {}-{:02}-{:02}\n",
        rng.range(2018, 2026),
        rng.range(1, 12),
        rng.range(1, 28)
    );
    if rng.chance(0.02) {
        s.push_str("retracted = true\n");
        st.retracted += 1;
    }
    let _ = write!(s, "+++\n# Source {n}:");
    push_words(s, &mut rng, 3, 8);
    s.push_str("\n\n");
    push_plain_sentence(s, &mut rng, 12, 30);
    s.push('\n');
}

/// Concept popularity among theses is skewed too: half the picks go to a Zipf-like head.
fn pick_concept(rng: &mut Rng, concepts: usize) -> usize {
    if rng.chance(0.5) {
        ((concepts as f64) * rng.unit().powf(2.5)) as usize
    } else {
        rng.below(concepts)
    }
}

fn gen_thesis(
    n: usize,
    seed: u64,
    lay: &Layout,
    anchors: &[ConceptAnchors],
    s: &mut String,
    st: &mut Stats,
) {
    let mut rng = Rng::stream(seed, S_THESIS, n as u64);
    let _ = write!(
        s,
        "+++\nkind = \"thesis\"\nscore = 0.{:02}\n",
        rng.range(5, 95)
    );
    if rng.chance(0.3) {
        let _ = writeln!(
            s,
            "scored = 2026-{:02}-{:02}",
            rng.range(1, 12),
            rng.range(1, 28)
        );
    }
    if rng.chance(0.03) {
        let x = pick_concept(&mut rng, lay.concepts);
        let _ = writeln!(s, "depends_on = [\"c{x}\"]");
        st.thesis_links += 1;
    }
    let _ = write!(s, "+++\n# Thesis {n}");
    push_words(s, &mut rng, 3, 7);
    s.push_str("\n\n");
    push_plain_sentence(s, &mut rng, 10, 25);
    s.push_str("\n\n## Evidence\n\n");

    // Long-tailed fan-out: Pareto(alpha = 1.6) => ~2/3 cite one item, a few cite dozens.
    let items = rng.pareto_count(1.6, 150) + usize::from(rng.chance(0.5));
    st.max_fanout = st.max_fanout.max(items as u64);
    for _ in 0..items {
        s.push_str("- ");
        push_plain_sentence(s, &mut rng, 3, 9);
        s.pop();
        s.push_str(": ");
        let x = pick_concept(&mut rng, lay.concepts);
        let a = &anchors[x];
        let r = rng.unit();
        if r < 0.75 && !(a.claims.is_empty() && a.benches.is_empty()) {
            let anchor = if !a.benches.is_empty() && (a.claims.is_empty() || rng.chance(0.2)) {
                a.benches[rng.below(a.benches.len())].clone()
            } else {
                format!("k{}", rng.pick(&a.claims))
            };
            if rng.chance(0.85) {
                let _ = write!(s, "[[c{x}#{anchor}]]");
            } else {
                let _ = write!(s, "[Concept {x}](../concepts/c{x}.md#{anchor})");
            }
            st.thesis_anchor_links += 1;
        } else if r < 0.95 {
            if rng.chance(0.7) {
                let _ = write!(s, "[[c{x}]]");
            } else {
                let _ = write!(s, "[Concept {x}](../concepts/c{x}.md)");
            }
        } else {
            let m = pick_source(&mut rng, lay.sources);
            push_source_link(s, &mut rng, m);
        }
        st.thesis_links += 1;
        s.push('\n');
    }
    for &y in &lay.thesis_parents[n] {
        s.push_str("- Builds on ");
        if rng.chance(0.8) {
            let _ = write!(s, "[[t{y}]]");
        } else {
            let _ = write!(s, "[Thesis {y}](t{y}.md)");
        }
        s.push('\n');
        st.thesis_links += 1;
    }
}

/// Runs `f(index, buffer, stats)` for `0..count` on all cores, writing `dir/{prefix}{index}.md`.
/// Returns what `f` returned, in index order.
fn write_pages<T: Send>(
    dir: &Path,
    prefix: &str,
    count: usize,
    f: &(dyn Fn(usize, &mut String, &mut Stats) -> T + Sync),
) -> Result<(Vec<T>, Stats), String> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let chunk = count.div_ceil(threads).max(1);
    let results: Vec<Result<(Vec<T>, Stats), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|lo| {
                let hi = (lo + chunk).min(count);
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(hi - lo);
                    let mut st = Stats::default();
                    let mut buf = String::with_capacity(8192);
                    let mut path = dir.to_path_buf();
                    for i in lo..hi {
                        buf.clear();
                        out.push(f(i, &mut buf, &mut st));
                        path.push(format!("{prefix}{i}.md"));
                        std::fs::write(&path, buf.as_bytes())
                            .map_err(|e| format!("writing {}: {e}", path.display()))?;
                        path.pop();
                        st.bytes += buf.len() as u64;
                    }
                    Ok((out, st))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a writer thread panicked".to_string()))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(count);
    let mut stats = Stats::default();
    for r in results {
        let (out, st) = r?;
        all.extend(out);
        stats.add(&st);
    }
    Ok((all, stats))
}

fn generate(pages: usize, out: &Path, seed: u64) -> Result<(), String> {
    let t0 = Instant::now();
    if out.exists() {
        let mut entries =
            std::fs::read_dir(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty; remove it or pick another --out (or use --mutate)",
                out.display()
            ));
        }
    }
    let lay = layout(pages, seed);
    let dirs = [
        out.join("concepts"),
        out.join("sources"),
        out.join("theses"),
    ];
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(|e| format!("creating {}: {e}", d.display()))?;
    }
    let write = |name: &str, text: &str| {
        let p = out.join(name);
        std::fs::write(&p, text).map_err(|e| format!("writing {}: {e}", p.display()))
    };
    write(
        "rescore.toml",
        "# rescore configuration: every setting has a default (synthetic corpus from gen_corpus)\n",
    )?;
    write(".gitignore", "/target\n")?;

    let mut total = Stats::default();
    let (_, st) = write_pages(&dirs[1], "s", lay.sources, &|i, s, st| {
        gen_source(i, seed, s, st)
    })?;
    total.add(&st);
    let (anchors, st) = write_pages(&dirs[0], "c", lay.concepts, &|i, s, st| {
        gen_concept(i, seed, &lay, s, st)
    })?;
    total.add(&st);
    let (_, st) = write_pages(&dirs[2], "t", lay.theses, &|i, s, st| {
        gen_thesis(i, seed, &lay, &anchors, s, st)
    })?;
    total.add(&st);

    // Longest thesis -> thesis chain (in theses), parents always have lower indices.
    let mut depth = vec![1u32; lay.theses];
    for n in 0..lay.theses {
        for &y in &lay.thesis_parents[n] {
            depth[n] = depth[n].max(depth[y as usize] + 1);
        }
    }
    let builds_on: usize = lay.thesis_parents.iter().map(Vec::len).sum();
    let elapsed = t0.elapsed().as_secs_f64();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "wrote {pages} pages ({} concepts, {} sources, {} theses), {} bytes ({:.1} MB) to {} in {elapsed:.2}s",
        lay.concepts,
        lay.sources,
        lay.theses,
        total.bytes,
        total.bytes as f64 / 1e6,
        out.display()
    );
    let _ = writeln!(
        report,
        "  {} claims ({} with explicit ids), {} benchmark rows, {} retracted sources",
        total.claims, total.claim_ids, total.bench_rows, total.retracted
    );
    let _ = writeln!(
        report,
        "  {} thesis links ({} to a claim/row anchor, {} builds-on), max fan-out {}, longest thesis chain {}",
        total.thesis_links,
        total.thesis_anchor_links,
        builds_on,
        total.max_fanout,
        depth.iter().max().copied().unwrap_or(0)
    );
    emit(&report);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mutation

/// A page held as lines (without line endings) plus its line-ending style.
struct Doc {
    lines: Vec<String>,
    crlf: bool,
    dirty: bool,
}

impl Doc {
    fn parse(text: &str) -> Doc {
        let crlf = text.contains("\r\n");
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines = body
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        Doc {
            lines,
            crlf,
            dirty: false,
        }
    }

    fn render(&self) -> String {
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut s = String::with_capacity(self.lines.iter().map(|l| l.len() + 2).sum());
        for l in &self.lines {
            s.push_str(l);
            s.push_str(eol);
        }
        s
    }

    /// Index of the line closing the front matter, if any.
    fn front_matter_end(&self) -> Option<usize> {
        if self.lines.first().map(|l| l.trim_end()) != Some("+++") {
            return None;
        }
        self.lines
            .iter()
            .skip(1)
            .position(|l| l.trim_end() == "+++")
            .map(|i| i + 1)
    }

    /// Line range `(start, end)` of the section under `## {title}` (exclusive end).
    fn section(&self, title: &str) -> Option<(usize, usize)> {
        let head = self
            .lines
            .iter()
            .position(|l| l.trim_end().strip_prefix("## ").map(str::trim) == Some(title))?;
        let end = self.lines[head + 1..]
            .iter()
            .position(|l| l.starts_with('#'))
            .map_or(self.lines.len(), |i| head + 1 + i);
        Some((head + 1, end))
    }

    /// Claim items in Key Claims as `(first_line, end_exclusive)`.
    fn claim_items(&self) -> Vec<(usize, usize)> {
        let Some((lo, hi)) = self.section("Key Claims") else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut i = lo;
        while i < hi {
            if self.lines[i].starts_with("- ") {
                let mut j = i + 1;
                while j < hi && self.lines[j].starts_with("  ") {
                    j += 1;
                }
                items.push((i, j));
                i = j;
            } else {
                i += 1;
            }
        }
        items
    }
}

fn is_evidence_line(l: &str) -> bool {
    l.trim_start().starts_with("Evidence:")
}

/// Finds the first number in `text` that is not glued to a preceding letter/digit (so `k3` in
/// `{#k3}` and `s12` in `[[s12]]` are skipped): byte range of e.g. `12,600`, `58.7`, `11`.
fn find_number(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-'))
        {
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_digit()
                    || ((b[j] == b',' || b[j] == b'.')
                        && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
            {
                j += 1;
            }
            return Some((i, j));
        }
        i += 1;
    }
    None
}

/// Scales a number token (`12,600`, `58.7`, `11`) by `factor`, keeping its style; the result
/// always differs from the input.
fn scale_number(tok: &str, factor: f64) -> Option<String> {
    let grouped = tok.contains(',');
    let plain: String = tok.chars().filter(|&c| c != ',').collect();
    let value: f64 = plain.parse().ok()?;
    let decimals = plain.split_once('.').map_or(0, |(_, d)| d.len());
    let unit = 10f64.powi(-(decimals as i32));
    let mut new = (value * factor / unit).round() * unit;
    if (new - value).abs() < unit / 2.0 {
        new = if factor >= 1.0 {
            value + unit
        } else {
            (value - unit).max(0.0)
        };
    }
    let mut s = format!("{new:.decimals$}");
    if grouped && decimals == 0 {
        let n: usize = s.parse().ok()?;
        s.clear();
        push_grouped(&mut s, n);
    }
    Some(s)
}

/// Moves the first quantity in `text` by ±40% (ranges `a–b` move both ends). Returns the new
/// text and a description.
fn move_quantity(text: &str, rng: &mut Rng) -> Option<(String, String)> {
    let (i, j) = find_number(text)?;
    let percent = text[j..].starts_with('%');
    let mut factor = if rng.chance(0.5) { 1.4 } else { 0.6 };
    let value: f64 = text[i..j].replace(',', "").parse().ok()?;
    if percent && value * factor > 100.0 {
        factor = 0.6;
    }
    let mut out = String::with_capacity(text.len() + 4);
    out.push_str(&text[..i]);
    out.push_str(&scale_number(&text[i..j], factor)?);
    let mut rest = &text[j..];
    let mut old = text[i..j].to_string();
    if let Some(after) = rest.strip_prefix('–') {
        if let Some((k, l)) = find_number(after).filter(|&(k, _)| k == 0) {
            out.push('–');
            out.push_str(&scale_number(&after[k..l], factor)?);
            old = format!("{old}–{}", &after[k..l]);
            rest = &after[l..];
        }
    }
    out.push_str(rest);
    let new_tok = &out[i..out.len() - rest.len()];
    let desc = format!("{old} -> {new_tok} (x{factor})");
    Some((out, desc))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Edit {
    Evidence,
    Quantity,
    BenchValue,
    Retract,
    Rewrap,
    TrailingSpaces,
    Crlf,
    Reorder,
    LinkStyle,
}

impl Edit {
    const MATERIAL: [Edit; 4] = [
        Edit::Evidence,
        Edit::Quantity,
        Edit::BenchValue,
        Edit::Retract,
    ];
    const COSMETIC: [Edit; 5] = [
        Edit::Rewrap,
        Edit::TrailingSpaces,
        Edit::Crlf,
        Edit::Reorder,
        Edit::LinkStyle,
    ];

    fn name(self) -> &'static str {
        match self {
            Edit::Evidence => "evidence-level",
            Edit::Quantity => "quantity-40%",
            Edit::BenchValue => "benchmark-value",
            Edit::Retract => "source-retracted",
            Edit::Rewrap => "rewrap-claim",
            Edit::TrailingSpaces => "trailing-spaces",
            Edit::Crlf => "crlf",
            Edit::Reorder => "reorder-claims",
            Edit::LinkStyle => "wikilink-to-relative",
        }
    }

    fn material(self) -> bool {
        Edit::MATERIAL.contains(&self)
    }

    fn on_source(self) -> bool {
        self == Edit::Retract
    }
}

/// Tries `edit` on `doc`; returns `(line, description)` of what changed, or `None` if the page
/// has nothing this edit applies to.
fn apply(edit: Edit, doc: &mut Doc, rng: &mut Rng) -> Option<(usize, String)> {
    let body_start = doc.front_matter_end().map_or(0, |e| e + 1);
    match edit {
        Edit::Evidence => {
            let lines: Vec<usize> = (body_start..doc.lines.len())
                .filter(|&i| is_evidence_line(&doc.lines[i]))
                .collect();
            if lines.is_empty() {
                return None;
            }
            let i = rng.pick(&lines);
            let line = &doc.lines[i];
            let at = line.find("Evidence:")? + "Evidence:".len();
            let rest = &line[at..];
            let word_start = at + (rest.len() - rest.trim_start().len());
            let word_end = line[word_start..]
                .find(|c: char| !c.is_ascii_alphabetic())
                .map_or(line.len(), |k| word_start + k);
            let old = &line[word_start..word_end];
            let pos = LEVELS.iter().position(|l| l.eq_ignore_ascii_case(old))?;
            // Mostly drops (the case that must flag), sometimes rises.
            let new_pos = if pos > 0 && (pos == LEVELS.len() - 1 || rng.chance(0.7)) {
                rng.below(pos)
            } else {
                rng.range(pos + 1, LEVELS.len() - 1)
            };
            let desc = format!("{old} -> {}", LEVELS[new_pos]);
            let new_line = format!(
                "{}{}{}",
                &line[..word_start],
                LEVELS[new_pos],
                &line[word_end..]
            );
            doc.lines[i] = new_line;
            Some((i, desc))
        }
        Edit::Quantity => {
            let cands: Vec<usize> = doc
                .claim_items()
                .into_iter()
                .flat_map(|(a, b)| a..b)
                .filter(|&i| {
                    !is_evidence_line(&doc.lines[i]) && find_number(&doc.lines[i]).is_some()
                })
                .collect();
            if cands.is_empty() {
                return None;
            }
            let i = rng.pick(&cands);
            let (new, desc) = move_quantity(&doc.lines[i], rng)?;
            doc.lines[i] = new;
            Some((i, desc))
        }
        Edit::BenchValue => {
            let (lo, hi) = doc.section("Benchmarks & Data")?;
            let rows: Vec<usize> = (lo..hi)
                .filter(|&i| {
                    let l = doc.lines[i].trim();
                    l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| Metric")
                })
                .collect();
            if rows.is_empty() {
                return None;
            }
            let i = rng.pick(&rows);
            let cells: Vec<&str> = doc.lines[i].split('|').collect();
            // ["", " Metric ", " Value ", " System ", " Source ", ""]
            let value = cells.get(2)?.trim();
            let new_value = match move_quantity(value, rng) {
                Some((v, _)) => v,
                None => loop {
                    let t = rng.pick(TEXT_VALUES);
                    if t != value {
                        break t.to_string();
                    }
                },
            };
            let desc = format!(
                "{} @ {}: {value} -> {new_value}",
                cells.get(1)?.trim(),
                cells.get(3)?.trim()
            );
            let mut new_cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            new_cells[2] = format!(" {new_value} ");
            doc.lines[i] = new_cells.join("|");
            Some((i, desc))
        }
        Edit::Retract => {
            let end = doc.front_matter_end()?;
            if doc.lines[..end]
                .iter()
                .any(|l| l.trim_start().starts_with("retracted"))
            {
                return None;
            }
            doc.lines.insert(end, "retracted = true".to_string());
            Some((end, "retracted = true".to_string()))
        }
        Edit::Rewrap => {
            // A single-line claim of >= 8 words: break it in the middle, continuation indented.
            let cands: Vec<usize> = doc
                .claim_items()
                .into_iter()
                .filter(|&(a, b)| b == a + 2 && doc.lines[a].split(' ').count() >= 9)
                .map(|(a, _)| a)
                .collect();
            if cands.is_empty() {
                return None;
            }
            let i = rng.pick(&cands);
            let line = doc.lines[i].clone();
            let spaces: Vec<usize> = line
                .match_indices(' ')
                .map(|(k, _)| k)
                .filter(|&k| {
                    // Never start the continuation with something that would open a new block.
                    let next = line[k + 1..].chars().next();
                    k > 2
                        && next.is_some_and(|c| c.is_alphabetic() || c == '~')
                        && !line[..k].ends_with(' ')
                })
                .collect();
            if spaces.is_empty() {
                return None;
            }
            // Somewhere in the middle third of the line, like a reflow at ~80 columns would.
            let third = spaces.len() / 3;
            let k = spaces[third + rng.below(spaces.len() - 2 * third)];
            doc.lines[i] = line[..k].to_string();
            doc.lines.insert(i + 1, format!("  {}", &line[k + 1..]));
            Some((i, format!("wrapped at column {k}")))
        }
        Edit::TrailingSpaces => {
            let cands: Vec<usize> = (0..doc.lines.len())
                .filter(|&i| {
                    let l = doc.lines[i].trim_end();
                    !l.is_empty() && l != "+++" && l != "---"
                })
                .collect();
            if cands.is_empty() {
                return None;
            }
            let n = rng.range(1, 5).min(cands.len());
            let mut first = usize::MAX;
            for _ in 0..n {
                let i = rng.pick(&cands);
                first = first.min(i);
                let pad = rng.range(1, 3);
                doc.lines[i].extend(std::iter::repeat_n(' ', pad));
            }
            Some((first, format!("{n} line(s)")))
        }
        Edit::Crlf => {
            if doc.crlf {
                return None;
            }
            doc.crlf = true;
            Some((0, "whole file".to_string()))
        }
        Edit::Reorder => {
            let items = doc.claim_items();
            if items.len() < 2 {
                return None;
            }
            let k = rng.below(items.len() - 1);
            let (a, b) = (items[k], items[k + 1]);
            let first: Vec<String> = doc.lines[a.0..a.1].to_vec();
            let second: Vec<String> = doc.lines[b.0..b.1].to_vec();
            let mut swapped = second;
            swapped.extend(first);
            doc.lines.splice(a.0..b.1, swapped);
            Some((a.0, format!("claim items {} and {}", k + 1, k + 2)))
        }
        Edit::LinkStyle => {
            let mut cands: Vec<(usize, usize, usize)> = Vec::new();
            for i in body_start..doc.lines.len() {
                let l = &doc.lines[i];
                let mut from = 0;
                while let Some(a) = l[from..].find("[[") {
                    let a = from + a;
                    match l[a..].find("]]") {
                        Some(b) => {
                            cands.push((i, a, a + b + 2));
                            from = a + b + 2;
                        }
                        None => break,
                    }
                }
            }
            if cands.is_empty() {
                return None;
            }
            let (i, a, b) = rng.pick(&cands);
            let inner = doc.lines[i][a + 2..b - 2].to_string();
            let (id, anchor) = match inner.split_once('#') {
                Some((id, an)) => (id.to_string(), format!("#{an}")),
                None => (inner.clone(), String::new()),
            };
            let folder = match id.chars().next() {
                Some('s') => "sources",
                Some('t') => "theses",
                Some('c') => "concepts",
                _ => return None,
            };
            let link = format!("[{id}](../{folder}/{id}.md{anchor})");
            doc.lines[i].replace_range(a..b, &link);
            Some((i, format!("[[{inner}]] -> {link}")))
        }
    }
}

fn list_pages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    Ok(out)
}

fn mutate(k: usize, out: &Path, seed: u64, only: Option<bool>) -> Result<(), String> {
    let concepts = list_pages(&out.join("concepts"))?;
    let sources = list_pages(&out.join("sources"))?;
    if concepts.is_empty() {
        return Err(format!(
            "{} has no concepts/*.md: generate it first",
            out.display()
        ));
    }
    let mut rng = Rng::stream(seed, S_MUTATE, k as u64);
    let mut docs: BTreeMap<PathBuf, Doc> = BTreeMap::new();
    let mut counts: BTreeMap<Edit, usize> = BTreeMap::new();
    let mut skipped = 0;
    let mut report = String::new();

    // Kinds are dealt round-robin from a random start, so every kind gets its share.
    let mut next_kind = [
        rng.below(Edit::MATERIAL.len()),
        rng.below(Edit::COSMETIC.len()),
    ];
    for n in 0..k {
        let material = match only {
            Some(m) => m,
            None => n % 2 == 0,
        };
        let (kinds, cursor): (&[Edit], &mut usize) = if material {
            (&Edit::MATERIAL, &mut next_kind[0])
        } else {
            (&Edit::COSMETIC, &mut next_kind[1])
        };
        let first = *cursor;
        *cursor += 1;
        let mut done = false;
        // Try the kind on random pages until it applies (bounded), else the next kind.
        'kinds: for attempt in 0..kinds.len() {
            let edit = kinds[(first + attempt) % kinds.len()];
            let pool = if edit.on_source() {
                &sources
            } else {
                &concepts
            };
            if pool.is_empty() {
                continue;
            }
            for _ in 0..32 {
                let path = &pool[rng.below(pool.len())];
                if !docs.contains_key(path) {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("reading {}: {e}", path.display()))?;
                    docs.insert(path.clone(), Doc::parse(&text));
                }
                let Some(doc) = docs.get_mut(path) else {
                    continue;
                };
                if let Some((line, desc)) = apply(edit, doc, &mut rng) {
                    doc.dirty = true;
                    let rel = path.strip_prefix(out).unwrap_or(path);
                    let _ = writeln!(
                        report,
                        "{} {} {}:{} {desc}",
                        if edit.material() {
                            "material"
                        } else {
                            "cosmetic"
                        },
                        edit.name(),
                        rel.display(),
                        line + 1
                    );
                    *counts.entry(edit).or_default() += 1;
                    done = true;
                    break 'kinds;
                }
            }
        }
        if !done {
            skipped += 1;
        }
    }

    let mut files = 0;
    for (path, doc) in &docs {
        if doc.dirty {
            std::fs::write(path, doc.render())
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
            files += 1;
        }
    }
    emit(&report);
    let total = |material: bool| -> usize {
        counts
            .iter()
            .filter(|(e, _)| e.material() == material)
            .map(|(_, n)| n)
            .sum()
    };
    let detail = |material: bool| -> String {
        counts
            .iter()
            .filter(|(e, _)| e.material() == material)
            .map(|(e, n)| format!("{} {n}", e.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "mutate: {} edits in {files} files: {} material ({}), {} cosmetic ({}){}",
        total(true) + total(false),
        total(true),
        detail(true),
        total(false),
        detail(false),
        if skipped > 0 {
            format!(", {skipped} not applicable")
        } else {
            String::new()
        }
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CLI

struct Args {
    pages: Option<usize>,
    out: PathBuf,
    seed: u64,
    mutate: Option<usize>,
    only: Option<bool>,
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut pages = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut mutate = None;
    let mut only = None;
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        let number = |v: String| -> Result<u64, String> {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: expected a non-negative integer, got {v:?}"))
        };
        match flag {
            "--pages" => pages = Some(number(value()?)? as usize),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => seed = number(value()?)?,
            "--mutate" => mutate = Some(number(value()?)? as usize),
            "--only" => {
                only = Some(match value()?.as_str() {
                    "material" => true,
                    "cosmetic" => false,
                    other => {
                        return Err(format!(
                            "--only: expected material or cosmetic, got {other:?}"
                        ))
                    }
                })
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    match (pages, mutate) {
        (Some(_), Some(_)) => return Err("--pages and --mutate are exclusive".into()),
        (None, None) => return Err("one of --pages N or --mutate K is required".into()),
        (Some(p), None) if p < 3 => return Err("--pages must be at least 3".into()),
        _ => {}
    }
    if only.is_some() && mutate.is_none() {
        return Err("--only goes with --mutate".into());
    }
    Ok(Args {
        pages,
        out,
        seed,
        mutate,
        only,
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(msg) => {
            if msg.is_empty() {
                emit(&format!("{USAGE}\n"));
                return ExitCode::SUCCESS;
            }
            eprintln!("gen_corpus: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match (args.pages, args.mutate) {
        (Some(pages), _) => generate(pages, &args.out, args.seed),
        (None, Some(k)) => mutate(k, &args.out, args.seed, args.only),
        (None, None) => Err("nothing to do".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("gen_corpus: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
