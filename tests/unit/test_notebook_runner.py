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
print("refit 1 of 2 at 2019-02-08")
print("NUTS[nutpie]: [level_mu, beta, sigma]")
print("all gates passed")
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
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import gc

    _project(tmp_path, fail=False)
    with caplog.at_level("DEBUG"):
        run_notebook("demo", Path("demo.py"), Path("out.ipynb"), root=tmp_path)
        gc.collect()  # a kernel client left with its channels open warns when collected
    assert "seed is 42" in _stdout(tmp_path / "out.ipynb")
    captured = capfd.readouterr()  # the kernel's own stderr lands here: it inherits the fds
    log = captured.out + captured.err + "\n".join(r.getMessage() for r in caplog.records)
    assert "without encryption" not in log and "KeyboardInterrupt" not in log, log
    assert "Could not destroy zmq context" not in log, log


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

    from musicmarkets.kernel import LocalKernelManager

    manager = LocalKernelManager()
    assert manager.transport == "ipc"
    assert Path(manager.ip).is_relative_to(tempfile.gettempdir()), manager.ip


def test_progress_lines_of_a_long_stage_reach_the_log_as_they_come(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ "refit k of n", the start of sampling and the gates' verdict are logged with the stage's
    name; other printed lines stay in the notebook only."""
    _project(tmp_path, fail=False)
    with caplog.at_level("INFO", logger="musicmarkets.notebook"):
        run_notebook("demo", Path("demo.py"), Path("out.ipynb"), root=tmp_path)
    lines = [r.getMessage() for r in caplog.records]
    assert "stage demo: refit 1 of 2 at 2019-02-08" in lines
    assert "stage demo: sampling with nutpie (3 variables)" in lines
    assert "stage demo: all gates passed" in lines
    assert not any("seed is" in line for line in lines)
    assert "seed is 42" in _stdout(tmp_path / "out.ipynb")


WARM = """# ---
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
import time

started = time.time()

# %%
import slowmod

print("warm" if slowmod.LOADED < started else "cold")
"""


def test_the_stage_command_starts_the_kernel_with_the_notebooks_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`musicmarkets run` starts the kernel first and has it import the notebook's libraries
    while the runner imports Papermill: the notebook's later `import` finds its module loaded
    before the first cell ran. Silently: the cells count from 1, as in a fresh kernel, and the
    same stage through `run_notebook` alone gives the same cells ("cold")."""
    from musicmarkets import cli
    from musicmarkets.kernel import import_statements

    _project(tmp_path, fail=False)
    (tmp_path / "demo.py").write_text(WARM, encoding="utf-8")
    (tmp_path / "slowmod.py").write_text("import time\n\nLOADED = time.time()\ntime.sleep(0.5)\n")
    assert import_statements(tmp_path / "demo.py") == "import time\nimport slowmod"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSICMARKETS_ROOT", raising=False)
    assert cli.main(["run", "demo", "demo.py", "warm.ipynb"]) == 0
    warm = nbformat.read(tmp_path / "warm.ipynb", as_version=4)
    run_notebook("demo", Path("demo.py"), Path("cold.ipynb"), root=tmp_path)
    cold = nbformat.read(tmp_path / "cold.ipynb", as_version=4)
    assert _stdout(tmp_path / "warm.ipynb").strip() == "warm"
    assert _stdout(tmp_path / "cold.ipynb").strip() == "cold"
    counts = [c.get("execution_count") for c in warm.cells if c.cell_type == "code"]
    assert counts == [c.get("execution_count") for c in cold.cells if c.cell_type == "code"]
    assert counts[0] == 1
