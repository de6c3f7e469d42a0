"""The reference pages under docs/reference/ are what tools/reference_docs.py makes of the code
now: a method or route added, renamed or documented differently makes this test fail until the
pages are written again."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fake_server.http.routes import ROUTES
from fake_server.options import SPECS
from harness.admin import AdminClient
from harness.faults import FaultsClient
from harness.workers import RunningWorkers
from tests.paths import REPO


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reference_docs", REPO / "tools" / "reference_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_every_reference_page_is_up_to_date(generator: ModuleType) -> None:
    stale = [str(path.relative_to(REPO)) for path in generator.stale_pages()]
    assert not stale, f"{stale} differ from the code: run {generator.COMMAND}"


@pytest.mark.parametrize(
    "cls", [AdminClient, FaultsClient, RunningWorkers], ids=lambda c: c.__name__
)
def test_the_client_reference_shows_every_public_method_with_its_parameters(
    generator: ModuleType, cls: type
) -> None:
    page = (REPO / "docs" / "reference" / "harness-client.md").read_text()
    for name in dir(cls):
        member = getattr(cls, name)
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        parameters = [p for p in inspect.signature(member).parameters if p != "self"]
        shown = next(line for line in page.splitlines() if line.startswith(f"| `{name}("))
        assert all(f"{p}:" in shown or f"**{p}" in shown for p in parameters), shown


def test_the_routes_reference_lists_every_route_of_the_table() -> None:
    page = (REPO / "docs" / "reference" / "fake-server-routes.md").read_text()
    for route in ROUTES:
        if route.name == "refused":  # listed with its reason in docs/coverage.md
            continue
        assert f"| {route.method} | `{route.path}` | `{route.name}` |" in page


def test_check_names_a_stale_page_and_fails(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(generator, "REFERENCE", tmp_path)
    monkeypatch.setattr(generator, "REPO", tmp_path)
    assert generator.main(["--check"]) == 1
    assert "stale: harness-client.md (run .venv/bin/python tools/reference_docs.py)" in (
        capsys.readouterr().out
    )
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0


def test_the_options_reference_lists_every_option_with_its_flag() -> None:
    page = (REPO / "docs" / "reference" / "fake-server-options.md").read_text()
    for name, spec in SPECS.items():
        assert f"| `{name}` | `{spec.flag}` |" in page
