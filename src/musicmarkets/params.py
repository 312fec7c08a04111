"""Parameters apart from where they live: the blocks of params.yaml as frozen dataclasses
(priors, sampler, gates) and the notebook parameters a DVC stage declares. Models and
diagnostics import this module, never the path finding of ``musicmarkets.config``; only
``ParamsBlock.from_params`` without a params mapping reads the repository's params.yaml."""

from __future__ import annotations

import shlex
from dataclasses import fields
from typing import Any, ClassVar, Self

import yaml


def stage_overrides(stage: dict[str, Any]) -> dict[str, Any]:
    """Notebook parameters a stage's command sets itself (``--set name=value``)."""
    words = shlex.split(stage["cmd"])
    out: dict[str, Any] = {}
    for flag, value in zip(words, words[1:], strict=False):
        if flag == "--set":
            name, _, raw = value.partition("=")
            out[name] = yaml.safe_load(raw)
    return out


def parse_each(item: str) -> tuple[str, str]:
    """``--each NAME=LIST_PARAMETER``: the notebook parameter set to each item, and the list
    parameter (a notebook parameter) whose items it takes."""
    name, sep, source = item.partition("=")
    if not sep or not name.isidentifier() or not source.isidentifier():
        raise ValueError(f"--each expects NAME=LIST_PARAMETER, got {item!r}")
    return name, source


def stage_each(stage: dict[str, Any]) -> list[str]:
    """Notebook parameters a stage's command sets to each item of a list (``--each``)."""
    words = shlex.split(stage["cmd"])
    return [parse_each(v)[0] for f, v in zip(words, words[1:], strict=False) if f == "--each"]


def stage_param_keys(stage: dict[str, Any]) -> list[str]:
    """The params.yaml keys a dvc.yaml stage declares (``params:`` entries, default file only)."""
    keys: list[str] = []
    for entry in stage.get("params", []):
        if isinstance(entry, str):
            keys.append(entry)
        elif isinstance(entry, dict):  # {file: [keys]}; only params.yaml is the project's
            for file, names in entry.items():
                if file != "params.yaml":
                    raise ValueError(
                        f"stage reads parameters from {file}; keep them in params.yaml"
                    )
                keys.extend(names)
    return keys


def stage_parameters(params: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """Notebook parameters for the declared keys of a stage.

    ``fit`` (a whole block) contributes each of its keys; ``common.seed`` contributes ``seed``;
    a name that two keys would both produce is an error.
    """
    out: dict[str, Any] = {}
    for key in keys:
        node: Any = params
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"params.yaml has no key {key!r}")
            node = node[part]
        items = (
            node.items()
            if "." not in key and isinstance(node, dict)
            else [(key.split(".")[-1], node)]
        )
        for name, value in items:
            if name in out:
                raise ValueError(f"parameter {name!r} is given twice (by {key!r} and another key)")
            out[name] = value
    return out


class ParamsBlock:
    """Base of the frozen dataclasses that hold a params.yaml block (priors, sampler, gates).

    ``from_dict`` rejects unknown keys by name; a subclass checks its values in ``validate``.
    """

    block: str = "params"  # its name in error messages
    path: ClassVar[str] = ""  # where it sits in params.yaml, e.g. "fit.priors"

    @classmethod
    def from_params(cls, params: dict[str, Any] | None = None, **overrides: Any) -> Self:
        """The block as params.yaml declares it (the repository's own unless ``params`` is
        given), with ``overrides``. params.yaml is the one source of these values: the classes
        hold no defaults of their own."""
        if params is None:  # the repository's own params.yaml, found from the working directory
            from musicmarkets.config import load_params

            params = load_params()
        node: Any = params
        for key in cls.path.split("."):
            node = node[key]
        return cls.from_dict({**node, **overrides})

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Self:
        values = dict(values or {})
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown {cls.block} keys {unknown}; known: {sorted(known)}")
        obj = cls(**values)
        obj.validate()
        return obj

    def validate(self) -> None:
        """Raise ValueError for values outside their domain (the default accepts all)."""
