#!/usr/bin/env bash
# Benchmarks `rescore watch` (DESIGN §8: "one-page edit in watch: flags updated in < 20 ms after
# the debounce, at 100k pages") beside a full cold `rescore check` of the same repo.
#
#   bench/watch.sh                      # SIZES="10000 100000"
#   SIZES="10000" EDITS=10 bench/watch.sh
#
# For each size: generate a corpus, `rescore init`, time one cold `rescore check` (after a
# warm-up run), start `rescore watch --format json`, then make EDITS one-page material edits
# (every evidence level of one concept cited by a thesis dropped to `speculative`, written the
# way editors save: temp file + rename) and read the watcher's JSON lines:
#   - batch_ms: the `batch` event's elapsed_ms — from the debounced batch arriving to the end of
#     its evaluation, flag lines and warning-block writes included;
#   - flag_ms:  the first flag line's elapsed_ms (batch arriving → that line printed).
# Every edit is then reverted (a second batch, whose `cleared` lines are measured too).
#
# Environment:
#   SIZES      page counts (default "10000 100000")
#   EDITS      edits per size (default 5; each is also reverted)
#   SEED       generator seed (default 1)
#   DEBOUNCE   watch --debounce in ms (default 100)
#   BENCH_DIR  where corpora are generated (default /tmp/rescore-watch-bench)
#   RESCORE    rescore binary to measure (default: built from this checkout, release)
#   KEEP=1     keep the generated corpora
#
# Prints a markdown table on stdout, progress on stderr. Exits 1 when the watcher printed no
# batch for an edit or did not exit 0 on SIGTERM.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${SIZES:-10000 100000}"
EDITS="${EDITS:-5}"
SEED="${SEED:-1}"
DEBOUNCE="${DEBOUNCE:-100}"
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
  log "bench/watch: building rescore and gen_corpus (release)"
  (cd "$ROOT" && cargo build --release --quiet --bin rescore --example gen_corpus)
  RESCORE="$TARGET_DIR/release/rescore"
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
WPID=""
cleanup() { [ -n "$WPID" ] && kill "$WPID" 2>/dev/null || true; }
trap cleanup EXIT

