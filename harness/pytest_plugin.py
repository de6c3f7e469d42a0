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

- ``conductor_server_options``: the options of the session's server
  (``fake_server.options.ServerOptions``, defaults unless overridden); override this
  session-scoped fixture in a ``conftest.py`` to change them for every test below it.

Marker ``@pytest.mark.conductor_server(time_skipping=True, manual_clock=True, auth_key=...,
auth_secret=..., token_ttl_seconds=..., long_poll=False, ...)`` (any option of
``ServerOptions``, and ``mode="subprocess"``) gives that test a server of its own with those
options, on top of ``conductor_server_options``: with time skipping, whenever no task is in
progress or ready to hand out, the server's clock jumps to the next timer (retry delays,
callbacks, WAITs, timeouts), so tests of them run in seconds with real workers
(``conductor_server.admin.time_skipping(False)`` pauses it for a block); a manual clock is moved
with ``conductor_server.admin.advance_clock(seconds)``; without long poll, a worker's polling
interval shows in ``harness.scenario.observe_polling``.

The plugin loads wherever the testing tools are installed (``pip install .`` at the repository's
root, distribution ``conductor-workers-testing``), and imports nothing of the fake server, nor
of any Conductor SDK, until a fixture is used: ``conductor_server`` needs no SDK at all;
``conductor_workers`` runs the workers with the ``TaskHandler`` of the SDK the project has (this
repository's or conductor-python 2.0.0).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

MARKER = "conductor_server"
INSTALL_HINT = "pip install conductor-workers-testing"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): run the test against a fake Conductor server of its own, with"
        " these options of fake_server.options.ServerOptions (time_skipping=True,"
        " manual_clock=True, auth_key=..., auth_secret=..., long_poll=False, ...) and"
        " mode='subprocess' to serve it from a process of its own",
    )


def _server_handle(fixture: str) -> Any:
    """``harness.server.ServerHandle``, or a test failure that says what to install."""
    try:
        import waitress  # noqa: F401  (what it serves on in a thread)

        import fake_server.http  # noqa: F401  (the fake server, with Flask and the rest)
    except ImportError as missing:
        pytest.fail(
            f"the {fixture} fixture runs a fake Conductor server, which needs {missing.name} "
            f"(not installed): {INSTALL_HINT}",
            pytrace=False,
        )
    from harness.server import ServerHandle

    return ServerHandle


@pytest.fixture(scope="session")
def conductor_server_options() -> Any:
    """The options of the session's fake server (``fake_server.options.ServerOptions``);
    override this fixture (session scope) to change them."""
    _server_handle("conductor_server")
    from fake_server.options import ServerOptions

    return ServerOptions()


@pytest.fixture(scope="session")
def _conductor_shared_server(conductor_server_options: Any) -> Iterator[Any]:
    with _server_handle("conductor_server")(conductor_server_options) as server:
        yield server


@pytest.fixture
def conductor_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fake Conductor server: ``.url``, ``.admin``, ``.check()``."""
    server_handle = _server_handle("conductor_server")
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and (marker.kwargs or marker.args):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        options = request.getfixturevalue("conductor_server_options")
        with _marked_server(server_handle, options, marker.kwargs) as server:
            yield server
            server.check()
        return
    server = request.getfixturevalue("_conductor_shared_server")
    server.reset()
    yield server
    server.check()


def _marked_server(server_handle: Any, options: Any, keywords: dict[str, Any]) -> Any:
    """The server the marker's keywords describe; a test failure naming the option the marker
    got wrong (unknown, or not allowed with another) instead of a traceback."""
    try:
        return server_handle(options, **keywords)
    except ValueError as error:  # an OptionError names the option, and the closest one
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)


@pytest.fixture
def conductor_workers(
    conductor_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Starts worker processes against ``conductor_server`` until the test ends, with the
    ``TaskHandler`` of the Conductor SDK that is installed.

    ``conductor_workers(*workers, import_modules=None, scan_for_annotated_workers=None,
    configuration=None)`` returns a ``RunningWorkers`` (``.drain()``, ``.check_alive()``,
    ``.processes``). What the worker processes print and log is shown in the report of a test
    that fails ("Captured worker log").
    """
    from harness.workers import run_workers

    output = _worker_log(request.node)
    with ExitStack() as stack:

        def start(*workers: Any, **options: Any) -> Any:
            __tracebackhide__ = True
            if "configuration" not in options and conductor_server.auth_key:
                options["configuration"] = _configuration_with_token(conductor_server)
            running = run_workers(workers, conductor_server.url, output=output, **options)
            return stack.enter_context(running)

        yield start


WORKER_LOG = pytest.StashKey[Path]()
WORKER_LOG_SHOWN = pytest.StashKey[bool]()
WORKER_LOG_SECTION = "worker log"  # pytest titles it "Captured worker log call"


def _worker_log(item: pytest.Item) -> Path:
    """The file that the test's worker processes write to (removed after the test)."""
    if WORKER_LOG not in item.stash:
        handle, name = tempfile.mkstemp(prefix="conductor-workers-", suffix=".log")
        os.close(handle)
        item.stash[WORKER_LOG] = Path(name)
    return item.stash[WORKER_LOG]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report gets what its worker processes printed and logged, as a section
    of its own; a passing test's gets nothing."""
    path = item.stash.get(WORKER_LOG, None)
    failed = call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception)
    if path is not None and failed and not item.stash.get(WORKER_LOG_SHOWN, False):
        from harness.worker_output import tail

        text = tail(path) or "(the worker processes printed and logged nothing)\n"
        item.add_report_section(call.when, WORKER_LOG_SECTION, text)
        item.stash[WORKER_LOG_SHOWN] = True
    report = yield
    if path is not None and call.when == "teardown":
        path.unlink(missing_ok=True)
    return report


def _configuration_with_token(server: Any) -> Any:
    """Workers of a server with authentication log in with its key and secret."""
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.configuration.settings.authentication_settings import (
        AuthenticationSettings,
    )

    settings = AuthenticationSettings(key_id=server.auth_key, key_secret=server.auth_secret)
    return Configuration(server_api_url=server.url, authentication_settings=settings)
