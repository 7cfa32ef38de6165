#!/usr/bin/env bash
# Idempotent: the project-local Python venv for cross-checks (LCE, larq,
# larq-zoo, LiteRT, OpenVINO), pinned in tools/py/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.tools/venv
STAMP="$VENV/.requirements"
if [ -f "$STAMP" ] && cmp -s "$STAMP" tools/py/requirements.txt; then exit 0; fi
echo "setup_py: installing the cross-check venv into $VENV (TensorFlow 2.16, LCE 0.16, larq, LiteRT, OpenVINO)" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tools/py/requirements.txt >&2
# larq-zoo and its model-building deps without their stale pins (protobuf<3.20).
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps larq-zoo==2.3.2 zookeeper==1.3.3 typeguard==2.13.3 click >&2
cp tools/py/requirements.txt "$STAMP"
