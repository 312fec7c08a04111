"""The kernel a stage's notebook runs in, started before the runner imports Papermill.

A stage spends seconds before its first cell runs: the runner imports Papermill, Jupytext and
nbformat (about 4 s on 2 cores), then starts a kernel (1-2 s), which imports the notebook's
libraries (pandas, PyMC, ArviZ: 1.5-7 s). ``started_kernel`` starts the kernel first and has it
run the notebook's own import statements at once, silently (no execution count, no output
kept), while the runner imports the rest: the two run side by side on two cores. The notebook
then executes in that kernel from its first cell, as it would in a fresh one; its imports find
the modules loaded.

This module imports jupyter_client only, so that starting the kernel waits for nothing else.
"""

from __future__ import annotations

import ast
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

# One BLAS thread per kernel. The samplers run their chains in parallel threads, and each
# chain's log density calls BLAS; a multi-threaded OpenBLAS then splits a product differently
# depending on which of its threads are free, so the same seed could give different rounding
# (and a different posterior) from one run to the next on the same machine.
SINGLE_THREADED_BLAS = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class LocalKernelManager(AsyncKernelManager):
    """A kernel that talks over local sockets (ZeroMQ's ``ipc`` transport) instead of TCP
    ports: nothing listens on the network, and ipykernel has no unencrypted-TCP warning to
    print into the pipeline's log. The sockets live in the temporary folder, never in the
    project (a copy of the project taken meanwhile would meet them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("transport", "ipc")
        folder = Path(tempfile.gettempdir()) / "musicmarkets-kernels" / str(os.getpid())
        folder.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("ip", str(folder / "ipc"))
        super().__init__(**kwargs)
        self.clients: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        """A client of this kernel, remembered so that its channels are closed with the kernel:
        Papermill's executor leaves them open when it does not own the kernel, and jupyter_client
        then warns "Could not destroy zmq context" into the pipeline's log."""
        made = super().client(**kwargs)
        self.clients.append(made)
        return made


def kernel_environment() -> None:
    """Set what every stage's kernel inherits: single-threaded BLAS (same bytes every run)."""
    os.environ.update(SINGLE_THREADED_BLAS)


def import_statements(script: Path) -> str:
    """The module-level ``import`` statements of a notebook script (a Jupytext percent file is
    Python), as code; empty when the script does not parse."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), str(script))
    except (OSError, SyntaxError, ValueError):
        return ""
    return "\n".join(
        ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
    )


@contextmanager
def started_kernel(cwd: Path, warm_up: str = "") -> Iterator[AsyncKernelManager]:
    """A kernel started now in ``cwd`` that runs ``warm_up`` silently while the caller goes on;
    shut down on exit. A warm-up that fails changes nothing: the notebook's own cell then
    raises the error where a reader looks for it."""
    kernel_environment()
    kernel = LocalKernelManager(kernel_name="python3")
    client: BlockingKernelClient | None = None
    try:
        run_sync(kernel.start_kernel)(cwd=str(cwd))
        if warm_up:
            client = BlockingKernelClient()
            client.load_connection_info(kernel.get_connection_info())
            client.start_channels()
            client.execute(warm_up, silent=True, store_history=False)
        yield kernel
    finally:
        if client is not None:
            client.stop_channels()
        for made in kernel.clients:
            if made.channels_running:
                made.stop_channels()
        if kernel.has_kernel:
            # a shutdown request, then a wait (and a kill only past it): jupyter_client's
            # shutdown_kernel interrupts the kernel first, which can print "KeyboardInterrupt
            # caught in kernel" into the pipeline's log
            run_sync(kernel.request_shutdown)()
            run_sync(kernel.finish_shutdown)()
        run_sync(kernel.cleanup_resources)()
