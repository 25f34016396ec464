#!/usr/bin/env bash
# Benchmarks `rescore check` against `rg -c Evidence:` on synthetic research repos (DESIGN §8).
#
#   bench/run.sh                      # SIZES="10000 100000"
#   SIZES="1000 10000" RUNS=3 bench/run.sh
#
# Environment:
#   SIZES      page counts to generate (default "10000 100000")
#   RUNS       timed rounds per measurement (default 5): each round runs rg, then check, so
#              both see the same load; medians of the times and of the per-round ratios
#   SEED       generator seed (default 1)
#   MUTATE     edits applied before the "after mutate" check (default 100)
#   BENCH_DIR  where corpora are generated (default /tmp/rescore-bench)
#   RESCORE    rescore binary to measure (default: built from this checkout with `--profile dist`,
#              as releases are); when given, only gen_corpus is built (with plain rustc if the
#              crate does not compile right now)
#   KEEP=1     keep the generated corpora (default: removed after each size)
#   WATCH      1 (default) also runs bench/watch.sh on the same SIZES, SEED and binary, so one
#              run reports the check and the watcher bars; 0 skips it
#
# Every rescore run is a fresh process ("cold": no lock or cache reuse beyond what's on disk;
# RESCORE_NO_CACHE=1 keeps `check` off its cache in .rescore/cache/, except in the warm block).
# The page cache is warm for both tools alike: each command gets one untimed warm-up run.
# Prints a markdown table on stdout (with the machine and its load average, since the machine
# may be shared); progress and warnings on stderr. Exits 1 if a command's
# exit code was not the expected one (init 0, clean check 0, check after mutate 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${SIZES:-10000 100000}"
RUNS="${RUNS:-5}"
SEED="${SEED:-1}"
MUTATE="${MUTATE:-100}"
BENCH_DIR="${BENCH_DIR:-/tmp/rescore-bench}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
GEN="$TARGET_DIR/release/examples/gen_corpus"

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench: $*"
  exit 2
}

# --- tools -------------------------------------------------------------------------------------

apt_install() { # package...
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    return 1
  fi
  log "bench: installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

command -v rg >/dev/null || apt_install ripgrep || die "ripgrep (rg) is missing; install it"
[ -x /usr/bin/time ] || apt_install time || die "/usr/bin/time is missing; install the 'time' package"
command -v cargo >/dev/null || die "cargo is missing"

# --- build -------------------------------------------------------------------------------------

mkdir -p "$BENCH_DIR"
if [ -n "${RESCORE:-}" ]; then
  log "bench: building gen_corpus (RESCORE=$RESCORE given)"
  if ! (cd "$ROOT" && cargo build --release --quiet --example gen_corpus); then
    # The example is std-only: it still builds while the crate itself does not compile.
    log "bench: cargo build failed; building gen_corpus with rustc alone"
    GEN="$BENCH_DIR/gen_corpus"
    rustc --edition 2021 -O "$ROOT/examples/gen_corpus.rs" -o "$GEN"
  fi
else
  log "bench: building rescore (profile dist, what releases ship) and gen_corpus (release)"
  (cd "$ROOT" && cargo build --profile dist --quiet --bin rescore &&
    cargo build --release --quiet --example gen_corpus)
  RESCORE="$TARGET_DIR/dist/rescore"
fi
[ -x "$RESCORE" ] || die "rescore binary not found: $RESCORE"
[ -x "$GEN" ] || die "gen_corpus binary not found: $GEN"

# --- timing helpers ----------------------------------------------------------------------------

# median_of FILE: median of the numbers in FILE, one a line.
median_of() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# once CMD...: wall seconds of one run; output goes to /dev/null, the exit code is ignored
# (checked separately with exit_code).
once() {
  local t0 t1
  t0="$(date +%s.%N)"
  "$@" >/dev/null 2>&1 || true
  t1="$(date +%s.%N)"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# time_pair CMD...: RUNS rounds, each timing `rg -c Evidence: $DIR` and then CMD back to back
# (after one untimed warm-up of each), so both see the same load on a shared machine. Prints
# three numbers: the median rg time, the median CMD time, the median of the per-round ratios
# CMD/rg.
time_pair() {
  local rg_s="$BENCH_DIR/rg.txt" check_s="$BENCH_DIR/check.txt" ratio_s="$BENCH_DIR/ratio.txt" i a b
  : >"$rg_s"
  : >"$check_s"
  : >"$ratio_s"
  rg -c Evidence: "$DIR" >/dev/null 2>&1 || true
  "$@" >/dev/null 2>&1 || true
  for ((i = 0; i < RUNS; i++)); do
    a="$(once rg -c Evidence: "$DIR")"
    b="$(once "$@")"
    echo "$a" >>"$rg_s"
    echo "$b" >>"$check_s"
    awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.6f\n", b / a }' >>"$ratio_s"
  done
  echo "$(median_of "$rg_s") $(median_of "$check_s") $(median_of "$ratio_s")"
}

# exit_code CMD...: the command's exit code (never trips set -e); its output goes to $LOG.
exit_code() {
  local rc=0
  "$@" >>"$LOG" 2>&1 || rc=$?
  echo "$rc"
}

# peak_rss_mb CMD...: peak resident set size in MB from /usr/bin/time -v.
peak_rss_mb() {
  local out="$BENCH_DIR/time-v.txt"
  /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
  awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); printf "%.1f\n", $2 / 1024 }' "$out"
}

