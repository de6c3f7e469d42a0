"""The arithmetic of sizing: the figures of one run from the server's timestamps, the bound
of a run, the next configuration to try, and the recommendation. Pure functions over plain
dicts (the JSON ``--json`` writes), tested without processes.

The bound of a run: each limit is a fraction of how full it was during the run.

- threads: busy threads of a process, by Little's law: tasks per second per process x the time
  a task is held (start -> end on the server) / threads;
- a worker process's CPU: its CPU seconds per second (one core at most: the GIL);
- the server's CPU (when the server runs on this machine);
- the machine's CPUs (every program's, the other users' included).

The rule, first match wins: a process's CPU >= 75 % of a core, or threads >= 70 % busy with a
task whose held time is at least half on a CPU or waiting for one (Linux's schedstat: on a
busy machine a CPU-bound task waits more than it runs) -> ``cpu`` (more threads would share
the same cores); the server's CPU >= 75 % of a core -> ``server``; threads >= 70 % busy ->
``threads``; the machine's CPUs >= 90 % busy -> ``cpu``; else ``network``: threads and CPUs
have room, so the time goes in the requests' round trips. A run that kept up with the load
(nothing left queued) is bound by nothing yet: its bound is the limit closest to full
(threads, its processes' CPU, the server).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Percentiles as the fake server computes its own (nearest rank).
from fake_server.engine.stats import summarize

BOUNDS = ("threads", "cpu", "server", "network")
RULE = (
    "first match: a worker process's CPU >= 75% of a core, or threads >= 70% busy with tasks "
    "at least half on a CPU or waiting for one -> cpu; the server's CPU >= 75% of a core -> "
    "server; threads >= 70% busy -> threads; the machine's CPUs >= 90% busy -> cpu; else "
    "network. A run that kept up: the limit closest to full"
)
PROCESS_CPU_FULL = 0.75
SERVER_CPU_FULL = 0.75
THREADS_FULL = 0.70
CPU_SHARE_OF_TASK = 0.5
MACHINE_FULL = 0.90
KEPT_UP = 0.95  # of the rate offered
BETTER = 1.10  # a configuration helps when it is at least 10 % faster than the best so far
LATENCY_FLOOR = 2.0  # a p99 within this many times the mean held time is mostly the task itself
MAX_THREADS = 256
DONE = {"COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR"}
_REASON = re.compile(r"^([A-Za-z_][\w.]*)(?::\s*(.*))?$", re.DOTALL)


def run_figures(tasks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One run's figures from its tasks as the server has them: tasks done per second from
    the first start to the last end, latency (scheduled -> end: pick-up and execution), the
    held time (start -> end), the rate the load was offered at, the errors."""
    done = [t for t in tasks if t.get("status") in DONE and int(t.get("endTime") or 0)]
    scheduled = sorted(int(t["scheduledTime"]) for t in tasks if t.get("scheduledTime"))
    figures: dict[str, Any] = {
        "tasks": len(tasks),
        "done": len(done),
        "unfinished": len(tasks) - len(done),
        "offered_rate": _per_second(len(scheduled) - 1, scheduled[0], scheduled[-1])
        if len(scheduled) > 1
        else None,
        "errors": error_summary(done),
    }
    if not done:
        return {**figures, "rate": 0.0, "p50_ms": None, "p99_ms": None, "held_ms": None}
    first = min(int(t["startTime"]) for t in done)
    last = max(int(t["endTime"]) for t in done)
    latency = summarize(int(t["endTime"]) - int(t["scheduledTime"]) for t in done)
    held = summarize(int(t["endTime"]) - int(t["startTime"]) for t in done)
    return {
        **figures,
        "rate": _per_second(len(done), first, last),
        "p50_ms": latency["p50"],
        "p99_ms": latency["p99"],
        "held_ms": held["mean"],
    }


def _per_second(count: int, first_ms: int, last_ms: int) -> float:
    return count / max((last_ms - first_ms) / 1000.0, 0.001)


