"""The ``conductor-fake-server`` command (also ``python -m fake_server``).

Its arguments are the options of :class:`~fake_server.options.ServerOptions`; the server is
built from them by :func:`~fake_server.assembly.served_from_environment` in the process that
serves (granian's worker, or this one on waitress).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Sequence

from fake_server import process_memory
from fake_server.assembly import LOG_FORMAT, OPTIONS_VARIABLE
from fake_server.backends import serve
from fake_server.engine import Engine
from fake_server.loader import DefinitionsError, load_definitions
from fake_server.options import OptionError, ServerOptions

EXIT_USAGE = 2
ANNOUNCE = "Fake Conductor server listening on {root_url}/api\nIts console: {root_url}/"
TIME_SKIPPING_ANNOUNCE = (
    "Time skipping is on: with no task in progress or ready, the clock jumps to the next timer"
)
IN_USE_HINT = " (is a server running there already? --port 0 picks a free port)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conductor-fake-server",
        description=(
            "An in-memory fake Conductor server for developing and testing task workers. "
            "Workers use it as a real server: point CONDUCTOR_SERVER_URL at the URL it prints. "
            "Its web console is at the server's root (http://127.0.0.1:8080/ by default). "
            "State lives in memory only; the test-only admin API is under /fake/ "
            "(see the fake_server.http.admin module)."
        ),
    )
    ServerOptions.add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        options = ServerOptions.from_arguments(parser.parse_args(argv))
    except OptionError as error:
        parser.error(error.for_command_line())
    logging.basicConfig(level=options.log_level or "WARNING", format=LOG_FORMAT)
    announce = [ANNOUNCE]
    if options.definitions:
        try:  # here first, so that a bad file is an error of the command, not of its server
            loaded = load_definitions(Engine(), options.definitions)
        except DefinitionsError as error:
            print(f"conductor-fake-server: error: --definitions {error}", file=sys.stderr)
            return EXIT_USAGE
        announce.append(
            f"Loaded {loaded.task_defs} task and {loaded.workflow_defs} workflow definitions "
            f"from {options.definitions}"
        )
        options = options.replace(definitions=os.path.abspath(options.definitions))
    if options.time_skipping:
        announce.append(TIME_SKIPPING_ANNOUNCE)
    exposed = options.exposure_warning(options.port or "the one printed below")
    if exposed is not None:
        print(f"conductor-fake-server: {exposed}", file=sys.stderr, flush=True)
    backend = options.backend or "waitress"
    process_memory.limit_c_heap_arenas()  # before the HTTP server's threads start
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    try:
        serve(
            "fake_server.assembly:served_from_environment",
            host=options.host,
            port=options.port,
            backend=backend,
            threads=options.threads,
            announce="\n".join(announce),
            log_level=options.log_level or "WARNING",
        )
    except OSError as error:
        print(
            f"conductor-fake-server: error: cannot listen on {options.host}:{options.port}: "
            f"{error}{IN_USE_HINT if error.errno == errno.EADDRINUSE else ''}",
            file=sys.stderr,
        )
        return 1
    except RuntimeError as error:  # the HTTP server cannot run (e.g. granian is missing)
        print(f"conductor-fake-server: error: --wsgi {backend}: {error}", file=sys.stderr)
        return 1
    finally:
        del os.environ[OPTIONS_VARIABLE]
    print("Fake Conductor server stopped", flush=True)
    return 0
