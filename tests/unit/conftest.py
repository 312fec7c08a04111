"""Unit tests build their small PyTensor graphs in FAST_COMPILE mode: Python implementations
of each operation, no C compilation. With empty compile caches the C backend spent most of the
unit tier compiling graphs that run once on a few hundred numbers (the model tests took 223 s
cold, 27 s in this mode). The equations are the same; the production graphs are compiled with
the C backend by every pipeline test and by `make repro`. Tests marked ``slow`` (real fits)
keep the default mode."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _python_graphs(request):
    if request.node.get_closest_marker("slow"):
        yield
        return
    import pytensor

    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield
