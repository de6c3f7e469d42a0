"""Sizing's arithmetic on synthetic runs: figures from the server's timestamps, the bound of
a run, what grows next, the recommendation, the report (no processes)."""

from __future__ import annotations

import pytest

from harness.size import output, verdict


def task(scheduled: int, start: int, end: int, status: str = "COMPLETED", reason: str = ""):
    return {
        "scheduledTime": scheduled,
        "startTime": start,
        "endTime": end,
        "status": status,
        "reasonForIncompletion": reason,
    }


def test_figures_come_from_the_server_timestamps():
    # 100 tasks scheduled 10 ms apart, each started 2 ms later and held 20 ms.
    tasks = [task(1000 + 10 * i, 1002 + 10 * i, 1022 + 10 * i) for i in range(100)]
    figures = verdict.run_figures(tasks)
    assert figures["rate"] == pytest.approx(100 / 1.010)  # first start 1002 .. last end 2012
    assert figures["offered_rate"] == pytest.approx(99 / 0.990)
    assert figures["p50_ms"] == 22 and figures["p99_ms"] == 22
    assert figures["held_ms"] == 20
    assert figures["unfinished"] == 0 and figures["errors"] == []


def test_unfinished_tasks_are_counted_and_left_out_of_the_rate():
    tasks = [task(0, 0, 100), task(0, 0, 200), task(0, 0, 0, status="SCHEDULED")]
    figures = verdict.run_figures(tasks)
    assert figures["done"] == 2 and figures["unfinished"] == 1
    assert figures["rate"] == pytest.approx(2 / 0.2)


def test_exceptions_are_grouped_by_type_with_their_first_message():
    tasks = [
        task(0, 1, 2, "FAILED", "ValueError: no price for Z-1"),
        task(0, 1, 3, "FAILED", "ValueError: no price for Z-2"),
        task(0, 1, 3, "FAILED_WITH_TERMINAL_ERROR", "KeyError: 'sku'"),
        task(0, 1, 3, "FAILED", "the worker said no"),  # not an exception's text
        task(0, 1, 4),
    ]
    assert verdict.run_figures(tasks)["errors"] == [
        {"type": "ValueError", "count": 2, "first_message": "no price for Z-1"},
        {"type": "KeyError", "count": 1, "first_message": "'sku'"},
        {"type": "error", "count": 1, "first_message": "the worker said no"},
    ]


def run(processes=1, threads=1, rate=100.0, held_ms=10.0, **more):
    figures = {"processes": processes, "threads": threads, "rate": rate, "held_ms": held_ms}
    return {
        "worker_cpu_ms_per_task": 1.0,
        "process_cpu_cores": 0.1,
        "server_cpu_cores": 0.1,
        "offered_rate": 420.0,
        "machine_cpu": 0.3,
        "unfinished": 0,
        "p99_ms": 30.0,
        **figures,
        **more,
    }


@pytest.mark.parametrize(
    ("figures", "bound"),
    [
        # 45 tasks/s x 21 ms held / 1 thread: 95 % busy, 3 % of it CPU
        ({"rate": 45.0, "held_ms": 21.0, "worker_cpu_ms_per_task": 0.7}, "threads"),
        # a process at 90 % of a core
        ({"process_cpu_cores": 0.9}, "cpu"),
        # threads full, but most of a task's held time is CPU: more threads share one core
        ({"rate": 150.0, "held_ms": 6.5, "worker_cpu_ms_per_task": 5.5}, "cpu"),
        # on a loaded machine: 6 ms on a CPU and 15 ms waiting for one, of 22 ms held
        (
            {"rate": 44.0, "held_ms": 22.0, "worker_cpu_ms_per_task": 6.0}
            | {"worker_cpu_wait_ms_per_task": 15.0, "machine_cpu": 1.0},
            "cpu",
        ),
        ({"server_cpu_cores": 0.95}, "server"),
        ({"machine_cpu": 0.97, "threads": 4}, "cpu"),
        # 100 tasks/s x 10 ms / 4 threads = 25 % busy, CPUs idle: waiting on round trips
        ({"threads": 4}, "network"),
    ],
)
def test_the_bound_follows_the_rule(figures, bound):
    found, why = verdict.bound_of(run(**figures))
    assert found == bound and why


def test_a_run_that_kept_up_names_the_limit_closest_to_full_not_the_busy_machine():
    # 419 tasks/s x 21 ms / 13 threads: 68 % busy; the machine is busy with other programs
    kept_up = run(threads=13, rate=419.0, held_ms=21.0, machine_cpu=0.99)
    bound, why = verdict.bound_of(kept_up)
    assert bound == "threads" and "kept up" in why and "68%" in why


def test_threads_grow_by_what_the_measurement_says_is_needed():
    first = run(rate=45.0, held_ms=21.0, bound="threads")
    # 400/45 = 8.9 x more; grown at most 4 x per step
    assert verdict.next_configuration([first], 400.0, 2)[0] == (1, 4)
    second = run(threads=4, rate=180.0, held_ms=21.0, bound="threads")
    assert verdict.next_configuration([first, second], 400.0, 2)[0] == (1, 11)


