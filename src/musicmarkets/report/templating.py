"""The pages' own HTML blocks, from Jinja2 templates in ``report/templates`` with autoescape on:
every text that comes from data, metrics or params is escaped where it is placed; HTML made
elsewhere (nbconvert's body, another template's block, the style sheet) comes in as ``Markup``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

FOLDER = Path(__file__).parent / "templates"

__all__ = ["Markup", "render"]


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(FOLDER),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """The template ``name`` (a file in ``report/templates``) filled with ``context``."""
    return environment().get_template(name).render(**context)
