"""The notebook runner: parameters from params.yaml, a kernel that does not litter the log, and
a failed run that leaves its executed copy for inspection and no output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from musicmarkets.notebook import run_notebook

NOTEBOOK = """# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
seed = 0
fail = False

# %%
if fail:
    raise RuntimeError("asked to fail")
print(f"seed is {seed}")
"""


def _project(root: Path, fail: bool) -> None:
    (root / "dvc.yaml").write_text(
        "stages:\n  demo:\n    cmd: musicmarkets run demo demo.py out.ipynb\n"
        "    params: [common.seed, demo]\n",
        encoding="utf-8",
    )
    (root / "params.yaml").write_text(
        f"common:\n  seed: 42\ndemo:\n  fail: {str(fail).lower()}\n", encoding="utf-8"
    )
    (root / "demo.py").write_text(NOTEBOOK, encoding="utf-8")


def _stdout(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_a_stage_runs_with_its_params_and_the_kernel_prints_no_transport_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, fail=False)
    run_notebook("demo", Path("demo.py"), Path("out.ipynb"), root=tmp_path)
    assert "seed is 42" in _stdout(tmp_path / "out.ipynb")
    captured = capfd.readouterr()  # the kernel's own stderr lands here: it inherits the fds
    log = captured.out + captured.err
    assert "without encryption" not in log and "KeyboardInterrupt" not in log, log


def test_a_failed_stage_keeps_its_executed_copy_and_writes_no_output(tmp_path: Path) -> None:
    _project(tmp_path, fail=True)
    with pytest.raises(papermill.PapermillExecutionError, match="asked to fail"):
        run_notebook("demo", Path("demo.py"), Path("out.ipynb"), root=tmp_path)
    assert not (tmp_path / "out.ipynb").exists()
    assert (tmp_path / "out.failed.ipynb").is_file()


def test_kernel_sockets_live_outside_the_project() -> None:
    """While a stage runs, its kernel's sockets exist as files: in the temporary folder, never
    in the project (a copy of the project taken meanwhile failed on them)."""
    import tempfile

    from musicmarkets.notebook import LocalKernelManager

    manager = LocalKernelManager()
    assert manager.transport == "ipc"
    assert Path(manager.ip).is_relative_to(tempfile.gettempdir()), manager.ip
