"""A bare Flask app on the fake server's own HTTP server: the floor under the fake server.

    python -m harness.bench.bare_flask [--wsgi granian]

Serves ``GET /ping`` -> ``pong`` the way the fake server's command line serves (same backend,
same thread pool, :func:`fake_server.backends.serve`) on 127.0.0.1 and a free port, prints
``{"ready": true, "url": "http://127.0.0.1:PORT/ping"}``, and serves until its standard input
closes. The benchmark sets its request rate beside the fake server's: the difference is what
the fake server's own work costs.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Sequence

from flask import Flask

from fake_server.backends import ServedApp, serve
from fake_server.options import BACKENDS, COMMAND_LINE_BACKEND, DEFAULT_THREADS


def create_app() -> ServedApp:
    app = Flask("bare")
    app.add_url_rule("/ping", "ping", lambda: "pong")
    return ServedApp(app)


def _stop_when_stdin_closes() -> None:
    # Read the descriptor, not sys.stdin: granian's worker process is forked from this one,
    # and closes sys.stdin, which must not be locked by a reader then.
    while os.read(0, 4096):  # until the benchmark closes it (or ends)
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.bench.bare_flask")
    parser.add_argument("--wsgi", choices=BACKENDS, default=COMMAND_LINE_BACKEND)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args(argv)
    threading.Thread(target=_stop_when_stdin_closes, daemon=True).start()
    serve(
        "harness.bench.bare_flask:create_app",
        host="127.0.0.1",
        port=0,
        backend=args.wsgi,
        threads=args.threads,
        announce='{"ready": true, "url": "{root_url}/ping"}',
    )


if __name__ == "__main__":
    main()
