"""What the console's pages compute from the engine's JSON: filters, forks, sub-workflows,
the timeline, queue and worker rows."""

from __future__ import annotations

from fake_server.console import pages
from fake_server.engine import polling
from tests.unit.fake_server.helpers import Worker, sequence, start


def summaries(engine):
    return engine.list_workflows()


def test_workflows_filter_by_status_and_by_id_name_or_correlation_id(engine, worker):
    first = start(engine, sequence("billing", "charge"), correlationId="order-17")
    second = start(engine, sequence("shipping", "ship"))
    worker.update(worker.take("ship"), "COMPLETED")
    everything = summaries(engine)

    def ids(**filters):
        return [w["workflowId"] for w in pages.filter_workflows(everything, **filters)]

    assert ids(status="COMPLETED") == [second]
    assert ids(status="RUNNING") == [first]
    assert ids(query="ORDER-1") == [first]  # case-insensitive, part of the correlation id
    assert ids(query="shipp") == [second]
    assert ids(query=first[:8]) == [first]
    assert ids(query="nothing like it") == []
    assert set(ids()) == {first, second}


def test_a_forks_branches_and_a_sub_workflow_show_inside_their_parent(engine, clock):
    child = sequence("child", "label")
    fork = {
        "name": "fork",
        "taskReferenceName": "split",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "pick", "taskReferenceName": "pick"}],
            [
                {"name": "pack", "taskReferenceName": "pack"},
                {"name": "notify", "taskReferenceName": "notify"},
            ],
        ],
    }
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["pick"]}
    sub = {
        "name": "sub",
        "taskReferenceName": "ship",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": "child", "version": 1},
    }
    engine.upsert_workflow_defs([dict(child, version=1)])
    workflow_id = start(engine, {"name": "parent", "tasks": [fork, join, sub]})
    worker = Worker(engine)
    for task_type in ("pick", "pack", "notify"):
        worker.update(worker.take(task_type), "COMPLETED", logs=[{"log": f"did {task_type}"}])

    view = pages.workflow_view(
        engine.get_workflow(workflow_id),
        clock.now_ms(),
        logs_of=engine.get_task_logs,
        workflow_of=engine.get_workflow,
    )

    rows = {row.task["referenceTaskName"]: row for row in view.rows}
    assert rows["split"].is_fork and rows["split"].type == "FORK_JOIN"
    assert (rows["pick"].fork, rows["pick"].branch) == ("split", 1)
    assert (rows["notify"].fork, rows["notify"].branch) == ("split", 2)
    assert rows["join"].fork == "" and rows["join"].joins == ["pick"]
    assert [entry["log"] for entry in rows["pack"].logs] == ["did pack"]
    nested = rows["ship"].sub_workflow
    assert nested is not None and nested.workflow["workflowName"] == "child"
    assert [row.task["referenceTaskName"] for row in nested.rows] == ["label"]
    assert pages.descendant_ids(view) == [nested.id]


def test_the_timeline_places_each_task_by_its_wait_and_its_run():
    workflow = {"startTime": 1000, "endTime": 2000}
    tasks = [
        {"referenceTaskName": "a", "status": "COMPLETED", "scheduledTime": 1000,
         "startTime": 1200, "endTime": 1500},
        {"referenceTaskName": "b", "status": "SCHEDULED", "scheduledTime": 1500},
    ]  # fmt: skip

    view = pages.workflow_view({**workflow, "tasks": tasks}, now=2000)

    first, second = view.bars
    assert (first.wait_left, first.wait_width) == (0.0, 20.0)
    assert (first.run_left, first.run_width) == (20.0, 30.0)
    assert (second.wait_left, second.wait_width, second.run_width) == (50.0, 50.0, 0.0)
    assert view.span_ms == 1000


def test_the_timeline_of_an_ended_workflow_stops_at_its_end_whatever_its_tasks_say():
    # A task left without an end time (a system task's defect) is drawn up to the workflow's
    # end, not up to now: the workflow took 10 ms, not an hour.
    workflow = {"startTime": 1000, "endTime": 1010}
    tasks = [{"referenceTaskName": "s", "status": "FAILED", "scheduledTime": 1000,
              "startTime": 1001}]  # fmt: skip

    view = pages.workflow_view({**workflow, "tasks": tasks}, now=3_600_000)

    assert view.span_ms == 10
    assert view.bars[0].run_left + view.bars[0].run_width == 100.0


def test_the_time_axis_has_round_marks_across_the_span():
    ticks = pages.time_axis(1000)
    assert [tick.label for tick in ticks] == ["0", "+200 ms", "+400 ms", "+600 ms", "+800 ms",
                                              "+1.0 s"]  # fmt: skip
    assert [tick.left for tick in ticks] == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert len(pages.time_axis(3_700_000)) <= 7


