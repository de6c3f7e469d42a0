"""``python -m harness``: the demo, the benchmark, and sizing a worker."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from harness.argtypes import positive_float, positive_int
from harness.bench.cli import DESCRIPTION as BENCH_DESCRIPTION
from harness.bench.cli import add_arguments as add_bench_arguments
from harness.size.cli import DESCRIPTION as SIZE_DESCRIPTION
from harness.size.cli import EPILOG as SIZE_EPILOG
from harness.size.cli import add_arguments as add_size_arguments


def _configure_logging(*, verbose: bool) -> None:
    # Workers started by fork inherit this; they add a handler of their own only when the root
    # logger has none.
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Run Conductor workers against the fake server: the demo and benchmarks.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the order-processing demo and print its results",
        description=(
            "Starts the embedded fake Conductor server (or uses CONDUCTOR_SERVER_URL when set), "
            "registers an order-processing workflow, runs the example workers in their own "
            "processes, starts a batch of workflows and prints what happened."
        ),
    )
    demo.add_argument(
        "--workflows", type=positive_int, default=20, help="workflows to start (default 20)"
    )
    demo.add_argument(
        "--timeout",
        type=positive_float,
        default=120.0,
        help="seconds to wait for the workflows to end (default 120)",
    )
    demo.add_argument(
        "--verbose", action="store_true", help="show the workers' INFO logs (default: warnings)"
    )
    bench = commands.add_parser(
        "bench",
        help="measure throughput, latency, idle cost and memory of the worker SDK",
        description=BENCH_DESCRIPTION,
    )
    add_bench_arguments(bench)
    size = commands.add_parser(
        "size",
        help="how many worker processes and threads YOUR worker needs for a target rate",
        description=SIZE_DESCRIPTION,
        epilog=SIZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_size_arguments(size)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from harness.demo.run import DemoError, run_demo

        _configure_logging(verbose=args.verbose)
        try:
            return run_demo(args.workflows, timeout=args.timeout)
        except DemoError as error:
            print(f"demo: {error}", file=sys.stderr)
            return 1
    if args.command == "bench":
        from harness.bench.cli import run as run_bench

        return run_bench(args)
    if args.command == "size":
        from harness.size.cli import run as run_size

        return run_size(args)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
