#!/usr/bin/env bash
# Benchmarks `rescore watch` (DESIGN §8: "one-page edit in watch: flags updated in < 20 ms after
# the debounce, at 100k pages") beside a full cold `rescore check` of the same repo.
#
#   bench/watch.sh                      # SIZES="10000 100000"
#   SIZES="10000" EDITS=10 bench/watch.sh
#
# For each size: generate a corpus, `rescore init`, then START_RUNS alternated rounds of a cold
# `rescore check` (after one warm-up run; RESCORE_NO_CACHE=1, so no warm-cache hit) and a start
# of `rescore watch --format json` on an empty parse cache; the last round's watcher stays to
# make one-page edits, each written the way editors save (temp file + rename), and read the
# watcher's JSON lines. Every edit is undone
# again (a second batch, measured too). Scenarios:
#   cited       every evidence level of a concept some thesis cites dropped to `speculative`
#   most-cited  the same on the concept the most theses link to
#   link        a thesis's first concept link pointed at another concept
#   new-concept / new-source / new-thesis   a new page (then deleted: `deleted ...`)
#   deleted     a cited concept page deleted (its links are errors until it is back)
#   restored    that page put back
# Per scenario, median and worst: when the batch's last flag line was printed and when the
# `batch` event came (flag lines and warning-block writes done), both from the debounced batch
# arriving; and how the graph was updated (patched / relinked / added / spliced / rebuilt /
# kept). After the edits, a restart: `rescore check` on an empty cache fills the parse cache and
# a watcher starts on it (the usual case once a check or a watcher has run). Beside them:
# start-up against the cold check, the watcher's peak RSS (of the cold-started watcher that made
# the edits), its CPU time per batch over all edits (user + sys, which the machine's load does
# not inflate as it does wall time), and the load average before and after.
#
# Environment:
#   SIZES      page counts (default "10000 100000")
#   EDITS      edits per scenario (default 5; each is also undone)
#   SEED       generator seed (default 1)
#   DEBOUNCE   watch --debounce in ms (default 100)
#   START_RUNS rounds of a cold check then a watcher start on an empty parse cache (default 3);
#              the medians of both and of the per-round ratio are reported
#   BENCH_DIR  where corpora are generated (default /tmp/rescore-watch-bench)
#   RESCORE    rescore binary to measure (default: built from this checkout, `--profile dist`)
#   KEEP=1     keep the generated corpora
#
# Prints markdown tables on stdout, progress on stderr. Exits 1 when the watcher printed no
# batch for an edit or did not exit 0 on SIGTERM.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${SIZES:-10000 100000}"
EDITS="${EDITS:-5}"
SEED="${SEED:-1}"
DEBOUNCE="${DEBOUNCE:-100}"
START_RUNS="${START_RUNS:-3}"
BENCH_DIR="${BENCH_DIR:-/tmp/rescore-watch-bench}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
GEN="$TARGET_DIR/release/examples/gen_corpus"

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench/watch: $*"
  exit 2
}

