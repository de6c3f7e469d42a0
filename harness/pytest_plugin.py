"""pytest plugin for worker authors, active wherever this package is installed (``pytest11``).

Fixtures:

- ``conductor_server``: a fake Conductor server, one per test session (per xdist worker), its
  state reset before each test. ``.url`` is the API base for ``Configuration``; ``.admin`` is an
  ``AdminClient`` (register definitions, start workflows, wait for them, test them on mocked
  results, enqueue tasks, stats). Errors raised inside the server fail the test that caused
  them. ``.faults`` injects faults (``conductor_server.faults.error("update", status=503,
  probability=0.2)``, latency, hangs, duplicate deliveries, outages: see :mod:`harness.faults`),
  cleared before each test.
- ``conductor_workers``: a factory that starts real worker processes for the rest of the test:
  ``conductor_workers(worker, ...)``; they are stopped when the test ends, pass or fail.

Marker ``@pytest.mark.conductor_server(time_skipping=True, manual_clock=True, auth_key=...,
auth_secret=..., token_ttl_seconds=..., long_poll=False)`` gives that test a server of its own
with those options: with time skipping, whenever no task is in progress or ready to hand out,
the server's clock jumps to the next timer (retry delays, callbacks, WAITs, timeouts), so tests
of them run in seconds with real workers (``conductor_server.admin.time_skipping(False)``
pauses it for a block); a manual clock is moved with
``conductor_server.admin.advance_clock(seconds)``; without long poll, a worker's polling
interval shows in ``harness.scenario.observe_polling``.

The plugin loads wherever the package is installed, and imports nothing of the fake server
until a fixture is used: the fixtures need the ``testing`` extra
(``pip install 'conductor-workers[testing]'``), and say so when it is missing.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

MARKER = "conductor_server"
INSTALL_HINT = "pip install 'conductor-workers[testing]'"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(time_skipping=False, manual_clock=False, auth_key=None, auth_secret=None,"
        " token_ttl_seconds=None, long_poll=True, retention_seconds=None):"
        " run the test against a fake Conductor server of its own, with these options",
    )


def _server_handle(fixture: str) -> Any:
    """``harness.server.ServerHandle``, or a test failure that says what to install."""
    try:
        import waitress  # noqa: F401  (what it serves on in a thread)

        import fake_server.http  # noqa: F401  (the fake server, with Flask and the rest)
    except ImportError as missing:
        pytest.fail(
            f"the {fixture} fixture runs a fake Conductor server, which needs the package's "
            f"testing extra ({missing.name} is not installed): {INSTALL_HINT}",
            pytrace=False,
        )
    from harness.server import ServerHandle

    return ServerHandle


@pytest.fixture(scope="session")
def _conductor_shared_server() -> Iterator[Any]:
    with _server_handle("conductor_server")() as server:
        yield server


@pytest.fixture
def conductor_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fake Conductor server: ``.url``, ``.admin``, ``.check()``."""
    server_handle = _server_handle("conductor_server")
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and (marker.kwargs or marker.args):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        with _marked_server(server_handle, marker.kwargs) as server:
            yield server
            server.check()
        return
    server = request.getfixturevalue("_conductor_shared_server")
    server.reset()
    yield server
    server.check()


def _marked_server(server_handle: Any, options: dict[str, Any]) -> Any:
    """The server the marker's options describe; a test failure naming the option the marker
    got wrong (unknown, or not allowed with another) instead of a traceback."""
    known = [name for name in inspect.signature(server_handle).parameters if name != "self"]
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            pytest.fail(
                f"@pytest.mark.{MARKER}: unknown option {name!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; its options: {', '.join(known)}",
                pytrace=False,
            )
    try:
        return server_handle(**options)
    except ValueError as error:
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)


@pytest.fixture
def conductor_workers(conductor_server: Any) -> Iterator[Callable[..., Any]]:
    """Starts worker processes against ``conductor_server`` until the test ends.

    ``conductor_workers(*workers, import_modules=None, scan_for_annotated_workers=False)``
    returns a ``RunningWorkers`` (``.drain()``, ``.check_alive()``, ``.processes``).
    """
    from harness.workers import run_workers

    with ExitStack() as stack:

        def start(*workers: Any, **options: Any) -> Any:
            if "configuration" not in options and conductor_server.auth_key:
                options["configuration"] = _configuration_with_token(conductor_server)
            return stack.enter_context(run_workers(workers, conductor_server.url, **options))

        yield start


def _configuration_with_token(server: Any) -> Any:
    """Workers of a server with authentication log in with its key and secret."""
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.configuration.settings.authentication_settings import (
        AuthenticationSettings,
    )

    settings = AuthenticationSettings(key_id=server.auth_key, key_secret=server.auth_secret)
    return Configuration(server_api_url=server.url, authentication_settings=settings)
