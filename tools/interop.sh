#!/usr/bin/env bash
# Live interop check with LCE 0.16 / TF 2.16 / LiteRT (needs PyPI; CI uses
# the committed fixtures instead):
#  1. larq models converted by LCE's converter, run by LCE's interpreter,
#     regenerated now, then run by onebit on every backend, and rebuilt
#     with the same weights and converted by onebit into the same graph;
#  2. reports whether the committed fixtures equal the regenerated ones
#     (TF's converter output may differ across machines, so this warns);
#  3. files written by onebit's writer load and run in LCE's interpreter and
#     LiteRT with the same outputs;
#  4. models converted by onebit run there with onebit's outputs;
#  5. Keras files written now by tf-keras, Keras 3 and larq-zoo's own model
#     code (QuickNetSmall, BiRealNet: too big to commit) load into onebit
#     with Keras's outputs; Keras files written by onebit load in tf-keras
#     and larq (and the float ones written with keras3: true in Keras 3)
#     with onebit's outputs; the config keys of Keras's own layer classes
#     regenerated and compared with tests/fixtures/keras/layer_keys.json;
#  6. the road to a cluster: models onebit exports as .keras are trained by
#     larq under MirroredStrategy over two logical CPU devices (replicas
#     checked to agree), saved, and imported, converted and run by onebit
#     with tf-keras's outputs and the ops they had before training.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/setup_py.sh
PY=.tools/venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
quiet() { grep -v -E "^[0-9]{4}-|WARNING|^W0000|^I0000|TF-TRT|rebuild TensorFlow|starved|^ERROR: (Node|larq)|XNNPACK" || true; }
PYTHONPATH=tools/py "$PY" tools/py/lce_fixtures.py "$TMP/lce" 2>&1 | quiet
ONEBIT_FIXTURES="$TMP/lce" ONEBIT_REQUIRE_NATIVE=1 deno test -A tests/runtime_lce_interop_test.ts tests/convert_interop_test.ts
if diff -rq "$TMP/lce" tests/fixtures/lce >/dev/null; then
  echo "interop: regenerated fixtures equal the committed ones"
else
  echo "interop: regenerated fixtures differ from tests/fixtures/lce (commit them if the generator changed)"
fi
deno run -A tools/rewrite_fixtures.ts tests/fixtures/lce "$TMP/ours"
PYTHONPATH=tools/py "$PY" tools/py/run_lce.py "$TMP/ours" 2>&1 | quiet
# 4. onebit's converter: the round-trip sweep, converted here, runs in LCE's
#    interpreter (LCE ops) or LiteRT (builtins only) with onebit's outputs.
deno run -A tools/convert_sweep.ts "$TMP/converted"
PYTHONPATH=tools/py "$PY" tools/py/run_lce.py "$TMP/converted" --save "$TMP/lce_outputs.json" 2>&1 | quiet
cmp -s "$TMP/lce_outputs.json" tests/fixtures/convert/lce_outputs.json ||
  echo "interop: LCE's outputs on the converted sweep differ from tests/fixtures/convert/lce_outputs.json (commit them if the sweep changed)"
# 5. Keras files: the committed fixtures regenerated, and larq-zoo's weights files.
PYTHONPATH=tools/py "$PY" tools/py/keras_files_fixtures.py "$TMP/keras_files" 2>&1 | quiet
PYTHONPATH=tools/py "$PY" tools/py/keras_files_fixtures.py --zoo "$TMP/keras_zoo" 2>&1 | quiet
ONEBIT_KERAS_FIXTURES="$TMP/keras_files" ONEBIT_KERAS_ZOO="$TMP/keras_zoo" deno test -A keras/ zoo/weights_test.ts
deno run -A tools/keras_export.ts "$TMP/keras_export"
PYTHONPATH=tools/py "$PY" tools/py/keras_files_check.py "$TMP/keras_export" 2>&1 | quiet
PYTHONPATH=tools/py "$PY" tools/py/keras_files_check.py --keras3 "$TMP/keras_export" 2>&1 | quiet
PYTHONPATH=tools/py "$PY" tools/py/keras_layer_keys.py "$TMP/layer_keys.json" 2>&1 | quiet
cmp -s "$TMP/layer_keys.json" tests/fixtures/keras/layer_keys.json ||
  echo "interop: Keras's layer keys differ from tests/fixtures/keras/layer_keys.json (commit them if Keras changed)"
# 6. The road to a cluster: onebit → .keras → larq on a TF cluster → .keras → onebit.
deno run -A tools/keras_cluster_demo.ts export "$TMP/cluster"
PYTHONPATH=tools/py "$PY" tools/py/cluster_roundtrip.py "$TMP/cluster" 2>&1 | quiet
deno run -A tools/keras_cluster_demo.ts check "$TMP/cluster"
