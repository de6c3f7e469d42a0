"""``python -m harness size``: how many worker processes and threads a worker needs."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.argtypes import positive_float, positive_int
from harness.bench.cli import interpreter, point

DESCRIPTION = """\
Sizes YOUR worker: runs its task function in N worker processes x T threads (TaskHandler, as
in production) on tasks made from your sample inputs, offered at your target rate, and sweeps
the configurations adaptively: it starts at 1 x 1, grows what the measurements show is the
bound (threads, the process's CPU, the server, the network), and stops when the goal is met
or growing stops helping. Prints a table per configuration, each one's bound and why, and the
recommendation: the smallest configuration meeting the goal on this machine, the rate of one
process and how many machines the target needs. Measures on the fake Conductor server started
for the run, or on the server of --server-url (a real Conductor: key and secret from
CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET), from the server's own timestamps; it creates a
task and a workflow definition named harness_size__<task> there and removes them, and every
workflow it started, when it ends."""

EPILOG = """\
WORKER is MODULE:NAME (a Worker object, a function, a @worker_task/@WorkerTask function) or
MODULE (every function decorated in it, sized one after the other), imported from the current
directory. --inputs is a JSON file holding a list of task inputs (used round robin) or
MODULE:FUNC, a function returning an iterable of inputs (called again when it runs out).
Terms: tasks/s counts tasks done from the first start to the last end; latency is from a
task being scheduled to its end (pick-up + execution); CPU ms/task is CPU time over the load
divided by the tasks. Example:
  cd examples/sizing
  python -m harness size io_bound:fetch_price --inputs inputs.json --rate 400"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("worker", metavar="WORKER", help="MODULE:NAME or MODULE (see below)")
    parser.add_argument(
        "--inputs", required=True, metavar="FILE|MODULE:FUNC", help="sample task inputs"
    )
    parser.add_argument(
        "--rate", required=True, type=positive_float, metavar="TASKS_PER_S", help="target rate"
    )
    parser.add_argument(
        "--p99-ms", type=positive_float, metavar="MS", help="latency bound: p99 of scheduled -> end"
    )
    parser.add_argument(
        "--server-url",
        metavar="URL",
        help="a running Conductor's API base, e.g. http://host:8080/api (default: a fake server "
        "started for the run)",
    )
    parser.add_argument(
        "--seconds",
        type=positive_float,
        default=5.0,
        metavar="S",
        help="load time per configuration (default %(default)s)",
    )
    parser.add_argument(
        "--max-runs",
        type=positive_int,
        default=8,
        metavar="N",
        help="configurations to try at most (default %(default)s)",
    )
    parser.add_argument(
        "--at",
        type=point,
        metavar="PxT",
        help="measure only this configuration, P processes x T threads (e.g. to check a "
        "recommendation again), instead of sweeping",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="run the worker under this interpreter, e.g. the python of a venv with "
        "conductor-python 2.0.0 and your worker's dependencies (default: this one)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the figures here")
    parser.add_argument("--plot", metavar="FILE", help="draw a PNG chart (and FILE.html beside)")
    parser.add_argument("--workdir", metavar="DIR", help="keep the worker sides' logs here")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines")


@contextmanager
def _server(url: str | None) -> Iterator[tuple[Any, str, int | None, str]]:
    """The admin client, API URL, pid (when on this machine) and description of the server."""
    from harness.admin import AdminClient
    from harness.bench import procs

    if url:
        key, secret = os.environ.get("CONDUCTOR_AUTH_KEY"), os.environ.get("CONDUCTOR_AUTH_SECRET")
        parts = urllib.parse.urlsplit(url)
        pid = procs.listening_pid(parts.hostname or "", parts.port or 80)
        where = "its CPU measured" if pid else "its CPU not measured (not found on this machine)"
        with AdminClient(url, auth_key=key, auth_secret=secret) as admin:
            yield admin, url, pid, f"{url} ({where})"
        return
    from harness.server import ServerHandle

    with ServerHandle(mode="subprocess") as server:
        yield server.admin, server.url, server.pid, "the fake server, started for this run"


def run(args: argparse.Namespace) -> int:
    """Sizes the workers the arguments name; 0 when measured, 1 when a run failed, 2 for
    unusable arguments, 3 when the sizing queue is busy, 130 on Ctrl-C."""
    from harness.admin import AdminError
    from harness.bench.output import Progress
    from harness.size.loading import LoadError, load_inputs, load_workers
    from harness.size.output import recommendation_text, render
    from harness.size.queue import QueueBusy, SizingQueue
    from harness.size.sweep import OVER_TARGET, Goal, Sizer, sweep
    from harness.size.verdict import recommend

    def error(message: str, code: int = 2) -> int:
        print(f"size: {message}", file=sys.stderr)
        return code

    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return error("--plot needs matplotlib: pip install -e '.[bench]'")
    try:
        workers, take_inputs = load_workers(args.worker), load_inputs(args.inputs)
        take_inputs(1)  # a generator that fails, fails now
    except LoadError as problem:
        return error(str(problem))
    goal = Goal(args.rate, args.p99_ms)
    python = interpreter(args.python) if args.python else sys.executable
    documents: list[dict[str, Any]] = []
    cpu_count = os.cpu_count() or 1
    try:
        with tempfile.TemporaryDirectory(prefix="conductor-size-") as temporary:
            workdir = Path(args.workdir or temporary)
            workdir.mkdir(parents=True, exist_ok=True)
            with _server(args.server_url) as (admin, url, pid, description):
                for worker in workers:
                    progress = Progress(
                        1 if args.at else args.max_runs, enabled=not args.no_progress
                    )
                    spec = f"{args.worker.partition(':')[0]}:{worker.task_name}"
                    with SizingQueue(admin, worker.task_name) as queue:
                        sizer = Sizer(
                            admin=admin,
                            url=url,
                            server_pid=pid,
                            worker=worker,
                            spec=args.worker,
                            queue=queue,
                            take_inputs=take_inputs,
                            goal=goal,
                            seconds=args.seconds,
                            workdir=workdir,
                            python=python,
                        )
                        if args.at:
                            runs, why = sweep(sizer, cpu_count, 1, progress, start=args.at)
                            why = f"--at {args.at[0]}x{args.at[1]}: one configuration measured"
                        else:
                            runs, why = sweep(sizer, cpu_count, args.max_runs, progress)
                    document = {
                        "worker": spec if ":" not in args.worker else args.worker,
                        "task_name": worker.task_name,
                        "queue": queue.task,
                        "target_rate": args.rate,
                        "p99_ms": args.p99_ms,
                        "offered_rate": args.rate * OVER_TARGET,
                        "seconds_per_run": args.seconds,
                        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                            timespec="seconds"
                        ),
                        "server": {"url": url, "description": description, "pid": pid},
                        "sdk": sizer.sdk,
                        "python": platform.python_version(),
                        "machine": {
                            "cpu_count": cpu_count,
                            "platform": platform.platform(),
                            "load_average": [round(x, 2) for x in os.getloadavg()],
                        },
                        "runs": runs,
                        "stopped_because": why,
                        "recommendation": recommend(runs, args.rate, args.p99_ms),
                    }
                    documents.append(document)
                    print(render(document) + "\n", flush=True)
    except QueueBusy as busy:
        return error(str(busy), 3)
    except AdminError as problem:
        return error(f"the server refused a request: {problem}", 1)
    except KeyboardInterrupt:
        print("size: interrupted; what it created on the server was removed", file=sys.stderr)
        return 130
    for document in documents:
        _write(document, args, suffix=f"-{document['task_name']}" if len(documents) > 1 else "")
    if len(documents) > 1:
        print(
            "Summary:\n"
            + "\n".join(f"  {d['worker']}: {recommendation_text(d)}" for d in documents)
        )
    return 1 if any("error" in r for d in documents for r in d["runs"]) else 0


def _write(document: dict[str, Any], args: argparse.Namespace, suffix: str) -> None:
    from harness.size.output import write_plot

    def named(path: str) -> Path:
        file = Path(path)
        return file.with_name(file.stem + suffix + file.suffix)

    if args.json:
        named(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"figures written to {named(args.json)}")
    if args.plot:
        png, page = write_plot(document, named(args.plot))
        print(f"chart written to {png} and {page}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness size",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
