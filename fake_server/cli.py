"""The ``conductor-fake-server`` command (also ``python -m fake_server``)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from fake_server.auth import DEFAULT_TOKEN_TTL_SECONDS
from fake_server.loader import DefinitionsError, load_definitions
from fake_server.server import FakeServer
from fake_server.wsgi import BACKENDS, CLI_BACKEND, DEFAULT_THREADS

EXIT_USAGE = 2
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conductor-fake-server",
        description=(
            "An in-memory fake Conductor server for developing and testing task workers. "
            "Workers use it as a real server: point CONDUCTOR_SERVER_URL at the URL it prints. "
            "State lives in memory only; the test-only admin API is under /fake/ "
            "(see the fake_server.admin module)."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to bind; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--definitions",
        metavar="DIR",
        help="load task and workflow definitions from the *.json files under DIR at start "
        "(a file holds a task definition, a workflow definition (it has 'tasks'), or a list)",
    )
    parser.add_argument("--auth-key", help="require tokens: the key id clients must present")
    parser.add_argument("--auth-secret", help="require tokens: the key secret clients must present")
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=DEFAULT_TOKEN_TTL_SECONDS,
        metavar="SECONDS",
        help="lifetime of an issued token in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="threads that run requests; each long poll holds one, so give more than the "
        "workers that long poll at once (default: %(default)s)",
    )
    parser.add_argument(
        "--wsgi",
        choices=BACKENDS,
        default=CLI_BACKEND,
        help="WSGI server: granian (Rust, the least CPU per request), waitress or werkzeug "
        "(pure Python) (default: %(default)s)",
    )
    parser.add_argument(
        "--no-long-poll",
        dest="long_poll",
        action="store_false",
        help="answer batch polls at once, like a server without long polling (a worker's "
        "polling interval then shows in how often it polls)",
    )
    parser.add_argument(
        "--time-skipping",
        action="store_true",
        help="skip time: whenever no task is in progress or ready to hand out, jump the clock "
        "to the next timer (a retry delay, a callback, a start delay, a WAIT, a timeout), so "
        "that tests of them finish in seconds; switch it off and on with POST "
        "/fake/clock/time-skipping",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="WARNING",
        help="log level; DEBUG also logs every request (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.auth_key) != bool(args.auth_secret):
        parser.error("--auth-key and --auth-secret go together: give both or neither")
    if args.token_ttl <= 0:
        parser.error(f"--token-ttl must be a positive number of seconds, got {args.token_ttl}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = FakeServer(
        args.host,
        args.port,
        auth_key=args.auth_key,
        auth_secret=args.auth_secret,
        token_ttl_seconds=args.token_ttl,
        threads=args.threads,
        log_level=args.log_level,
        backend=args.wsgi,
        long_poll=args.long_poll,
        time_skipping=args.time_skipping,
    )
    if args.definitions:
        try:
            loaded = load_definitions(server.engine, args.definitions)
        except DefinitionsError as error:
            print(f"conductor-fake-server: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        logging.getLogger("fake_server").info(
            "loaded %d task and %d workflow definitions from %s",
            loaded.task_defs,
            loaded.workflow_defs,
            args.definitions,
        )
    try:
        server.start()
    except OSError as error:
        print(
            f"conductor-fake-server: error: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 1
    except RuntimeError as error:  # the WSGI server cannot run (e.g. granian is missing)
        print(f"conductor-fake-server: error: --wsgi {args.wsgi}: {error}", file=sys.stderr)
        return 1
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.request_stop())
    print(f"Fake Conductor server listening on {server.url}", flush=True)
    if args.time_skipping:
        print(
            "Time skipping is on: with no task in progress or ready, the clock jumps to the "
            "next timer",
            flush=True,
        )
    server.serve_forever()
    print("Fake Conductor server stopped", flush=True)
    return 0
