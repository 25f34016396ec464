//! Micro-benchmarks of the quantity parser: claim sentences, table cells and canonical text.
//!
//! Inputs are taken from `examples/world-models/concepts/*.md`. Run with
//! `cargo bench -p rescore-graph --bench quantity`.

use std::fmt;

use divan::black_box;
use rescore_graph::quantity::{extract_quantities, normalise_text, parse_value};

fn main() {
    divan::main();
}

/// A named input, so divan's table shows the name rather than the whole sentence.
struct Case {
    name: &'static str,
    text: &'static str,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

const fn case(name: &'static str, text: &'static str) -> Case {
    Case { name, text }
}

/// Claim sentences as a claim's text reaches the parser (id marker and evidence line removed).
const CLAIMS: &[Case] = &[
    case(
        "genie3_realtime",
        "Genie 3 achieves real-time interactive generation at 11B parameters — 720p at 24fps with \
         ~1 minute visual memory, promptable world events, emergent physics from pre-training.",
    ),
    case(
        "vjepa2_understanding",
        "V-JEPA 2 learns video understanding without pixel reconstruction — pre-trained on over 1 \
         million hours of internet video, its 1B-parameter encoder reaches 77.3% top-1 on \
         Something-Something v2.",
    ),
    case(
        "vjepa2_ac_planning",
        "Latent planning transfers zero-shot to real robots — V-JEPA 2-AC, post-trained on under \
         62 hours of unlabelled robot video, reaches 65–80% success on pick-and-place with novel \
         objects in unseen labs.",
    ),
    case(
        "videoscience_bench",
        "VideoScience-Bench (Dec 2025) — even frontier closed-source systems score only ~64% \
         (Sora-2) and ~58.7% (Veo-3) on Phenomenon Congruency (Likert scale).",
    ),
    case(
        "dreamer_generality",
        "One model-based agent generalises across domains — DreamerV3 outperforms specialised \
         methods on 150+ tasks with a single configuration and is the first agent to collect \
         diamonds in Minecraft from scratch.",
    ),
    case(
        "no_numbers",
        "Autonomous driving is the commercial proving ground — every major AV company runs \
         generative world models for sim-to-real training, counterfactual scenario evaluation, \
         and data augmentation.",
    ),
];

/// Value cells of the concepts' benchmark tables, plus the range and percentage forms claims use.
const CELLS: &[Case] = &[
    case("11B", "11B"),
    case("720p", "720p"),
    case("24_fps_real_time", "24 fps real-time"),
    case("quoted_text", "\"a few minutes\""),
    case("approx_minute", "~1 minute backward"),
    case("150_plus", "150+"),
    case("200M_parameters", "200M parameters"),
    case("range_percent", "65–80%"),
    case("percent", "77.3%"),
];

#[divan::bench(args = CLAIMS)]
fn extract_quantities_claim(case: &Case) -> usize {
    extract_quantities(black_box(case.text)).len()
}

#[divan::bench(args = CELLS)]
fn parse_value_cell(case: &Case) -> rescore_graph::quantity::Value {
    parse_value(black_box(case.text))
}

#[divan::bench(args = CLAIMS)]
fn normalise_text_claim(case: &Case) -> String {
    normalise_text(black_box(case.text))
}

/// An all-ASCII sentence skips the NFC pass; compare with the em-dash sentences above.
#[divan::bench]
fn normalise_text_ascii() -> String {
    normalise_text(black_box(
        "Planning in latent space is cheaper than in pixel space - V-JEPA 2-AC needs ~16 s per \
         action versus ~4 minutes for a video-generation planner built on Cosmos.",
    ))
}