def test_queue_rows_show_counts_latency_and_queues_never_polled(engine, clock):
    engine.enqueue_tasks("resize", 2)
    engine.enqueue_tasks("resize", 1, domain="eu")
    worker = Worker(engine, "w1", domain="eu")
    worker.update(worker.take("resize"), "COMPLETED")

    rows = {row.name: row for row in pages.queue_rows(engine.stats(), engine.all_poll_data())}

    assert rows["resize"].counts["scheduled"] == 2 and rows["resize"].last_poll == 0
    assert rows["eu:resize"].domain == "eu" and rows["eu:resize"].counts["completed"] == 1
    assert rows["eu:resize"].last_poll == clock.now_ms()
    assert rows["eu:resize"].latency["count"] == 1
    assert not rows["resize"].system
    assert pages.queue_rows(engine.stats(), system_types=["resize"])[0].system


def test_each_queue_shows_its_own_last_poll_not_its_workers_latest(engine, clock):
    engine.poll("resize", "host-1")
    clock.advance(60_000)
    engine.poll("crop", "host-1")  # the same worker id, on another queue, a minute later

    rows = {row.name: row for row in pages.queue_rows(engine.stats(), engine.all_poll_data())}

    assert rows["resize"].last_poll == clock.now_ms() - 60_000
    assert rows["crop"].last_poll == clock.now_ms()


def test_worker_rows_name_the_queues_each_worker_polled(engine):
    Worker(engine, "w1", domain="eu").poll("resize")
    Worker(engine, "w1").poll("crop")

    [row] = pages.worker_rows(engine.stats())

    assert (row.worker_id, row.queues, row.polls) == ("w1", ["crop", "eu:resize"], 2)


def test_processes_sharing_a_worker_id_are_a_row_each_and_stop_when_they_stop_polling(
    engine, clock
):
    engine.enqueue_tasks("resize", 1)
    for port in (5001, 5002, 5003):
        engine.poll("resize", "host-1", source=f"127.0.0.1:{port}")
    clock.advance(pages.ACTIVE_WITHIN_MS + 1)
    engine.poll("resize", "host-1", source="127.0.0.1:5003")

    rows = pages.worker_rows(engine.stats())

    assert [(row.source, row.active) for row in rows] == [
        ("127.0.0.1:5003", True),
        ("127.0.0.1:5001", False),
        ("127.0.0.1:5002", False),
    ]
    assert [row.tasks for row in rows] == [0, 1, 0] and rows[0].polls == 2


def test_durations_and_times_read_as_a_person_would():
    assert pages.duration(850) == "850 ms"
    assert pages.duration(12_340) == "12.3 s"
    assert pages.duration(245_000) == "4 min 05 s"
    assert pages.duration(7_380_000) == "2 h 03 min"
    assert pages.duration(None) == "-"
    assert pages.clock_time(1_700_000_000_123) == "22:13:20.123"
    assert pages.ago(10_000, 7_000) == "3.0 s ago" and pages.ago(10_000, 0) == "never"


def test_a_switch_row_says_which_case_it_took(engine, clock):
    switch = {
        "name": "route",
        "taskReferenceName": "route",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "speed",
        "inputParameters": {"speed": "${workflow.input.speed}"},
        "decisionCases": {"express": [{"name": "noop", "taskReferenceName": "n", "type": "NOOP"}]},
        "defaultCase": [],
    }
    definition = {"name": "routing", "tasks": [switch]}

    def row_of(speed: str) -> pages.TaskRow:
        workflow_id = start(engine, definition, input={"speed": speed})
        view = pages.workflow_view(engine.get_workflow(workflow_id), clock.now_ms())
        return view.rows[0]

    assert row_of("express").choice == "case express"
    assert row_of("by sea").choice == "default case (by sea)"


def test_a_process_that_polls_with_two_worker_ids_is_one_row(engine):
    engine.poll("validate", "vm", source="10.0.0.5 pid 41")
    engine.poll("validate", "validator", source="10.0.0.5 pid 41")  # its update-v2's id
    engine.poll("validate", "vm", source="10.0.0.5 pid 42")

    rows = pages.worker_rows(engine.stats())

    assert [(row.worker_id, row.source, row.polls) for row in rows] == [
        ("validator, vm", "10.0.0.5 pid 41", 2),
        ("vm", "10.0.0.5 pid 42", 1),
    ]


def test_a_process_stopped_long_ago_is_left_out(engine, clock):
    engine.poll("resize", "host-1", source="127.0.0.1:5001")
    clock.advance(pages.STOPPED_LISTED_FOR_MS + 1)
    engine.poll("resize", "host-1", source="127.0.0.1:5002")  # the same worker, reconnected

    assert [row.source for row in pages.worker_rows(engine.stats())] == ["127.0.0.1:5002"]


def test_the_processes_remembered_are_bounded(engine, clock):
    for port in range(polling.MAX_PROCESSES + 1):  # a worker reconnecting on a new port each time
        clock.advance(1000)
        engine.poll("resize", "host-1", source=f"127.0.0.1:{port}")

    sources = [process["source"] for process in engine.stats()["processes"]]
    assert len(sources) <= polling.MAX_PROCESSES
    assert sources[-1] == f"127.0.0.1:{polling.MAX_PROCESSES}"  # the latest is kept
    assert "127.0.0.1:0" not in sources  # the oldest is not
