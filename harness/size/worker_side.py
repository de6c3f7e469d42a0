"""The worker side of one sizing run: the user's task function in N processes x T threads.

    python -m harness.size.worker_side --worker SPEC --name TASK --task QUEUE --url URL
        --processes N --threads T --id-prefix P

Imports the worker the way ``harness.size.loading`` does, then builds N ``Worker`` objects
polling ``QUEUE`` (the sizing run's own task name) with the user's function,
``thread_count=T`` and a distinct ``worker_id`` each, and starts them with ``TaskHandler``:
the public API this SDK and conductor-python 2.0.0 share. Key and secret come from
``CONDUCTOR_AUTH_KEY``/``CONDUCTOR_AUTH_SECRET``, as the SDKs read them. It prints one JSON
line (``{"ready": true, "pid", "workers": [pids], "sdk"}``) and runs until its standard input
closes, as the benchmark's worker side does (whose code it runs).
"""

from __future__ import annotations

import argparse
import sys

from harness.bench.worker_main import sdk_description, serve_until_stopped
from harness.size.loading import LoadError, load_workers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", required=True, help="MODULE:NAME or MODULE, as given")
    parser.add_argument("--name", required=True, help="the worker's own task name")
    parser.add_argument("--task", required=True, help="the sizing run's task name to poll")
    parser.add_argument("--url", required=True, help="the server's API base, ending in /api")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--id-prefix", default="size")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        found = [w for w in load_workers(args.worker) if w.task_name == args.name]
    except LoadError as error:
        print(str(error), file=sys.stderr)
        return 2
    if not found:
        print(f"{args.worker} has no worker named {args.name}", file=sys.stderr)
        return 2
    serve_until_stopped(found[0].function, args, {"sdk": sdk_description()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
