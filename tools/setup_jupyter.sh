#!/usr/bin/env bash
# Idempotent, quiet when done: Jupyter for running the example notebooks through the Deno kernel, all inside .tools/.
#   .tools/jupyter-venv   nbclient (what `jupyter execute` runs; tools/py/run_notebook.py drives it) and its
#                         dependencies, pinned in tools/py/requirements-jupyter.txt
#   .tools/jupyter/       Jupyter's data, config and runtime directories; the Deno kernelspec is
#                         .tools/jupyter/jupyter/kernels/deno (deno puts it under $XDG_DATA_HOME/jupyter)
# The kernelspec names the deno that ran this script ($DENO, else the one on PATH), so it is rewritten every time:
# the notebooks run on the same Deno as the tests. tools/notebooks.ts sets the same variables (jupyterEnv there).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.tools/jupyter-venv
STAMP="$VENV/.requirements"
DENO=${DENO:-$(command -v deno || true)}
[ -n "$DENO" ] || { echo "setup_jupyter: deno is not on PATH (or set DENO=/path/to/deno)" >&2; exit 1; }

if ! { [ -f "$STAMP" ] && cmp -s "$STAMP" tools/py/requirements-jupyter.txt; }; then
  echo "setup_jupyter: installing Jupyter (nbclient) into $VENV" >&2
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    # A Python without ensurepip (Debian without python3-venv): virtualenv, which brings its own pip, pinned here.
    rm -rf "$VENV" .tools/virtualenv
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target .tools/virtualenv \
      virtualenv==21.15.14 distlib==0.4.4 filelock==4.3.2 platformdirs==4.14.9 packaging==26.4 \
      python-discovery==1.9.9 >&2
    PYTHONPATH=.tools/virtualenv python3 -m virtualenv --quiet "$VENV" >&2
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tools/py/requirements-jupyter.txt >&2
  cp tools/py/requirements-jupyter.txt "$STAMP"
fi

JUPYTER=$PWD/.tools/jupyter
mkdir -p "$JUPYTER/config" "$JUPYTER/runtime"
XDG_DATA_HOME=$JUPYTER "$DENO" jupyter --install --force --quiet >/dev/null 2>&1 ||
  XDG_DATA_HOME=$JUPYTER "$DENO" jupyter --install --force >&2
[ -f "$JUPYTER/jupyter/kernels/deno/kernel.json" ] ||
  { echo "setup_jupyter: deno jupyter --install wrote no kernelspec under $JUPYTER/jupyter/kernels/deno" >&2; exit 1; }
