#!/usr/bin/env bash
# Converter throughput: generates TRL-layout data (prompt/chosen/rejected strings, the same text as
# the check benchmark) and a gzip copy, then times `dpolint convert` into JSONL on a warm cache.
#
# usage: bench/convert.sh [RECORDS]      (default 400000, about 0.95 GB)
# Environment: RUNS (default 3, best of), DATA (default bench-data/).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-400000}
runs=${RUNS:-3}
data=${DATA:-bench-data}
mkdir -p "$data"
cargo build --release --quiet --bin dpolint --example gen_dpo
trl=$data/trl-$records.jsonl
[ -f "$trl" ] || target/release/examples/gen_dpo "$trl" "$records" --layout trl
[ -f "$trl.gz" ] || gzip -1 -k -c "$trl" > "$trl.gz"
fireworks=$data/clean-$records.jsonl
[ -f "$fireworks" ] || target/release/examples/gen_dpo "$fireworks" "$records"
cat "$trl" "$trl.gz" "$fireworks" > /dev/null
bytes=$(stat -c %s "$trl")
fireworks_bytes=$(stat -c %s "$fireworks")
out=$data/converted.jsonl
row() { # NAME SIZE INPUT...
  local name=$1 size=$2; shift 2
  local result
  result=$(python3 bench/measure.py "$runs" -- target/release/dpolint convert "$@" -o "$out")
  python3 -c "import sys; s,r=float(sys.argv[1]),int(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} s | {int(sys.argv[4])/s/1e6:.0f} MB/s | {r/1024:.0f} MiB |')" \
    ${result% *} "$name" "$size"
}
echo "| what | wall | throughput (input bytes) | peak RSS |"
echo "|---|---|---|---|"
row "trl JSONL to fireworks JSONL ($(nproc) cores)" "$bytes" "$trl"
row "trl JSONL.gz to fireworks JSONL (throughput of the uncompressed bytes)" "$bytes" "$trl.gz"
row "fireworks JSONL normalised (--from fireworks)" "$fireworks_bytes" "$fireworks"
rm -f "$out"
