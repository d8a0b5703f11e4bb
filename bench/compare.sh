#!/usr/bin/env bash
# The comparison table of the README's Performance section: generates the benchmark data, then
# times `wc -l`, the typed parse-only baselines (simd-json, serde_json), jq with a partial schema
# check, and dpolint at several thread counts, on a warm page cache.
#
# usage: bench/compare.sh [RECORDS] [THREAD COUNTS...]
#   RECORDS        records to generate (default 400000, about 1.07 GB)
#   THREAD COUNTS  dpolint/simd-json thread counts to time (default: 1 and all cores)
# Environment: RUNS (default 3, best of), BIN (a folder with prebuilt `dpolint`, `gen_dpo` and
# `parse_only` to use instead of building), DATA (default bench-data/).
# jq and hyperfine are optional: rows whose tool is missing are skipped (apt-get install jq).
set -euo pipefail
cd "$(dirname "$0")/.."

records=${1:-400000}
shift || true
cores=$(nproc)
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 "$cores")
runs=${RUNS:-3}
data=${DATA:-bench-data}
mkdir -p "$data"

if [ -n "${BIN:-}" ]; then
  dpolint=$BIN/dpolint gen=$BIN/gen_dpo parse_only=$BIN/parse_only
else
  cargo build --release --quiet --bin dpolint --example gen_dpo
  parse_only=$(cargo bench --bench parse_only --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and "parse_only" in m["executable"]][-1])')
  dpolint=target/release/dpolint gen=target/release/examples/gen_dpo
fi

big=$data/clean-$records.jsonl
bad=$data/bad1000-$records.jsonl
[ -f "$big" ] || "$gen" "$big" "$records"
[ -f "$bad" ] || "$gen" "$bad" "$records" --bad-every 1000
bytes=$(stat -c %s "$big")
cat "$big" "$bad" > /dev/null   # warm the page cache

rows=()
measure() { # NAME [--first] COMMAND...
  local name=$1; shift
  local options=()
  if [ "$1" = --first ]; then options=(--first); shift; fi
  local result
  result=$(python3 bench/measure.py "$runs" "${options[@]}" -- "$@")
  rows+=("$name|$result")
}

measure "wc -l" wc -l "$big"
for t in "${threads[@]}"; do
  measure "simd-json typed parse only, chunked, $t thread(s)" "$parse_only" "$big" simd-json "$t"
done
measure "serde_json typed borrowed parse, 1 thread" "$parse_only" "$big" serde-json 1
if command -v jq > /dev/null; then
  # A partial schema check: the record's three keys, a messages array, one assistant message per
  # side, string content. (What jq users write; far from the whole rule book.)
  jq_program='select((.input.messages | type) != "array"
    or (.preferred_output | length) != 1 or (.non_preferred_output | length) != 1
    or .preferred_output[0].role != "assistant" or .non_preferred_output[0].role != "assistant"
    or (.preferred_output[0].content | type) != "string"
    or ([.input.messages[].role] | any(. != "system" and . != "user" and . != "assistant"))) | input_line_number'
  measure "jq with a partial schema check" jq -c "$jq_program" "$big"
fi
for t in "${threads[@]}"; do
  measure "dpolint check, every default rule, $t thread(s)" "$dpolint" check --threads "$t" --format concise "$big"
done
last=${threads[${#threads[@]}-1]}
measure "dpolint check, one bad record per 1000, $last thread(s)" "$dpolint" check --threads "$last" --format concise "$bad"
measure "dpolint: time to the first finding (same file, jsonl)" --first "$dpolint" check --threads "$last" --format jsonl "$bad"

python3 - "$bytes" "$cores" "${rows[@]}" <<'PY'
import sys
size, cores, rows = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
parsed = []
for row in rows:
    name, result = row.split("|")
    seconds, rss, codes = result.split()
    parsed.append((name, float(seconds), int(rss)))
times = {name: seconds for name, seconds, _ in parsed}
wc = times.get("wc -l")
jq = times.get("jq with a partial schema check")
print(f"{size / 1e9:.2f} GB, {cores} cores, best of the runs, page cache warm")
print()
print("| what | wall | throughput | vs `wc -l` | vs jq | peak RSS |")
print("|---|---|---|---|---|---|")
for name, seconds, rss in parsed:
    if "first finding" in name:
        print(f"| {name} | {seconds * 1000:.0f} ms | - | - | - | {rss / 1024:.0f} MiB |")
        continue
    rate = size / seconds
    rate_text = f"{rate / 1e9:.2f} GB/s" if rate >= 1e9 else f"{rate / 1e6:.0f} MB/s"
    versus_wc = f"{wc / seconds:.2f}x" if wc else "-"
    versus_jq = f"{jq / seconds:.1f}x" if jq else "-"
    print(f"| {name} | {seconds:.3f} s | {rate_text} | {versus_wc} | {versus_jq} | {rss / 1024:.0f} MiB |")
PY
