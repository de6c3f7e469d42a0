"""A bare Flask app on the fake server's own HTTP server: the floor under the fake server.

    python -m harness.bench.bare_flask [--wsgi granian]

Serves ``GET /ping`` -> ``pong`` with the very ``make_wsgi_server`` the fake server uses (same
backend, same thread pool) on 127.0.0.1 and a free port, prints ``{"ready": true, "url":
"http://127.0.0.1:PORT/ping"}``, and serves until its standard input closes. The benchmark
sets its request rate beside the fake server's: the difference is what the fake server's own
work costs.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence

from flask import Flask

from fake_server.wsgi import BACKENDS, CLI_BACKEND, DEFAULT_THREADS, make_wsgi_server


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.bench.bare_flask")
    parser.add_argument("--wsgi", choices=BACKENDS, default=CLI_BACKEND)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args(argv)
    app = Flask("bare")
    app.add_url_rule("/ping", "ping", lambda: "pong")
    server = make_wsgi_server(app, "127.0.0.1", 0, threads=args.threads, backend=args.wsgi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"ready": True, "url": f"http://127.0.0.1:{server.port}/ping"}), flush=True)
    sys.stdin.read()  # until the benchmark closes it (or ends)
    server.shutdown()


if __name__ == "__main__":
    main()
