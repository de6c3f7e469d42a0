"""A bare Flask app on the fake server's own WSGI server: the floor under the fake server.

    python -m harness.bench.bare_flask [--wsgi granian]

Serves ``GET /ping`` -> ``pong`` with the very ``make_wsgi_server`` the fake server uses (same
backend, same thread pool), on 127.0.0.1 and a free port, and prints
``Bare Flask app listening on http://127.0.0.1:PORT/ping``. The benchmark sets its request
rate beside the fake server's: the difference is what the fake server's own work costs.
Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from flask import Flask

from fake_server.wsgi import BACKENDS, CLI_BACKEND, DEFAULT_THREADS, make_wsgi_server

PATH = "/ping"


def create_app() -> Flask:
    app = Flask("bare")

    @app.get(PATH)
    def ping() -> str:
        return "pong"

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.bare_flask", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--wsgi", choices=BACKENDS, default=CLI_BACKEND)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args(argv)
    server = make_wsgi_server(create_app(), "127.0.0.1", 0, threads=args.threads, backend=args.wsgi)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Bare Flask app listening on http://127.0.0.1:{server.port}{PATH}", flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
