"""Executes one notebook with nbclient through the kernel its metadata names (the Deno kernel), for tools/notebooks.ts.

    run_notebook.py IN.ipynb OUT.ipynb --timeout SECONDS

Errors raised by cells are recorded in OUT as error outputs (like `jupyter execute --allow-errors`); the caller checks
them. Run by .tools/jupyter-venv/bin/python (tools/setup_jupyter.sh), with the kernel's working directory the
notebook's own, so a notebook imports onebit as "../mod.ts".

Two workarounds that plain `jupyter execute` lacks, for outputs lost with the Deno kernel (2.9.5) under it; both were
seen here, on 10-20% of the cells of a 20-cell notebook, and with them none in 6 runs:
- Its IOPub socket misses what it publishes in the first moments (ZeroMQ's slow joiner), so the first cells ran
  but kept no output. Before the first cell, kernel_info requests are sent until one's status reaches IOPub.
- It sometimes publishes a cell's execute_result after the cell's idle status, which nbclient takes as the end of
  the cell's output. After idle, a cell's messages are still collected for GRACE_SECONDS.
"""

import argparse
import os
import queue
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async

# The late results seen here came 0.1-0.2 ms after idle (3 of 60 cells): a thousandfold margin.
GRACE_SECONDS = 0.2


class DenoNotebookClient(NotebookClient):
    """nbclient's client with the two workarounds above."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        await self._await_iopub()
        return kc

    async def _await_iopub(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            wait_until = time.monotonic() + 0.5
            while time.monotonic() < wait_until:
                try:
                    msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.1))
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
                    return
        raise RuntimeError(f"the kernel published nothing on IOPub within {self.startup_timeout} s")

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index) -> None:
        idle_at = None
        while True:
            timeout = None if idle_at is None else max(0.0, idle_at + GRACE_SECONDS - time.monotonic())
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=timeout))
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle_at = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per cell")
    args = parser.parse_args()
    nb = nbformat.read(args.notebook, as_version=4)
    cwd = os.path.dirname(os.path.abspath(args.notebook))
    client = DenoNotebookClient(nb, timeout=args.timeout, allow_errors=True, resources={"metadata": {"path": cwd}})
    client.execute()
    nbformat.write(nb, args.output)


if __name__ == "__main__":
    main()
