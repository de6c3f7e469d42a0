"""``python -m harness bench``: the throughput benchmark."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fake_server.options import BACKENDS, COMMAND_LINE_BACKEND
from harness.argtypes import non_negative_float, positive_float, positive_int
from harness.bench.output import INSTALL_HINT

DESCRIPTION = """\
Measures this project's worker SDK against the fake Conductor server (in its own process):
throughput draining a pre-loaded queue (N worker processes x thread_count, from the server's
own timestamps), pick-up latency and CPU of idle workers, resident memory per worker process,
the same drains of tasks inside workflows (one task, five in a line, a FORK of 10), the
servers' capacity (the fake server beside a bare Flask route on the same HTTP server) and
a plain client loop as the one-machine ceiling, an async worker's tasks per second, and how a
worker side recovers from kill -9 of one of its processes. With --compare-python, the same
runs with
another Python environment's SDK, alternating, and the ratios. Prints a table per part measured
(with --targets, the project's targets table too); --json and --plot write the figures and a
chart. To size YOUR worker for a target rate, use python -m harness size.

Terms: "tasks/s" counts worker tasks from the first hand-out to the last completion, from the
server's timestamps; "worker CPU ms/task" and "server CPU ms/task" are the CPU time the worker
processes / the fake server used during a drain (with the queuing or the workflows' start),
divided by its worker tasks; "server CPU vs ad hoc" is that of a workflow's task over an
ad-hoc task's, same side and point, paired per repeat; "plain loop" is a
minimal client with no SDK (http.client, a batch poll then update-v2 returning the next task),
the fastest any Python client can go on this machine: the ceiling; "vs ceiling" is the SDK's
tasks/s divided by the plain loop's at the same point; "PxT" (or "at") is P worker processes x
T threads each; "pick-up latency" is from a task becoming ready to a worker receiving it;
"idle CPU" is what idle workers use polling an empty queue, in % of one core."""
PARTS = ("throughput", "workflows", "ceiling", "latency", "capacity", "async", "kill")


def counts(text: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]``: positive whole numbers, in the order given, no repeats."""
    values: list[int] = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{part.strip()!r} in {text!r} is not a whole number "
                "(give a comma-separated list such as 1,2,4)"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{value} in {text!r} is not at least 1")
        values += [value] if value not in values else []
    return values


def point(text: str) -> tuple[int, int]:
    """``"4x10"`` -> ``(4, 10)``: processes x threads."""
    try:
        processes, threads = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not PROCESSESxTHREADS (e.g. 4x10)") from None
    if processes < 1 or threads < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: processes and threads must be at least 1")
    return processes, threads


def parts(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in chosen if part not in PARTS]
    if unknown or not chosen:
        choices = ", ".join(PARTS)
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or repr(text)}: choose among {choices}"
        )
    return chosen


def shapes(text: str) -> list[str]:
    """``"workflow-1,fork-10"`` -> the workflow shapes the workflows part drains."""
    from harness.bench.workloads import ADHOC, SHAPES

    chosen = [part.strip() for part in text.split(",") if part.strip()]
    allowed = [name for name in SHAPES if name != ADHOC]
    unknown = [part for part in chosen if part not in allowed]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or repr(text)}: choose among {', '.join(allowed)}"
        )
    return list(dict.fromkeys(chosen))


def interpreter(text: str) -> str:
    """An interpreter as an absolute path (the worker sides run in another folder). A venv's
    python is a symlink, which must not be resolved: it is what makes the venv apply."""
    return os.path.abspath(text) if os.sep in text else shutil.which(text) or text