for N in $SIZES; do
  DIR="$BENCH_DIR/corpus-$N"
  rm -rf "$DIR"
  log "bench/watch: $N pages: generating into $DIR"
  "$GEN" --pages "$N" --out "$DIR" --seed "$SEED" >/dev/null 2>&1
  "$RESCORE" --root "$DIR" init -q >/dev/null

  log "bench/watch: $N pages: timing a cold rescore check"
  "$RESCORE" --root "$DIR" check >/dev/null 2>&1 || true
  t0="$(date +%s.%N)"
  "$RESCORE" --root "$DIR" check >/dev/null 2>&1 || true
  t1="$(date +%s.%N)"
  CHECK_S="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"

  OUT="$BENCH_DIR/watch-$N.jsonl"
  ERR="$BENCH_DIR/watch-$N.err"
  "$RESCORE" --root "$DIR" --format json watch --debounce "$DEBOUNCE" >"$OUT" 2>"$ERR" &
  WPID=$!
  READY="$(wait_for_line "$OUT" 0 '"event":"ready"' 600)" || die "watcher never got ready (see $ERR)"
  READY_MS="$(json_num elapsed_ms "$READY")"
  log "bench/watch: $N pages: watcher ready in $READY_MS ms"

  BATCH_US=()
  THESES=()
  FLAG_US=()
  FLAGS=0
  for ((k = 0; k < EDITS; k++)); do
    # A thesis and the first concept it cites.
    THESIS="$DIR/theses/t$((k * 7 + 1)).md"
    CONCEPT="$(grep -oE '\[\[c[0-9]+|concepts/c[0-9]+\.md' "$THESIS" | head -n 1 | grep -oE 'c[0-9]+' || true)"
    [ -n "$CONCEPT" ] || { log "bench/watch: $THESIS cites no concept; skipped"; continue; }
    FILE="$DIR/concepts/$CONCEPT.md"
    cp "$FILE" "$BENCH_DIR/orig.md"
    for step in edit revert; do
      FROM="$(wc -l <"$OUT")"
      if [ "$step" = edit ]; then
        atomic_edit "$FILE" 's/Evidence: (strong|moderate|weak|high|low|very low)/Evidence: speculative/'
      else
        cp "$BENCH_DIR/orig.md" "$FILE.tmp~" && mv "$FILE.tmp~" "$FILE"
      fi
      if ! BATCH="$(wait_for_line "$OUT" "$FROM" '"event":"batch"' 120)"; then
        log "bench/watch: no batch after the $step of $FILE (see $OUT, $ERR)"
        FAILED=1
        continue
      fi
      BATCH_US+=("$(json_num elapsed_us "$BATCH")")
      THESES+=("$(json_num theses "$BATCH")")
      FLAG="$(tail -n +"$((FROM + 1))" "$OUT" | grep -m1 -E '"event":"(stale|cleared|pending|unscored)"' || true)"
      if [ -n "$FLAG" ]; then
        FLAG_US+=("$(json_num elapsed_us "$FLAG")")
        FLAGS=$((FLAGS + $(tail -n +"$((FROM + 1))" "$OUT" | grep -cE '"event":"(stale|cleared|pending|unscored)"')))
      fi
      log "bench/watch: $N pages: $step $CONCEPT: $BATCH"
      # Let the watcher's own block writes come and go before the next edit.
      sleep "$(awk -v d="$DEBOUNCE" 'BEGIN { print 3 * d / 1000 }')"
    done
  done

  # Structural changes: a new thesis page (added to the graph in place) and a new concept page
  # (the graph is rebuilt from the kept pages; nothing is re-read).
  structural() { # NAME FILE TEXT -> "ms (graph)"
    local from batch
    from="$(wc -l <"$OUT")"
    printf '%b' "$3" >"$2"
    if batch="$(wait_for_line "$OUT" "$from" '"event":"batch"' 600)"; then
      log "bench/watch: $N pages: $1: $batch"
      printf '%s (%s)' "$(json_num elapsed_ms "$batch")" "$(sed -n 's/.*"graph":"\([a-z]*\)".*/\1/p' <<<"$batch")"
    else
      FAILED=1
      printf 'n/a'
    fi
  }
  NEW_THESIS="$(structural "new thesis" "$DIR/theses/bench-new.md" \
    '+++\nkind = "thesis"\nscore = 0.5\n+++\n# Bench thesis\n\n## Evidence\n\n- [[c1]]\n')"
  NEW_CONCEPT="$(structural "new concept" "$DIR/concepts/bench-concept.md" \
    '+++\nkind = "concept"\npart_of = ["c1"]\n+++\n# Bench concept\n\n- A new claim at 42%.\n  Evidence: strong\n')"

  RSS_MB="$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$WPID/status" 2>/dev/null || echo n/a)"
  kill -TERM "$WPID"
  RC=0
  wait "$WPID" || RC=$?
  WPID=""
  if [ "$RC" -ne 0 ]; then
    log "bench/watch: watcher exited $RC on SIGTERM, expected 0"
    FAILED=1
  fi

  B="$(printf '%s\n' "${BATCH_US[@]:-}" | grep -E '^[0-9]' | us_to_ms | stats)"
  F="$(printf '%s\n' "${FLAG_US[@]:-}" | grep -E '^[0-9]' | us_to_ms | stats)"
  T="$(printf '%s\n' "${THESES[@]:-}" | grep -E '^[0-9]' | stats)"
  ROWS+=("| $N | $CHECK_S | $READY_MS | ${#BATCH_US[@]} | $T | $B | $F | $FLAGS | $NEW_THESIS | $NEW_CONCEPT | $RSS_MB |")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
done

echo
echo "| pages | cold check (s) | watch ready (ms) | edit batches | theses evaluated per batch (median / max) | batch ms (median / max) | first flag line ms (median / max) | flag lines | new thesis page ms | new concept page ms | watch peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "batch ms: debounced batch arriving → evaluation, flag lines and block writes done (debounce ${DEBOUNCE} ms not included)."
exit "$FAILED"
