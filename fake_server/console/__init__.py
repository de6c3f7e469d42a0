"""The web console's templates and static files, and the one Jinja environment that renders
them (autoescaped; independent of Flask's request context, so the routing table's handlers
render pages as they answer any other route)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2

from fake_server.console import pages

_FILTERS = {
    "clock_time": pages.clock_time,
    "full_time": pages.full_time,
    "duration": pages.duration,
    "pretty_json": pages.pretty_json,
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fake_server.console", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_FILTERS)
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def static_file(name: str) -> bytes | None:
    """The bytes of ``static/<name>``; None when there is no such file (or the name tries to
    leave the folder)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    resource = resources.files("fake_server.console") / "static" / name
    return resource.read_bytes() if resource.is_file() else None
