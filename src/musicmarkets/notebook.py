"""Execute a pipeline notebook (a Jupytext percent script) with Papermill.

Parameters come from params.yaml: exactly the keys that the stage's ``params:`` list in dvc.yaml
declares, injected into the notebook's ``parameters`` cell. The executed notebook is written atomically; a failed
run leaves ``<output>.failed.ipynb`` for inspection and no output that DVC would accept.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager

from musicmarkets.config import load_params, load_stages, repo_root
from musicmarkets.io import atomic_path, remove_stale_temporaries, write_text
from musicmarkets.kernel import (
    import_statements,
    started_kernel,
)
from musicmarkets.params import stage_param_keys, stage_parameters

log = logging.getLogger(__name__)

# What a stage's notebook prints that says how far a long stage has got: these lines reach the
# log as they come (everything else stays in the executed notebook). Sampling starts with PyMC's
# "NUTS[sampler]: [variables]" line, which the log shortens.
PROGRESS = re.compile(
    r"^(refit \d+ of \d+\b.*|.*\ball gates passed$|.*GATES FAILED.*|variant \w+: .*)$"
)
SAMPLING = re.compile(r"^NUTS\[(\w+)\]: \[(.*)\]$")


class ProgressLog(io.TextIOBase):
    """A stream for a notebook's stdout and stderr that logs its progress lines."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for line in text.splitlines():
            line = line.strip()
            sampling = SAMPLING.match(line)
            if sampling:
                n = len(sampling.group(2).split(","))
                log.info("stage %s: sampling with %s (%d variables)", self.stage, sampling[1], n)
            elif PROGRESS.match(line):
                log.info("stage %s: %s", self.stage, line)
        return len(text)


def parameters_cell(notebook: Path) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters`` cell (executed in isolation)."""
    nb = jupytext.read(notebook)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{notebook}: expected one cell tagged 'parameters', found {len(cells)}")
    namespace: dict[str, Any] = {}
    exec(compile(cells[0].source, f"{notebook}:parameters", "exec"), {}, namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if not k.startswith("_")}


def number_cells(path: Path) -> None:
    """Cell ids by position (``cell-0``, ``cell-1``, ...) instead of the random ids given when
    the script becomes a notebook and when Papermill injects its parameters: a page's bytes
    then depend on its inputs only."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)


def run_notebook(
    stage: str,
    notebook: Path,
    output: Path,
    html: Path | None = None,
    title: str | None = None,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    kernel: AsyncKernelManager | None = None,
    log_done: bool = True,
) -> Path:
    """Execute ``notebook`` for ``stage`` and write the executed copy (and optional HTML).

    ``kernel``: a kernel already started (``musicmarkets.kernel.started_kernel``), kept running
    after the call; by default the call starts its own and shuts it down. ``log_done``: log the
    stage's end (``run_each`` logs it once for all its items)."""
    root = root or repo_root()
    notebook, output = root / notebook, root / output
    stages = load_stages(root)
    if stage not in stages:
        raise KeyError(f"dvc.yaml has no stage {stage!r}")
    params = stage_parameters(load_params(root), stage_param_keys(stages[stage]))
    params |= overrides or {}
    defaults = parameters_cell(notebook)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"{notebook.name}: the stage passes {unknown}, not in its parameters cell")
    for stale in remove_stale_temporaries(root):
        log.warning("removed %s, left by an interrupted run", stale.relative_to(root))
    nb = jupytext.read(notebook)
    started = time.perf_counter()
    log.info("stage %s: running %s", stage, notebook.name)
    with contextlib.ExitStack() as stack:
        if kernel is None:  # ours to shut down: cleanly, never by an interrupt (log noise)
            kernel = stack.enter_context(started_kernel(root))
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        source = Path(tmp) / notebook.with_suffix(".ipynb").name
        nbformat.write(nb, source)
        with atomic_path(output, suffix=".ipynb") as partial:
            try:
                papermill.execute_notebook(
                    str(source),
                    str(partial),
                    parameters=params,
                    cwd=str(root),
                    progress_bar=False,
                    log_output=False,
                    stdout_file=ProgressLog(stage),
                    stderr_file=ProgressLog(stage),
                    km=kernel,
                )
            except papermill.PapermillExecutionError:
                failed = output.with_suffix(".failed.ipynb")
                shutil.copyfile(partial, failed)
                log.error("%s failed; the executed notebook is in %s", notebook.name, failed)
                raise
            number_cells(partial)
    if html is not None:
        # nbconvert: only for report pages; DRAFT is decided from the gates the stages recorded
        from musicmarkets.config import paths
        from musicmarkets.report import notebook_to_html
        from musicmarkets.report.inputs import ReportInputs

        draft = bool(ReportInputs(paths(root)).failed)
        page = notebook_to_html(output, title or notebook.stem, draft)
        write_text(page, root / html)
    if log_done:
        log.info("stage %s: done in %.0f s", stage, time.perf_counter() - started)
    return output


def run_each(
    stage: str,
    notebook: Path,
    output: str,
    html: str | None,
    title: str | None,
    name: str,
    source: str,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    kernel: AsyncKernelManager | None = None,
) -> list[Path]:
    """Run ``notebook`` once per item of the stage's list parameter ``source``, with the
    notebook parameter ``name`` set to the item, all in one kernel (``kernel``, or one started
    here): the imports and the inputs are paid for once. ``{name}`` in ``output`` and ``html``
    is replaced by each item."""
    root = root or repo_root()
    stages = load_stages(root)
    params = stage_parameters(load_params(root), stage_param_keys(stages[stage]))
    params |= overrides or {}
    if not isinstance(params.get(source), list):
        raise ValueError(f"stage {stage!r} has no list parameter {source!r} to run each item of")
    outputs = []
    stage_started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if kernel is None:
            kernel = stack.enter_context(started_kernel(root, import_statements(root / notebook)))
        for item in params[source]:
            started = time.perf_counter()
            fill = {name: item}
            outputs.append(
                run_notebook(
                    stage,
                    notebook,
                    Path(output.format(**fill)),
                    Path(html.format(**fill)) if html else None,
                    title,
                    root,
                    (overrides or {}) | fill,
                    kernel,
                    log_done=False,
                )
            )
            log.info("stage %s: %s=%s in %.1f s", stage, name, item, time.perf_counter() - started)
    log.info("stage %s: done in %.0f s", stage, time.perf_counter() - stage_started)
    return outputs
