"""``python -m harness bench`` (also ``conductor-bench``): the throughput benchmark."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fake_server.wsgi import BACKENDS, CLI_BACKEND
from harness.argtypes import non_negative_float, positive_float, positive_int
from harness.bench.figures import parse_counts
from harness.bench.runs import TaskBody
from harness.bench.suite import PARTS, BenchConfig

DESCRIPTION = """\
Measures this project's worker SDK against the fake Conductor server (in its own process):
throughput draining a pre-loaded queue (N worker processes x thread_count, from the server's
own timestamps), pick-up latency and CPU of idle workers, resident memory per worker process,
the servers' capacity (the fake server beside a bare Flask route on the same WSGI server) and
a plain client loop as the one-machine ceiling. With --compare-python, the same runs with
another Python environment's SDK, alternating, and the ratios. Prints tables and the targets;
--json and --plot write the figures and a chart."""

DEFAULTS: dict[str, Any] = {
    "processes": "1,2,4",
    "threads": "10",
    "reference": "4x10",
    "tasks": 6000,  # a drain of 2 s or more at ~3,000 tasks/s: start-up is a small part of it
    "repeat": 3,
    "latency_samples": 100,
    "latency_gap_ms": 50.0,
    "idle_seconds": 5.0,
    "capacity_seconds": 3.0,
    "settle_seconds": 2.0,
}
QUICK: dict[str, Any] = {
    "processes": "1,2",
    "threads": "4",
    "reference": "2x4",
    "tasks": 300,
    "repeat": 1,
    "latency_samples": 10,
    "latency_gap_ms": 30.0,
    "idle_seconds": 1.0,
    "capacity_seconds": 1.0,
    "settle_seconds": 0.5,
}


def _counts(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            parse_counts(text, what)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return parse


def _parts(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in chosen if part not in PARTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or repr(text)}: choose among {', '.join(PARTS)}"
        )
    return chosen


def parse_point(text: str) -> tuple[int, int]:
    """``"4x10"`` -> ``(4, 10)``: processes x threads."""
    parts = text.lower().split("x")
    try:
        processes, threads = (int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not PROCESSESxTHREADS (e.g. 4x10)") from None
    if processes < 1 or threads < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: processes and threads must be at least 1")
    return processes, threads


def interpreter_path(text: str) -> str:
    """An interpreter as an absolute path (the worker sides run in another folder). A venv's
    python is a symlink, which must not be resolved: it is what makes the venv apply."""
    if os.sep in text:
        return os.path.abspath(text)
    return shutil.which(text) or text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def default(name: str) -> str:
        return f"default {DEFAULTS[name]}, --quick {QUICK[name]}"

    sweep = parser.add_argument_group("what runs")
    sweep.add_argument(
        "--processes",
        type=_counts("--processes"),
        metavar="LIST",
        help=f"worker processes to sweep, e.g. 1,2,4,8 ({default('processes')})",
    )
    sweep.add_argument(
        "--threads",
        type=_counts("--threads"),
        metavar="LIST",
        help=f"thread_count of each worker, a list too ({default('threads')})",
    )
    sweep.add_argument(
        "--reference",
        type=parse_point,
        metavar="PxT",
        help="the point where latency, idle cost, memory, capacity and the "
        f"targets are measured; always in the sweep ({default('reference')})",
    )
    sweep.add_argument(
        "--tasks",
        type=positive_int,
        metavar="M",
        help=f"tasks pre-loaded per drain ({default('tasks')})",
    )
    sweep.add_argument(
        "--task-ms",
        type=non_negative_float,
        default=0.0,
        metavar="MS",
        help="each task sleeps this long (like I/O); default 0: trivial task",
    )
    sweep.add_argument(
        "--cpu-ms",
        type=non_negative_float,
        default=0.0,
        metavar="MS",
        help="each task keeps a CPU busy this long; default 0",
    )
    sweep.add_argument(
        "--repeat",
        type=positive_int,
        metavar="R",
        help=f"runs per figure, medians reported ({default('repeat')})",
    )
    sweep.add_argument(
        "--compare-python",
        metavar="PATH",
        help="also run the other SDK installed for this interpreter (e.g. "
        "/work/official-venv/bin/python with conductor-python==2.0.0)",
    )
    sweep.add_argument(
        "--only",
        type=_parts,
        metavar="PARTS",
        help="measure only these, comma-separated, of: "
        + ", ".join(PARTS)
        + " (default: all; latency includes the idle cost)",
    )
    sweep.add_argument(
        "--quick",
        action="store_true",
        help="a tiny run (seconds): small sweep, few tasks, one repeat",
    )
    sweep.add_argument(
        "--soak",
        type=positive_float,
        metavar="MINUTES",
        help="afterwards, keep a steady load this long at the reference point "
        "and sample each worker process's RSS",
    )
    details = parser.add_argument_group("measurement details")
    details.add_argument(
        "--latency-samples",
        type=positive_int,
        metavar="K",
        help=f"tasks timed one at a time ({default('latency_samples')})",
    )
    details.add_argument(
        "--latency-gap-ms",
        type=non_negative_float,
        metavar="MS",
        help=f"mean idle pause before each of them ({default('latency_gap_ms')})",
    )
    details.add_argument(
        "--idle-seconds",
        type=positive_float,
        metavar="S",
        help=f"idle CPU window ({default('idle_seconds')})",
    )
    details.add_argument(
        "--settle-seconds",
        type=non_negative_float,
        metavar="S",
        help=f"pause after start-up before the idle window ({default('settle_seconds')})",
    )
    details.add_argument(
        "--capacity-seconds",
        type=positive_float,
        metavar="S",
        help=f"length of each capacity run ({default('capacity_seconds')})",
    )
    details.add_argument(
        "--soak-sample-seconds",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="RSS sampling period of the soak (default 10)",
    )
    details.add_argument(
        "--drain-timeout",
        type=positive_float,
        default=600.0,
        metavar="S",
        help="give up a drain after this long (default 600)",
    )
    details.add_argument(
        "--server-threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="request threads of the fake server (default: the server's own default)",
    )
    details.add_argument(
        "--server-wsgi",
        choices=BACKENDS,
        default=CLI_BACKEND,
        help="WSGI server under the fake server and the bare Flask route (default: %(default)s, "
        "the one that costs the least CPU per request)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--json", metavar="FILE", help="write every figure and the setup here")
    output.add_argument(
        "--plot",
        metavar="FILE",
        help="draw throughput against processes as a PNG (needs matplotlib: "
        "pip install -e '.[bench]')",
    )
    output.add_argument(
        "--report",
        metavar="FILE",
        help="run nothing: print the tables (and --plot, --json) again from a file that --json "
        "wrote, with this version's summary",
    )
    output.add_argument(
        "--workdir",
        metavar="DIR",
        help="keep the worker sides' logs here (default: a temporary folder)",
    )
    output.add_argument("--no-progress", action="store_true", help="no progress line on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conductor-bench", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    chosen = QUICK if args.quick else DEFAULTS

    def value(name: str) -> Any:
        given = getattr(args, name)
        return chosen[name] if given is None else given

    return BenchConfig(
        processes=parse_counts(value("processes"), "--processes"),
        threads=parse_counts(value("threads"), "--threads"),
        reference=args.reference or parse_point(chosen["reference"]),
        tasks=value("tasks"),
        body=TaskBody(sleep_ms=args.task_ms, cpu_ms=args.cpu_ms),
        repeat=value("repeat"),
        compare_python=interpreter_path(args.compare_python) if args.compare_python else None,
        latency_samples=value("latency_samples"),
        latency_gap_ms=value("latency_gap_ms"),
        idle_seconds=value("idle_seconds"),
        settle_seconds=value("settle_seconds"),
        capacity_seconds=value("capacity_seconds"),
        soak_minutes=args.soak,
        soak_sample_seconds=args.soak_sample_seconds,
        drain_timeout=args.drain_timeout,
        server_threads=args.server_threads,
        server_wsgi=args.server_wsgi,
        workdir=Path(args.workdir) if args.workdir else None,
        parts=args.only or PARTS,
    )


def run(args: argparse.Namespace) -> int:
    """Runs the benchmark the parsed arguments describe (or re-reports a saved one); 1 when a
    run failed, 2 for unusable arguments, else 0."""
    from harness.bench import procs, suite, summary
    from harness.bench.progress import Progress

    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(f"error: --plot needs matplotlib: {procs.INSTALL_HINT}", file=sys.stderr)
            return 2
    if args.report:
        try:
            saved = json.loads(Path(args.report).read_text())
            document = summary.build_document(saved["setup"], saved["runs"], saved["soak"])
        except (OSError, ValueError, KeyError) as error:
            print(f"error: --report {args.report}: not a saved benchmark: {error}", file=sys.stderr)
            return 2
        return _output(document, args)
    procs.psutil_module()  # fail now, with the fix, rather than after the first run
    config = config_from_args(args)
    if config.compare_python:
        try:
            found = suite.check_python(config.compare_python)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"comparing with {config.compare_python}: Python {found}", file=sys.stderr)
    progress = Progress(suite.count_steps(config), enabled=not args.no_progress)
    document = suite.run_suite(
        config, progress=progress, log=lambda line: print(line, file=sys.stderr)
    )
    return _output(document, args)


def _output(document: dict[str, Any], args: argparse.Namespace) -> int:
    from harness.bench import plot, tables

    print(tables.render(document))
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    if args.plot:
        print(f"chart written to {plot.write_plot(document, args.plot)}")
    return 1 if document["errors"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