# verdict EXPR: "met" when the awk expression holds, else "missed".
verdict() { awk "BEGIN { print ($1) ? \"met\" : \"**missed**\" }"; }

fmt_r() { awk -v a="$1" 'BEGIN { printf "%.1f×", a }'; }
fmt_s() { awk -v a="$1" 'BEGIN { printf "%.3f", a }'; }
max_of() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

expect() { # what expected actual
  if [ "$2" != "$3" ]; then
    log "bench: WARNING: $1 exited $3, expected $2 (see $LOG)"
    FAILED=1
  fi
}

# --- run ---------------------------------------------------------------------------------------

# The load average: on a shared machine, what else ran decides how far the timings can be taken.
load_avg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

export RESCORE_NO_CACHE=1
LOG="$BENCH_DIR/bench.log"
LOAD_START="$(load_avg)"
: >"$LOG"
FAILED=0
ROWS=()
WARM_ROWS=()
BARS=()

for N in $SIZES; do
  DIR="$BENCH_DIR/corpus-$N"
  rm -rf "$DIR"
  log "bench: $N pages: generating into $DIR"
  "$GEN" --pages "$N" --out "$DIR" --seed "$SEED" | tee -a "$LOG" >&2

  # A git repo, as a team's research repo is: the lock names accepted claim text by page blob
  # (docs/format.md), and outside git it would keep every text and be several times larger.
  git -C "$DIR" init -q
  rc="$(exit_code "$RESCORE" init --root "$DIR")"
  expect "rescore init ($N)" 0 "$rc"
  lock_mb="$(du -cb "$DIR/rescore.lock" "$DIR/rescore.lock.d" | awk 'END { printf "%.1f", $1 / 1e6 }')"
  [ -f "$DIR/rescore.lock" ] || log "bench: WARNING: rescore init wrote no $DIR/rescore.lock"

  log "bench: $N pages: timing rg and rescore check, in turn ($RUNS rounds)"
  rc="$(exit_code "$RESCORE" check --root "$DIR")"
  expect "rescore check, clean ($N)" 0 "$rc"
  read -r t_rg t_check r_check <<<"$(time_pair "$RESCORE" check --root "$DIR")"
  rss="$(peak_rss_mb "$RESCORE" check --root "$DIR")"

  # --- warm check: nothing changed since the last run (a pre-commit hook), answered from the
  # cache in .rescore/cache/; rg timed again beside it.
  log "bench: $N pages: timing rg and warm check (cache), in turn ($RUNS rounds)"
  rc="$(exit_code env RESCORE_NO_CACHE=0 "$RESCORE" check --root "$DIR")"
  expect "rescore check, warm ($N)" 0 "$rc"
  read -r t_rg_w t_warm r_warm <<<"$(time_pair env RESCORE_NO_CACHE=0 "$RESCORE" check --root "$DIR")"
  # One page edited before each run (a blank line appended, as a pre-commit hook after one
  # save sees): the outcome cache misses, the parse cache in .rescore/cache/pages/ holds the rest.
  page="$(find "$DIR/concepts" -name '*.md' | sort | sed -n 1p)"
  read -r _ t_edit1 r_edit1 <<<"$(time_pair env RESCORE_NO_CACHE=0 sh -c 'echo >>"$1" && exec "$2" check --root "$3"' \
    sh "$page" "$RESCORE" "$DIR")"
  # A first check: no cache yet, so it parses every page and writes .rescore/cache/.
  read -r _ t_first r_first <<<"$(time_pair env RESCORE_NO_CACHE=0 sh -c 'rm -rf "$1/.rescore" && exec "$2" check --root "$1"' \
    sh "$DIR" "$RESCORE")"
  # Its peak too: a user's first check (a fresh clone in CI) is cold and writes the cache.
  rss_first="$(peak_rss_mb env RESCORE_NO_CACHE=0 sh -c 'rm -rf "$1/.rescore" && exec "$2" check --root "$1"' \
    sh "$DIR" "$RESCORE")"
  WARM_ROWS+=("| $N | $(fmt_s "$t_rg_w") | $(fmt_s "$t_warm") | $(fmt_r "$r_warm") | $(fmt_s "$t_edit1") | $(fmt_r "$r_edit1") | $(fmt_s "$t_first") | $(fmt_r "$r_first") | $rss_first |")
  rm -rf "$DIR/.rescore"

  log "bench: $N pages: mutating ($MUTATE edits) and timing check again"
  "$GEN" --mutate "$MUTATE" --out "$DIR" --seed "$SEED" >>"$LOG" 2>&1
  rc="$(exit_code "$RESCORE" check --root "$DIR")"
  expect "rescore check after --mutate $MUTATE ($N)" 1 "$rc"
  read -r _ t_mut r_mut <<<"$(time_pair "$RESCORE" check --root "$DIR")"
  rss="$(max_of "$rss" "$(peak_rss_mb "$RESCORE" check --root "$DIR")")"

  us_page="$(awk -v t="$t_check" -v n="$N" 'BEGIN { printf "%.1f", t * 1e6 / n }')"
  BARS=("| $N | cold check ≤ 3× rg and < 2 s | $(fmt_r "$r_check"), $(fmt_s "$t_check") s | $(verdict "$r_check <= 3 && $t_check < 2") |"
    "| $N | peak RSS < 500 MB | $rss MB; a first check, writing the cache, $rss_first MB | $(verdict "$(max_of "$rss" "$rss_first") < 500") |"
    "| $N | warm check ≤ 1.5× rg | $(fmt_r "$r_warm") | $(verdict "$r_warm <= 1.5") |")
  ROWS+=("| $N | $(fmt_s "$t_rg") | $(fmt_s "$t_check") | $(fmt_r "$r_check") | $(fmt_s "$t_mut") | $(fmt_r "$r_mut") | $rss | $us_page | $lock_mb |")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