def error_summary(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Failed tasks grouped by exception type: type, count, the first message."""
    found: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if task.get("status") == "COMPLETED":
            continue
        reason = str(task.get("reasonForIncompletion") or "").strip()
        match = _REASON.match(reason.splitlines()[0] if reason else "")
        kind = match.group(1) if match and match.group(2) is not None else "error"
        message = (match.group(2) if match and match.group(2) is not None else reason) or "-"
        entry = found.setdefault(kind, {"type": kind, "count": 0, "first_message": message})
        entry["count"] += 1
    return sorted(found.values(), key=lambda e: -e["count"])


def fullness(run: Mapping[str, Any]) -> dict[str, float | None]:
    """How full each limit was during the run, as a fraction (``None``: not measured)."""
    per_process = run["rate"] / run["processes"]
    held_s = (run.get("held_ms") or 0.0) / 1000.0
    # A task's time on a CPU, or ready and waiting for one (what more threads cannot shorten)
    cpu_per_task = (run.get("worker_cpu_ms_per_task") or 0.0) + (
        run.get("worker_cpu_wait_ms_per_task") or 0.0
    )
    return {
        "threads": per_process * held_s / run["threads"],
        "process_cpu": run.get("process_cpu_cores"),
        "task_cpu_share": min(cpu_per_task / 1000.0 / held_s, 1.0) if held_s else None,
        "server_cpu": run.get("server_cpu_cores"),
        "machine_cpu": run.get("machine_cpu"),
    }


def kept_up(run: Mapping[str, Any]) -> bool:
    """The workers took the load as it came: nothing left queued, the rate offered reached."""
    offered = run.get("offered_rate")
    return not run.get("unfinished") and (not offered or run["rate"] >= KEPT_UP * offered)


def bound_of(run: Mapping[str, Any]) -> tuple[str, str]:
    """The bound of a run and why, in words (the rule is in this module's doc)."""
    full = fullness(run)
    threads, process = full["threads"] or 0.0, full["process_cpu"] or 0.0
    share, server = full["task_cpu_share"] or 0.0, full["server_cpu"]
    machine = full["machine_cpu"]
    if kept_up(run):
        limits = {"threads": (threads, THREADS_FULL), "cpu": (process, PROCESS_CPU_FULL)}
        limits["server"] = (server or 0.0, SERVER_CPU_FULL)
        closest = max(limits, key=lambda name: limits[name][0] / limits[name][1])
        return closest, (
            f"it kept up with the load; closest to its limit: {closest} at "
            f"{limits[closest][0]:.0%} (full at {limits[closest][1]:.0%})"
        )
    if process >= PROCESS_CPU_FULL:
        return "cpu", f"each worker process uses {process:.0%} of a core (one at most: the GIL)"
    if threads >= THREADS_FULL and share >= CPU_SHARE_OF_TASK:
        return "cpu", (
            f"threads are {threads:.0%} busy, but {share:.0%} of a task's time is on a CPU or "
            "waiting for one: more threads would only wait longer"
        )
    if server is not None and server >= SERVER_CPU_FULL:
        return "server", f"the server uses {server:.0%} of a core"
    if threads >= THREADS_FULL:
        return "threads", f"threads are {threads:.0%} busy (tasks/s x held time / threads)"
    if machine is not None and machine >= MACHINE_FULL:
        return "cpu", f"the machine's CPUs are {machine:.0%} busy (other programs included)"
    return "network", (
        f"threads {threads:.0%} busy, worker CPU {process:.0%} of a core: the time goes in "
        "requests' round trips to the server"
    )


def meets(run: Mapping[str, Any], target: float, p99_ms: float | None) -> bool:
    """Sustained the target: that rate or more, no backlog left, the latency bound kept."""
    latency_ok = p99_ms is None or (run.get("p99_ms") is not None and run["p99_ms"] <= p99_ms)
    return rate_met(run, target) and latency_ok


def rate_met(run: Mapping[str, Any], target: float) -> bool:
    return bool(run["rate"] >= target and not run.get("unfinished"))


def latency_out_of_reach(run: Mapping[str, Any], target: float, p99_ms: float | None) -> bool:
    """The rate is met but not the latency bound, and the p99 is about a task's own held
    time (little queueing): more processes or threads cannot bring it under."""
    if p99_ms is None or not rate_met(run, target) or run.get("p99_ms") is None:
        return False
    return bool(run["p99_ms"] > p99_ms and run["p99_ms"] <= LATENCY_FLOOR * (run["held_ms"] or 0))


def next_configuration(
    runs: Sequence[Mapping[str, Any]], target: float, cpu_count: int
) -> tuple[tuple[int, int] | None, str]:
    """What to try after ``runs`` (the last one's bound decides what grows), or ``None`` and
    why the sweep stops."""
    last = runs[-1]
    processes, threads, rate = last["processes"], last["threads"], max(last["rate"], 0.001)
    earlier = [r["rate"] for r in runs[:-1]]
    if earlier and rate < BETTER * max(earlier) and len(runs) > 2:
        return None, "the last configuration was not 10 % faster than the best before it"
    scale = target / rate
    bound = last["bound"]
    if bound == "server":
        return None, "the server is the bound: more worker processes or threads cannot help"
    if bound == "cpu":
        if processes >= cpu_count:
            return (
                None,
                f"CPU is the bound and there are already {processes} processes for "
                f"{cpu_count} CPUs on this machine",
            )
        grown = min(cpu_count, max(processes + 1, math.ceil(processes * scale)))
        return (grown, threads), f"CPU-bound: {grown} processes"
    if threads >= MAX_THREADS:
        return None, f"{MAX_THREADS} threads per process already"
    wanted = math.ceil(threads * scale * 1.2) if bound == "threads" else threads * 2
    grown = min(MAX_THREADS, threads * 4, max(threads * 2, wanted))
    return (processes, grown), f"{bound}-bound: {grown} threads"


def recommend(
    runs: Sequence[Mapping[str, Any]], target: float, p99_ms: float | None
) -> dict[str, Any]:
    """The smallest configuration that met the goal (else the fastest), the rate one process
    reaches, and how many machines like this one the target needs."""
    measured = [r for r in runs if "error" not in r]
    if not measured:
        return {
            "processes": None,
            "threads": None,
            "rate": None,
            "meets_target": False,
            "machines": None,
            "bound": None,
            "one_process_rate": None,
        }
    meeting = [r for r in measured if meets(r, target, p99_ms)]
    fast_enough = [r for r in measured if rate_met(r, target)]
    if meeting:
        chosen = min(meeting, key=lambda r: (r["processes"] * r["threads"], r["processes"]))
    elif fast_enough:  # the rate is reached, the latency bound is not: the lowest p99
        chosen = min(fast_enough, key=lambda r: r["p99_ms"])
    else:
        chosen = max(measured, key=lambda r: r["rate"])
    single = [r for r in measured if r["processes"] == 1]
    one = max(single, key=lambda r: r["rate"]) if single else None
    return {
        "processes": chosen["processes"],
        "threads": chosen["threads"],
        "rate": chosen["rate"],
        "meets_target": bool(meeting),
        "rate_met": bool(fast_enough),
        "p99_ms": chosen.get("p99_ms"),
        "held_ms": chosen.get("held_ms"),
        "machines": 1 if fast_enough else math.ceil(target / max(chosen["rate"], 0.001)),
        "bound": chosen["bound"],
        "one_process_rate": one["rate"] if one else None,
        "one_process_threads": one["threads"] if one else None,
        "one_process_saturated": bool(one and not meets(one, target, None)),
        "processes_for_target": math.ceil(target / one["rate"]) if one and one["rate"] else None,
    }
