"""The ``conductor-fake-server`` command (also ``python -m fake_server``).

The options are checked here; the app is built by :func:`served_app` in the process that
serves (granian's worker, or this one on waitress), from the options in the environment.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from collections.abc import Sequence

from fake_server.engine import Engine, SkippingClock, SystemClock
from fake_server.http import create_app
from fake_server.http.auth import DEFAULT_TOKEN_TTL_SECONDS, TokenAuthority
from fake_server.http.faults import FaultPlan
from fake_server.loader import DefinitionsError, load_definitions
from fake_server.serve import BACKENDS, COMMAND_LINE_BACKEND, DEFAULT_THREADS, ServedApp, serve
from fake_server.server import Ticker

EXIT_USAGE = 2
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ANNOUNCE = "Fake Conductor server listening on {root_url}/api\nIts console: {root_url}/"
TIME_SKIPPING_ANNOUNCE = (
    "Time skipping is on: with no task in progress or ready, the clock jumps to the next timer"
)
IN_USE_HINT = " (is a server running there already? --port 0 picks a free port)"
# The options, as JSON, for served_app in the process that serves.
OPTIONS_VARIABLE = "FAKE_SERVER_OPTIONS"


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
        default=COMMAND_LINE_BACKEND,
        help="HTTP server: granian (Rust, the least CPU per request, in a worker process of "
        "its own) or waitress (pure Python, in this process) (default: %(default)s)",
    )
    parser.add_argument(
        "--no-long-poll",
        dest="long_poll",
        action="store_false",
        help="answer batch polls at once, like a server without long polling (a worker's "
        "polling interval then shows in how often it polls)",
    )
    parser.add_argument(
        "--retention",
        type=float,
        metavar="SECONDS",
        help="remove ended workflows and their tasks this long after they end, so a long run "
        "keeps memory flat (default: keep everything)",
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
    if args.retention is not None and args.retention < 0:
        parser.error(f"--retention must be 0 or more seconds, got {args.retention}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    logging.basicConfig(level=args.log_level, format=LOG_FORMAT)
    announce = [ANNOUNCE]
    if args.definitions:
        try:  # here first, so that a bad file is an error of the command, not of its server
            loaded = load_definitions(Engine(), args.definitions)
        except DefinitionsError as error:
            print(f"conductor-fake-server: error: --definitions {error}", file=sys.stderr)
            return EXIT_USAGE
        announce.append(
            f"Loaded {loaded.task_defs} task and {loaded.workflow_defs} workflow definitions "
            f"from {args.definitions}"
        )
    if args.time_skipping:
        announce.append(TIME_SKIPPING_ANNOUNCE)
    options = {
        "auth_key": args.auth_key,
        "auth_secret": args.auth_secret,
        "token_ttl": args.token_ttl,
        "definitions": os.path.abspath(args.definitions) if args.definitions else None,
        "long_poll": args.long_poll,
        "retention": args.retention,
        "time_skipping": args.time_skipping,
        "log_level": args.log_level,
    }
    os.environ[OPTIONS_VARIABLE] = json.dumps(options)
    try:
        serve(
            "fake_server.cli:served_app",
            host=args.host,
            port=args.port,
            backend=args.wsgi,
            threads=args.threads,
            announce="\n".join(announce),
            log_level=args.log_level,
        )
    except OSError as error:
        print(
            f"conductor-fake-server: error: cannot listen on {args.host}:{args.port}: {error}"
            f"{IN_USE_HINT if error.errno == errno.EADDRINUSE else ''}",
            file=sys.stderr,
        )
        return 1
    except RuntimeError as error:  # the HTTP server cannot run (e.g. granian is missing)
        print(f"conductor-fake-server: error: --wsgi {args.wsgi}: {error}", file=sys.stderr)
        return 1
    finally:
        del os.environ[OPTIONS_VARIABLE]
    print("Fake Conductor server stopped", flush=True)
    return 0


def served_app() -> ServedApp:
    """The fake server of the options that :func:`main` put in the environment, with its
    timer running: called in the process that serves."""
    options = json.loads(os.environ[OPTIONS_VARIABLE])
    logging.basicConfig(level=options["log_level"], format=LOG_FORMAT)
    logging.getLogger("fake_server").setLevel(options["log_level"])
    clock = SkippingClock() if options["time_skipping"] else SystemClock()
    engine = Engine(clock, long_poll=options["long_poll"], retention_seconds=options["retention"])
    auth = None
    if options["auth_key"]:
        auth = TokenAuthority(
            options["auth_key"], options["auth_secret"], engine.clock, options["token_ttl"]
        )
    if options["definitions"]:
        load_definitions(engine, options["definitions"])
    ticker = Ticker(engine).start()

    def stop() -> None:
        ticker.stop()
        engine.long_poll = False  # requests still arriving answer at once
        engine.wake_waiters()

    faults = FaultPlan()
    return ServedApp(create_app(engine, auth, faults), on_stop=stop, faults=faults)