done

CPU="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
echo "## rescore benchmark"
echo
echo "Machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr); $(rg --version 2>/dev/null | sed -n 1p)"
echo "Load average (1, 5, 15 min): $LOAD_START at the start, $(load_avg) at the end."
echo "Timing: $RUNS rounds of rg then check (fresh processes, after one warm-up run of each); medians of the times and of the per-round ratios; page cache warm for both tools alike."
echo "Corpus: gen_corpus --seed $SEED; 'after mutate' = after gen_corpus --mutate $MUTATE."
echo
echo "| pages | rg (s) | check cold (s) | check / rg | check after mutate (s) | after mutate / rg | peak RSS (MB) | µs/page | lock (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Warm check (nothing changed since the last run; answered from .rescore/cache/), and check"
echo "after one edited page (only that page parsed, the others from .rescore/cache/pages/), and a"
echo "first check with no cache yet (it parses every page and writes the cache):"
echo
echo "| pages | rg (s) | check warm (s) | check warm / rg | check after 1 edit (s) | after 1 edit / rg | first check, writing the cache (s) | first / rg | first check peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${WARM_ROWS[@]}"
echo
echo "Bars (DESIGN §8; they are set at 100k pages on 2 cores), for the largest size run:"
echo
echo "| pages | bar | measured | |"
echo "|---:|---|---|---|"
printf '%s\n' "${BARS[@]}"
[ "$FAILED" = 0 ] || log "bench: some exit codes were not the expected ones (see warnings above)"
if [ "${WATCH:-1}" = 1 ]; then
  echo
  log "bench: the watcher on the same sizes (bench/watch.sh; WATCH=0 skips it)"
  SIZES="$SIZES" SEED="$SEED" RESCORE="$RESCORE" bash "$ROOT/bench/watch.sh" || FAILED=1
fi
exit "$FAILED"
