#!/usr/bin/env bash
# Whole-model A/B of two onebit trees (each with its own TS, ABI and built library: e.g. a worktree of an older
# commit), in alternating processes: for each pair, `bench/bench.ts` runs from tree A, then from tree B.
# Prints per-model medians, B/A of the medians and the median of the pairs' ratios.
#
#   bash bench/ab_trees.sh OLD_TREE NEW_TREE [--pairs 15] [--threads 1] [--runs 50] model.tflite ...
#
# Build both libraries first (`zig build` in each). The pair ratio is the one to read on a shared machine.
set -euo pipefail
a=$1 b=$2; shift 2
pairs=15 threads=1 runs=50 models=()
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) pairs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) models+=("$(realpath "$1")"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || { echo "usage: ab_trees.sh OLD_TREE NEW_TREE [--pairs N] [--threads N] [--runs N] model.tflite ..." >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in $(seq 1 "$pairs"); do
  for side in a b; do
    tree=$a; [ $side = b ] && tree=$b
    for m in "${models[@]}"; do
      ms=$(cd "$tree" && deno run -A bench/bench.ts "$m" --runs "$runs" --threads "$threads" --json 2>/dev/null |
        python3 -c "import json,sys; print(json.load(sys.stdin)['latency']['median_ms'])")
      echo "$i $side $(basename "$m" .tflite) $ms" >>"$out"
    done
  done
done
python3 - "$out" "$threads" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
for m in dict.fromkeys(r[2] for r in rows):
    a = [float(r[3]) for r in rows if r[2] == m and r[1] == "a"]
    b = [float(r[3]) for r in rows if r[2] == m and r[1] == "b"]
    pairs = st.median([y / x for x, y in zip(a, b)])
    print(f"{m}, {sys.argv[2]} thread(s): A {st.median(a):.3f} ms, B {st.median(b):.3f} ms, "
          f"B/A of medians {st.median(b) / st.median(a):.3f}, median pair ratio {pairs:.3f} ({len(a)} pairs)")
PY
