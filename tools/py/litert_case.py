"""One fuzz case for LiteRT (tests/fuzz.ts --litert): load a .tflite with
ai-edge-litert's interpreter, allocate, invoke on zeros. Exit 0: it ran;
exit 3: a clean rejection (a Python exception, printed on one line). A
signal (segfault, abort) is a crash; the caller's time limit decides hangs.

    .tools/venv/bin/python tools/py/litert_case.py model.tflite
"""

import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter

try:
    it = Interpreter(model_path=sys.argv[1], num_threads=1)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    it.invoke()
except Exception as e:  # noqa: BLE001 - every exception is a clean rejection
    print(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    sys.exit(3)
