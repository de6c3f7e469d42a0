"""The coverage page (``docs/coverage.md``): Conductor OSS's REST routes, grouped by controller,
each marked answered or refused (with the reason), from the routing table.

Regenerate it with ``python -m fake_server.http.coverage > docs/coverage.md``; a test renders
it again and compares, so the page cannot drift from the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from fake_server.http.conductor_api import ROUTES as CONDUCTOR_ROUTES
from fake_server.http.conductor_api import ConductorRoute
from fake_server.http.routes import ROUTES, Route, path_shape

ANSWERED = "answered"
REFUSED = "refused"
MISSING = "missing"  # neither answered nor refused: the table and the list disagree


def route_status(conductor: ConductorRoute, table: Iterable[Route] = ROUTES) -> str:
    """Whether the routing table answers ``conductor``'s route, refuses it, or lacks it."""
    shape = (conductor.method, path_shape(conductor.werkzeug_path))
    for route in table:
        if (route.method, path_shape(route.path)) == shape:
            return REFUSED if route.handler.__name__ == "refused" else ANSWERED
    return MISSING


def beyond_conductor(table: Iterable[Route] = ROUTES) -> list[Route]:
    """Routes under ``/api`` that Conductor OSS does not have."""
    known = {(c.method, path_shape(c.werkzeug_path)) for c in CONDUCTOR_ROUTES}
    return [
        route
        for route in table
        if route.is_api and (route.method, path_shape(route.path)) not in known
    ]


def render() -> str:
    statuses = [(route, route_status(route)) for route in CONDUCTOR_ROUTES]
    answered = sum(status == ANSWERED for _, status in statuses)
    lines = [
        "# Conductor OSS REST API: what the fake server covers",
        "",
        "<!-- Generated from fake_server/http/routes.py and fake_server/http/conductor_api.py by",
        "     `python -m fake_server.http.coverage > docs/coverage.md`; a test checks it. -->",
        "",
        "Every route of Conductor OSS's REST controllers (conductor-oss/conductor, `rest/` and the",
        "scheduler module), grouped by controller. **answered**: the fake server answers it as",
        "Conductor does. **refused**: it answers 400 `not supported by the fake server: ...` with",
        "the reason given here, so that nothing passes locally and fails in production.",
        "",
        f"{answered} of {len(statuses)} routes are answered.",
    ]
    for resource in dict.fromkeys(route.resource for route in CONDUCTOR_ROUTES):
        lines += ["", f"## {resource}", "", "| Method | Path | Fake server |", "|---|---|---|"]
        for route, status in statuses:
            if route.resource == resource:
                shown = f"refused: {route.refused}" if status == REFUSED else status
                lines.append(f"| {route.method} | `{route.path}` | {shown} |")
    extra = beyond_conductor()
    if extra:
        lines += [
            "",
            "## Beyond Conductor OSS",
            "",
            "Routes under `/api` that Conductor OSS does not have (the test-only admin API under",
            "`/fake` and the console are not listed).",
            "",
            "| Method | Path | Handler |",
            "|---|---|---|",
        ]
        lines += [f"| {r.method} | `{r.path}` | `{r.name}` |" for r in extra]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