def test_cpu_grows_processes_up_to_the_cpus_then_stops():
    first = run(rate=150.0, bound="cpu")
    assert verdict.next_configuration([first], 400.0, 2)[0] == (2, 1)
    second = run(processes=2, rate=220.0, bound="cpu")
    configuration, why = verdict.next_configuration([first, second], 400.0, 2)
    assert configuration is None and "2 CPUs" in why


def test_the_sweep_stops_at_the_server_or_when_growing_stops_helping():
    assert verdict.next_configuration([run(bound="server")], 400.0, 2)[0] is None
    runs = [run(rate=100.0, bound="network"), run(threads=2, rate=200.0, bound="network")]
    runs.append(run(threads=4, rate=205.0, bound="network"))
    configuration, why = verdict.next_configuration(runs, 400.0, 8)
    assert configuration is None and "10 %" in why


def test_the_recommendation_is_the_smallest_configuration_that_meets_the_goal():
    runs = [
        run(rate=45.0, bound="threads"),
        run(threads=16, rate=410.0, bound="network"),
        run(processes=2, threads=8, rate=415.0, bound="network"),
        run(threads=11, rate=402.0, bound="threads"),
    ]
    chosen = verdict.recommend(runs, 400.0, None)
    assert (chosen["processes"], chosen["threads"], chosen["meets_target"]) == (1, 11, True)
    assert chosen["machines"] == 1
    assert chosen["one_process_rate"] == 410.0 and chosen["one_process_saturated"] is False
    # the latency bound rules out what is fast but slow to answer
    assert (
        verdict.recommend([run(rate=500.0, p99_ms=80.0, bound="network")], 400.0, 50.0)[
            "meets_target"
        ]
        is False
    )


def test_out_of_reach_says_how_many_machines():
    runs = [run(rate=150.0, bound="cpu"), run(processes=2, rate=190.0, bound="cpu")]
    chosen = verdict.recommend(runs, 400.0, None)
    assert chosen["meets_target"] is False and (chosen["processes"], chosen["rate"]) == (2, 190.0)
    assert chosen["machines"] == 3  # 400 / 190, rounded up
    assert chosen["processes_for_target"] == 3  # one process: 150 tasks/s
    document = {"target_rate": 400.0, "recommendation": chosen}
    text = output.recommendation_text(document)
    assert "out of this machine's reach" in text and "3 machines like this one" in text


def test_a_backlog_left_behind_is_not_sustaining_the_rate():
    assert not verdict.meets(run(rate=420.0, unfinished=12), 400.0, None)
    assert verdict.meets(run(rate=420.0), 400.0, None)


def test_the_report_says_when_the_load_could_not_be_offered_at_the_rate():
    runs = [run(threads=16, rate=300.0, offered_rate=310.0, bound="network", bound_why="-")]
    document = {
        "worker": "m:f",
        "task_name": "f",
        "queue": "harness_size__f",
        "target_rate": 400.0,
        "p99_ms": None,
        "offered_rate": 420.0,
        "seconds_per_run": 5.0,
        "server": {"description": "the fake server"},
        "sdk": "conductor-workers 0.1.0",
        "machine": {"cpu_count": 2, "load_average": [1.0, 1.0, 1.0]},
        "stopped_because": "test",
        "runs": [
            {
                **r,
                "errors": [],
                "p50_ms": 10.0,
                "server_cpu_ms_per_task": None,
                "rss_mb": [30.0],
                "meets_target": False,
            }
            for r in runs
        ],
    }
    document["recommendation"] = verdict.recommend(document["runs"], 400.0, None)
    text = output.render(document)
    assert "the load reached only 310 tasks/s of the 420 offered" in text
    assert "1 x 16" in text and "out of this machine's reach" in text


def test_a_latency_bound_below_a_tasks_own_time_is_said_so_not_machines():
    # 20 tasks/s reached, but a task is held 21 ms and the p99 is 26 ms: a 5 ms bound is out
    # of reach whatever the configuration.
    fast = run(rate=22.0, held_ms=21.0, p99_ms=26.0, offered_rate=21.0, bound="threads")
    assert verdict.latency_out_of_reach(fast, 20.0, 5.0)
    assert not verdict.latency_out_of_reach(run(rate=22.0, held_ms=21.0, p99_ms=900.0), 20.0, 5.0)
    chosen = verdict.recommend([fast], 20.0, 5.0)
    assert (chosen["meets_target"], chosen["rate_met"], chosen["machines"]) == (False, True, 1)
    text = output.recommendation_text(
        {"target_rate": 20.0, "p99_ms": 5.0, "recommendation": chosen}
    )
    assert "The rate is reached, the latency bound is not" in text and "26 ms" in text
    assert "machines" not in text