# The type of each option that has one, its default and its --quick default (None: the same),
# as typed on the command line; they are filled in after parsing (``settings``).
VALUES: dict[str, tuple[Callable[[str], Any], str | None, str | None]] = {
    "processes": (counts, "1,2,4", "1,2"),
    "threads": (counts, "10", "4"),
    "reference": (point, "4x10", "2x4"),
    "tasks": (positive_int, "6000", "300"),  # a drain of 2 s or more at ~3,000 tasks/s
    "task_ms": (non_negative_float, "0", None),
    "cpu_ms": (non_negative_float, "0", None),
    "repeat": (positive_int, "3", "1"),
    "work": (shapes, "workflow-1,workflow-5,fork-10", "workflow-1"),
    "compare_python": (interpreter, None, None),
    "only": (parts, ",".join(PARTS), None),
    "soak": (positive_float, None, None),
    "latency_samples": (positive_int, "100", "10"),
    "latency_gap_ms": (non_negative_float, "50", "30"),
    "idle_seconds": (positive_float, "5", "1"),
    "settle_seconds": (non_negative_float, "2", "0.5"),
    "capacity_seconds": (positive_float, "3", "1"),
    "soak_sample_seconds": (positive_float, "10", None),
    "drain_timeout": (positive_float, "600", None),
    "server_threads": (positive_int, None, None),
    "async_concurrency": (counts, "100,500", "100"),
    "async_task_ms": (non_negative_float, "100", None),
    "async_seconds": (positive_float, "8", "2"),
    "kill_task_ms": (non_negative_float, "500", None),
    "kill_wait": (positive_float, "30", "10"),
}
HELP = {
    "what runs": (
        ("--processes", "LIST", "worker processes to sweep, e.g. 1,2,4,8"),
        ("--threads", "LIST", "thread_count of each worker, a list too"),
        (
            "--reference",
            "PxT",
            "the point of the latency, idle, capacity, kill and target figures (drained only "
            "with --targets, or when it is in the sweep)",
        ),
        ("--tasks", "M", "tasks pre-loaded per drain"),
        ("--task-ms", "MS", "each task sleeps this long (like I/O)"),
        ("--cpu-ms", "MS", "each task keeps a CPU busy this long"),
        ("--repeat", "R", "runs per figure, medians reported"),
        (
            "--work",
            "SHAPES",
            "workflows part: the workflow shapes drained (about --tasks worker tasks each): "
            "workflow-1 (one task), workflow-5 (five in a line), fork-10 (a FORK of 10 "
            "branches and a JOIN)",
        ),
        ("--compare-python", "PATH", "also run the SDK of this interpreter (another venv's)"),
        ("--only", "PARTS", "measure only these, comma-separated (latency: with idle cost)"),
        ("--soak", "MINUTES", "then a steady load this long, sampling the workers' RSS"),
    ),
    "measurement details": (
        ("--latency-samples", "K", "tasks timed one at a time"),
        ("--latency-gap-ms", "MS", "mean idle pause before each of them"),
        ("--idle-seconds", "S", "idle CPU window"),
        ("--settle-seconds", "S", "pause after start-up before the idle window"),
        ("--capacity-seconds", "S", "length of each capacity run"),
        ("--soak-sample-seconds", "S", "RSS sampling period of the soak"),
        ("--drain-timeout", "S", "give up a drain after this long"),
        ("--server-threads", "N", "request threads of the fake server (default: its own)"),
        ("--async-concurrency", "LIST", "async runs: tasks awaiting at once in one process"),
        ("--async-task-ms", "MS", "async runs: each task awaits this long"),
        ("--async-seconds", "S", "async runs: the measuring window"),
        ("--kill-task-ms", "MS", "kill runs: each task sleeps this long"),
        ("--kill-wait", "S", "kill runs: how long recovery is waited for"),
    ),
    "output": (
        ("--json", "FILE", "write every figure and the setup here"),
        ("--plot", "FILE", "draw throughput against processes as a PNG (needs matplotlib)"),
        ("--report", "FILE", "run nothing: print a run that --json saved again (and --plot it)"),
        ("--workdir", "DIR", "keep the worker sides' logs here (default: a temporary folder)"),
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    groups = {name: parser.add_argument_group(name) for name in HELP}
    for group, options in HELP.items():
        for flag, metavar, help in options:
            kind, default, quick = VALUES.get(flag[2:].replace("-", "_"), (str, None, None))
            if default is not None:
                help += f" (default {default}{f', --quick {quick}' if quick else ''})"
            groups[group].add_argument(flag, type=kind, metavar=metavar, help=help)
    groups["what runs"].add_argument(
        "--quick", action="store_true", help="a tiny run (seconds): small sweep, few tasks"
    )
    groups["measurement details"].add_argument(
        "--server-wsgi",
        choices=BACKENDS,
        default=COMMAND_LINE_BACKEND,
        help="HTTP server under the fake server and the bare Flask route (default: %(default)s)",
    )
    groups["output"].add_argument("--no-progress", action="store_true", help="no progress line")
    groups["output"].add_argument(
        "--targets",
        action="store_true",
        help="also drain the --reference point and print the project's targets table",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness bench", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def settings(args: argparse.Namespace) -> argparse.Namespace:
    """The parsed arguments with the defaults of a plain or a --quick run filled in."""
    for name, (kind, default, quick) in VALUES.items():
        if getattr(args, name) is None and default is not None:
            setattr(args, name, kind(quick if args.quick and quick else default))
    return args


def run(args: argparse.Namespace) -> int:
    """Runs the benchmark the parsed arguments describe (or re-reports a saved one); 1 when a
    run failed, 2 for unusable arguments, else 0."""
    from harness.bench.summary import build_document

    def error(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return error(f"--plot needs matplotlib: {INSTALL_HINT}")
    if args.report:
        try:
            saved = json.loads(Path(args.report).read_text())
            document = build_document(saved["setup"], saved["runs"], saved["soak"])
        except (OSError, ValueError, KeyError, TypeError) as problem:
            return error(f"--report {args.report}: not a saved benchmark: {problem!r}")
        return _output(document, args)
    try:
        from harness.bench import runs
    except ImportError as missing:
        return error(f"the benchmark needs {missing.name}, which is not installed: {INSTALL_HINT}")
    from harness.bench.output import Progress

    args = settings(args)
    if args.compare_python:
        try:
            found = runs.check_python(args.compare_python)
        except ValueError as problem:
            return error(str(problem))
        print(f"comparing with {args.compare_python}: {found}", file=sys.stderr)
    progress = Progress(runs.count_steps(args), enabled=not args.no_progress)
    document = runs.run_suite(args, progress, log=lambda line: print(line, file=sys.stderr))
    return _output(document, args)


def _output(document: dict[str, Any], args: argparse.Namespace) -> int:
    from harness.bench.output import render, write_plot

    print(render(document, targets=args.targets))
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    if args.plot:
        print(f"chart written to {write_plot(document, args.plot)}")
    return 1 if document["errors"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