command -v cargo >/dev/null || die "cargo is missing"
mkdir -p "$BENCH_DIR"
if [ -n "${RESCORE:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet --example gen_corpus) ||
    { GEN="$BENCH_DIR/gen_corpus" && rustc --edition 2021 -O "$ROOT/examples/gen_corpus.rs" -o "$GEN"; }
else
  log "bench/watch: building rescore (profile dist, what releases ship) and gen_corpus (release)"
  (cd "$ROOT" && cargo build --profile dist --quiet --bin rescore &&
    cargo build --release --quiet --example gen_corpus)
  RESCORE="$TARGET_DIR/dist/rescore"
fi
[ -x "$RESCORE" ] || die "rescore binary not found: $RESCORE"
[ -x "$GEN" ] || die "gen_corpus binary not found: $GEN"

# --- helpers -----------------------------------------------------------------------------------

# json_num FIELD LINE: a numeric field of a one-line JSON object.
json_num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2" | head -n 1; }

# wait_for_line FILE FROM PATTERN TIMEOUT_S: the first line after line FROM matching PATTERN.
wait_for_line() {
  local file="$1" from="$2" pat="$3" timeout="$4" end line
  end=$(($(date +%s) + timeout))
  while :; do
    line="$(tail -n +"$((from + 1))" "$file" | grep -m1 -- "$pat" || true)"
    if [ -n "$line" ]; then
      printf '%s\n' "$line"
      return 0
    fi
    [ "$(date +%s)" -lt "$end" ] || return 1
    kill -0 "$WPID" 2>/dev/null || return 1
    sleep 0.05
  done
}

# started_ms ERR: the ms the watcher $WPID logged to ERR as "watch: started" (loaded and every
# thesis evaluated); fails after 120 s or once the watcher is gone.
started_ms() {
  local ms
  for _ in $(seq 1 1200); do
    ms="$(sed 's/\x1b\[[0-9;]*m//g' "$1" | sed -n 's/.*watch: started.* ms=\([0-9]*\).*/\1/p' | head -n 1)"
    if [ -n "$ms" ]; then
      printf '%s\n' "$ms"
      return 0
    fi
    kill -0 "$WPID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

stats() { # numbers on stdin -> "median / max"
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f / %.2f", m, v[NR] }'
}

us_to_ms() { awk '{ printf "%.3f\n", $1 / 1000 }'; }

# atomic_edit FILE SED_EXPR: rewrite FILE through sed the way editors save (temp + rename).
atomic_edit() {
  sed -E "$2" "$1" >"$1.tmp~"
  mv "$1.tmp~" "$1"
}

# --- run ---------------------------------------------------------------------------------------

FAILED=0
ROWS=()
EDIT_ROWS=()
WPID=""
cleanup() { [ -n "$WPID" ] && kill "$WPID" 2>/dev/null || true; }
trap cleanup EXIT

for N in $SIZES; do
  DIR="$BENCH_DIR/corpus-$N"
  rm -rf "$DIR"
  log "bench/watch: $N pages: generating into $DIR"
  "$GEN" --pages "$N" --out "$DIR" --seed "$SEED" >/dev/null 2>&1
  git -C "$DIR" init -q # as a team's repo is: the lock reads accepted claim text from git
  "$RESCORE" --root "$DIR" init -q >/dev/null

  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  OUT="$BENCH_DIR/watch-$N.jsonl"
  ERR="$BENCH_DIR/watch-$N.err"
  log "bench/watch: $N pages: $START_RUNS rounds of a cold rescore check, then a watcher start"
  RESCORE_NO_CACHE=1 "$RESCORE" --root "$DIR" check >/dev/null 2>&1 || true # warm-up
  CHECKS=()
  STARTS=()
  RATIOS=()
  for round in $(seq 1 "$START_RUNS"); do
    t0="$(date +%s.%N)"
    RESCORE_NO_CACHE=1 "$RESCORE" --root "$DIR" check >/dev/null 2>&1 || true
    t1="$(date +%s.%N)"
    CHECK_ONE="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    # Every start with an empty parse cache (a watcher fills it while idle).
    # RESCORE_NO_CACHE=0: bench/run.sh exports 1 for its cold checks, which would keep the
    # watchers below off the parse cache altogether.
    rm -rf "$DIR/.rescore/cache"
    RESCORE_NO_CACHE=0 RUST_LOG=rescore::watch=debug NO_COLOR=1 \
      "$RESCORE" --root "$DIR" --format json watch --debounce "$DEBOUNCE" >"$OUT" 2>"$ERR" &
    WPID=$!
    READY="$(wait_for_line "$OUT" 0 '"event":"ready"' 600)" || die "watcher never got ready (see $ERR)"
    READY_MS="$(json_num elapsed_ms "$READY")"
    # Start-up in full: loaded, every thesis evaluated and the warning blocks in line.
    STARTED_MS="$(started_ms "$ERR")" || die "watcher never started (see $ERR)"
    log "bench/watch: $N pages: round $round: cold check ${CHECK_ONE} s, watcher ready in $READY_MS ms, started in $STARTED_MS ms"
    CHECKS+=("$CHECK_ONE")
    STARTS+=("$STARTED_MS")
    RATIOS+=("$(awk -v s="$STARTED_MS" -v c="$CHECK_ONE" 'BEGIN { printf "%.3f", s / 1000 / c }')")
    # The last round's watcher goes on to the edits.
    if [ "$round" -lt "$START_RUNS" ]; then
      kill -TERM "$WPID"
      wait "$WPID" || true
      WPID=""
    fi
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }
  CHECK_S="$(median "${CHECKS[@]}")"
  STARTED_MS="$(median "${STARTS[@]}")"
  START_X="$(printf '%.2f' "$(median "${RATIOS[@]}")")"

  # measure SCENARIO: after the caller changed files, wait for the batch and record it.
  measure() {
    local batch
    if ! batch="$(wait_for_line "$OUT" "$FROM" '"event":"batch"' 600)"; then
      log "bench/watch: $N pages: $1: no batch (see $OUT, $ERR)"
      FAILED=1
      return
    fi
    log "bench/watch: $N pages: $1: $batch"
    # The last flag line of the batch: when every flag of the edit was out.
    local flag
    flag="$(tail -n +"$((FROM + 1))" "$OUT" | grep -E '"event":"(stale|cleared|pending|unscored)"' | tail -n 1 || true)"
    printf '%s %s %s %s\n' "$1" "$(json_num elapsed_us "$batch")" \
      "$(sed -n 's/.*"graph":"\([a-z]*\)".*/\1/p' <<<"$batch")" \
      "$([ -n "$flag" ] && json_num elapsed_us "$flag" || echo -)" >>"$SAMPLES"
    # Let the watcher's own block writes come and go before the next edit.
    sleep "$(awk -v d="$DEBOUNCE" 'BEGIN { print 3 * d / 1000 }')"
  }
  mark() { FROM="$(wc -l <"$OUT")"; }
  # put FILE TEXT_FILE: replace FILE by the text in TEXT_FILE the way editors save.
  put() { cp "$2" "$1.tmp~" && mv "$1.tmp~" "$1"; }
  SAMPLES="$BENCH_DIR/samples-$N.txt"
  : >"$SAMPLES"

  # cpu_ticks: user + sys clock ticks the watcher has used so far.
  cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$WPID/stat"; }
  CPU0="$(cpu_ticks)"
  BATCHES0="$(grep -c '"event":"batch"' "$OUT" || true)"
  MOST_CITED="$(grep -ohE '\[\[c[0-9]+|concepts/c[0-9]+\.md' "$DIR"/theses/*.md 2>/dev/null |
    grep -oE 'c[0-9]+' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')"
  for ((k = 0; k < EDITS; k++)); do
    THESIS="$DIR/theses/t$((k * 7 + 1)).md"
    CITED="$(grep -oE '\[\[c[0-9]+|concepts/c[0-9]+\.md' "$THESIS" | head -n 1 | grep -oE 'c[0-9]+' || true)"
    [ -n "$CITED" ] || { log "bench/watch: $THESIS cites no concept; skipped"; continue; }
    for pair in "cited $CITED" "most-cited $MOST_CITED"; do
      set -- $pair
      FILE="$DIR/concepts/$2.md"
      cp "$FILE" "$BENCH_DIR/orig.md"
      mark
      atomic_edit "$FILE" 's/Evidence: (strong|moderate|weak|high|low|very low)/Evidence: speculative/'
      measure "$1"
      mark
      put "$FILE" "$BENCH_DIR/orig.md"
      measure "$1"
    done

    # A changed link: the thesis's first concept link now names another concept.
    OTHER="c$((k * 13 + 5))"
    cp "$THESIS" "$BENCH_DIR/orig.md"
    mark
    atomic_edit "$THESIS" "0,/\\[\\[$CITED([]#|])/s//[[$OTHER\\1/"
    cmp -s "$THESIS" "$BENCH_DIR/orig.md" && atomic_edit "$THESIS" "0,/concepts\\/$CITED\\.md/s//concepts\\/$OTHER.md/"
    if cmp -s "$THESIS" "$BENCH_DIR/orig.md"; then
      log "bench/watch: $THESIS: no link to $CITED to change; skipped"
    else
      measure link
      mark
      put "$THESIS" "$BENCH_DIR/orig.md"
      measure link
    fi

    # New pages of each kind, then deleted.
    for kind in concept source thesis; do
      case $kind in
      concept) NEW="$DIR/concepts/bench-$k.md"
        TEXT="+++\nkind = \"concept\"\npart_of = [\"$CITED\"]\n+++\n# Bench concept $k\n\n- A new claim at 42%.\n  Evidence: strong\n" ;;
      source) NEW="$DIR/sources/bench-$k.md"
        TEXT="+++\nkind = \"source\"\n+++\n# Bench source $k\n" ;;
      thesis) NEW="$DIR/theses/bench-$k.md"
        TEXT="+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# Bench thesis $k\n\n## Evidence\n\n- [[$CITED]]\n" ;;
      esac
      mark
      printf '%b' "$TEXT" >"$NEW"
      measure "new-$kind"
      mark
      rm "$NEW"
      measure "deleted-$kind"
    done

    # A cited concept page deleted, then put back.
    FILE="$DIR/concepts/$CITED.md"
    cp "$FILE" "$BENCH_DIR/orig.md"
    mark
    rm "$FILE"
    measure deleted
    mark
    cp "$BENCH_DIR/orig.md" "$FILE"
    measure restored
  done
  CPU_MS="$(awk -v a="$CPU0" -v b="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" \
    -v n="$(($(grep -c '"event":"batch"' "$OUT") - BATCHES0))" \
    'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1000 / hz / n; else print "n/a" }')"

  RSS_MB="$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$WPID/status" 2>/dev/null || echo n/a)"
  kill -TERM "$WPID"
  RC=0
  wait "$WPID" || RC=$?
  WPID=""
  if [ "$RC" -ne 0 ]; then
    log "bench/watch: watcher exited $RC on SIGTERM, expected 0"
    FAILED=1
  fi

  # A restart, the usual start on a repo where `check` or a watcher ran before: a plain
  # `rescore check` on an empty cache parses every page and fills the parse cache, then a
  # watcher starts on it.
  rm -rf "$DIR/.rescore/cache"
  CHECK_RC=0
  RESCORE_NO_CACHE=0 NO_COLOR=1 "$RESCORE" --root "$DIR" -v check >/dev/null 2>"$BENCH_DIR/check-warm-$N.err" || CHECK_RC=$?
  [ "$CHECK_RC" -le 1 ] || die "rescore check exited $CHECK_RC before the restart (see $BENCH_DIR/check-warm-$N.err)"
  log "bench/watch: $N pages: $(sed -n 's/.*\(parse cache: .*\)/\1/p' "$BENCH_DIR/check-warm-$N.err" | head -n 1)"
  WARM_ERR="$BENCH_DIR/watch-warm-$N.err"
  RESCORE_NO_CACHE=0 RUST_LOG=rescore::watch=debug NO_COLOR=1 \
    "$RESCORE" --root "$DIR" --format json watch --debounce "$DEBOUNCE" >/dev/null 2>"$WARM_ERR" &
  WPID=$!
  WARM_MS="$(started_ms "$WARM_ERR")" || WARM_MS=""
  kill -TERM "$WPID" 2>/dev/null || true
  wait "$WPID" || true
  WPID=""
  [ -n "$WARM_MS" ] || die "watcher on a warm parse cache never started (see $WARM_ERR)"
  WARM_X="$(awk -v s="$WARM_MS" -v c="$CHECK_S" 'BEGIN { printf "%.2f", s / 1000 / c }')"
  REUSED="$(sed -n 's/.*read and parsed.* reused=\([0-9]*\).*/\1/p' "$WARM_ERR" | head -n 1)"
  log "bench/watch: $N pages: watcher on a warm parse cache ($REUSED pages reused) started in $WARM_MS ms (${WARM_X}x the cold check)"
  [ "${REUSED:-0}" -gt 0 ] || die "the restarted watcher reused no page from the parse cache (see $WARM_ERR)"

  ROWS+=("| $N | $CHECK_S | $READY_MS | ${STARTED_MS:-n/a} | $START_X | $WARM_MS | $WARM_X | $RSS_MB | $CPU_MS | $LOAD_BEFORE → $(cut -d' ' -f1-3 /proc/loadavg) |")
  for sc in cited most-cited link new-concept deleted-concept new-source deleted-source new-thesis deleted-thesis deleted restored; do
    T="$(awk -v s="$sc" '$1 == s { print $2 }' "$SAMPLES" | us_to_ms | stats)"
    G="$(awk -v s="$sc" '$1 == s { print $3 }' "$SAMPLES" | sort | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep = " " }')"
    F="$(awk -v s="$sc" '$1 == s && $4 != "-" { print $4 }' "$SAMPLES" | us_to_ms | stats)"
    C="$(awk -v s="$sc" '$1 == s' "$SAMPLES" | wc -l)"
    EDIT_ROWS+=("| $N | $sc | $C | $F | $T | $G |")
  done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
done

echo
echo "| pages | cold check (s, median) | watch ready: loaded (ms, last round) | watch started: loaded and evaluated (ms, median) | started / cold check (median of rounds) | restart on a warm parse cache (ms) | restart / cold check | watch peak RSS (MB) | watch CPU per batch (ms) | load average (1, 5, 15 min) before → after |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| pages | edit | batches | last flag line ms (median / worst) | batch ms (median / worst) | graph |"
echo "|---:|---|---:|---:|---:|---|"
printf '%s\n' "${EDIT_ROWS[@]}"
echo
echo "last flag line ms: debounced batch arriving → the batch's last flag line printed; batch ms: → evaluation, flag lines and warning-block writes done (debounce ${DEBOUNCE} ms not included in either). CPU per batch: the watcher's user + sys time over all the edits (reading back its own block writes included), divided by the batches it printed."
exit "$FAILED"
