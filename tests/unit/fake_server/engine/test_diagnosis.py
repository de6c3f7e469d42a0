"""The engine says why a task is not moving: one finding per cause, in words a user acts on.
The fake server's own feature: these tests mirror no Conductor class (the causes they name
do: limits, delays, timeouts and domains as the engine tests show them)."""

from __future__ import annotations

from typing import Any

from tests.unit.fake_server.helpers import Worker, sequence, start


def findings(engine) -> list[dict[str, Any]]:
    return engine.diagnose()["findings"]


def only(engine) -> dict[str, Any]:
    [finding] = findings(engine)
    return finding


def test_nothing_to_say_about_a_ready_task_in_a_polled_queue(engine, worker):
    engine.enqueue_tasks("add", 2)
    assert worker.poll("add") is not None

    assert findings(engine) == []


def test_a_queue_no_worker_polls_names_the_closest_polled_task_type(engine):
    workflow_id = start(engine, sequence("math", "add"))
    Worker(engine, "adder-1").poll("addd")

    finding = only(engine)

    assert finding["cause"] == "not_polled"
    assert finding["workflowId"] == workflow_id and finding["workflowName"] == "math"
    assert finding["taskType"] == "add" and finding["didYouMean"] == "addd"
    expected = "the closest name polled is 'addd' (by adder-1): did you mean 'add'?"
    assert expected in finding["message"]


def test_without_any_poll_it_asks_whether_the_workers_run_against_this_server(engine):
    engine.enqueue_tasks("add")

    finding = only(engine)

    assert finding["cause"] == "not_polled"
    assert "no worker has polled this server yet" in finding["message"]
    assert "CONDUCTOR_SERVER_URL" in finding["message"]


def test_an_unrelated_poll_lists_what_is_polled(engine):
    engine.enqueue_tasks("add")
    Worker(engine).poll("resize_image")

    message = only(engine)["message"]

    assert "no worker polls 'add'; polled task types: resize_image" in message


def test_a_sibling_task_polled_is_not_offered_as_a_misspelling(engine):
    engine.enqueue_tasks("send_sms")
    Worker(engine).poll("send_email")

    finding = only(engine)

    assert "didYouMean" not in finding
    assert "no worker polls 'send_sms'; polled task types: send_email" in finding["message"]


def test_a_domain_no_worker_polls_says_which_domains_are_polled(engine):
    start(engine, sequence("math", "add"), taskToDomain={"add": "gpu"})
    Worker(engine, "w", domain=None).poll("add")
    Worker(engine, "w2", domain="cpu").poll("add")

    finding = only(engine)

    assert finding["cause"] == "domain_not_polled"
    assert finding["domain"] == "gpu"
    assert (
        "it is in domain 'gpu' (the workflow's taskToDomain maps 'add' to 'gpu')"
        in (finding["message"])
    )
    assert "workers poll 'add' only in: (no domain), cpu" in finding["message"]


def test_a_retry_waiting_for_its_delay_says_when(engine, clock, worker):
    engine.register_task_defs([{"name": "charge", "retryCount": 2, "retryDelaySeconds": 30}])
    start(engine, sequence("pay", "charge"))
    first = worker.take("charge")
    worker.update(first, "FAILED")

    finding = only(engine)

    assert finding["cause"] == "retry_delay"
    assert finding["dueTime"] == clock.now_ms() + 30_000
    assert f"retry 1 of failed task {first['taskId']}" in finding["message"]
    assert "(in 30 s)" in finding["message"]
    clock.advance_seconds(30)
    assert worker.take("charge")["retriedTaskId"] == first["taskId"]
    assert findings(engine) == []


def test_a_callback_says_when_the_task_comes_back(engine, clock, worker):
    engine.enqueue_tasks("render")
    task = worker.take("render")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=120)

    finding = only(engine)

    assert finding["cause"] == "callback"
    assert finding["dueTime"] == clock.now_ms() + 120_000
    assert "worker-1 answered IN_PROGRESS with callbackAfterSeconds=120" in finding["message"]


def test_a_start_delay_says_when(engine, clock):
    definition = sequence("later", "remind")
    definition["tasks"][0]["startDelay"] = 45
    start(engine, definition)

    finding = only(engine)

    assert finding["cause"] == "start_delay"
    assert finding["dueTime"] == clock.now_ms() + 45_000


def test_a_delay_before_a_queue_no_worker_polls_says_both(engine):
    definition = sequence("later", "remind")
    definition["tasks"][0]["startDelay"] = 45
    start(engine, definition)
    Worker(engine).poll("remindr")

    message = only(engine)["message"]

    assert message.startswith("startDelay of 45 s: pollable at")
    assert "; then: no worker polls 'remind'" in message


def test_a_used_up_rate_limit_says_when_the_next_task_goes(engine, clock, worker):
    engine.register_task_defs(
        [{"name": "sms", "rateLimitPerFrequency": 2, "rateLimitFrequencyInSeconds": 60}]
    )
    engine.enqueue_tasks("sms", 3)
    assert worker.poll("sms") and worker.poll("sms")
    clock.advance_seconds(5)
    assert worker.poll("sms") is None  # the third is put back for 60 s, as Conductor does

    finding = only(engine)

    assert finding["cause"] == "rate_limit"
    assert finding["dueTime"] == clock.now_ms() + 60_000
    assert "rateLimitPerFrequency 2 per 60 s used up" in finding["message"]
    assert "put it back in its queue" in finding["message"]
    assert "(in 60 s)" in finding["message"]


def test_a_reached_concurrency_limit_is_named(engine, worker):
    engine.register_task_defs([{"name": "gpu_job", "concurrentExecLimit": 1}])
    engine.enqueue_tasks("gpu_job", 2)
    assert worker.poll("gpu_job") is not None
    assert worker.poll("gpu_job") is None

    finding = only(engine)

    assert finding["cause"] == "concurrency_limit"
    assert "concurrentExecLimit 1 reached: 1 'gpu_job' tasks in progress" in finding["message"]


def test_a_queue_whose_worker_stopped_polling(engine, clock, worker):
    engine.enqueue_tasks("add")
    assert worker.poll("nothing") is None
    assert worker.poll("add") is not None
    engine.enqueue_tasks("add")
    clock.advance_seconds(60)
    Worker(engine, "other").poll("nothing")  # the server is polled, just not that queue

    causes = {f["cause"] for f in findings(engine)}
    messages = " | ".join(f["message"] for f in findings(engine))

    assert causes == {"worker_gone"}
    assert "queue 'add' was last polled 60 s ago, by worker-1" in messages
    assert "handed to worker-1 60 s ago, which has not polled for 60 s" in messages


def test_a_long_task_on_a_live_worker_says_when_it_times_out(engine, clock, worker):
    engine.register_task_defs([{"name": "train", "responseTimeoutSeconds": 600}])
    engine.enqueue_tasks("train")
    task = worker.take("train")
    clock.advance_seconds(30)
    assert worker.poll("train") is None  # the worker is alive and polling

    finding = only(engine)

    assert finding["cause"] == "long_running"
    assert finding["taskId"] == task["taskId"]
    assert finding["dueTime"] == clock.now_ms() - 30_000 + 600_000
    assert "no update for 30 s; responseTimeoutSeconds 600" in finding["message"]


def test_the_queues_polled_are_listed_with_their_last_poll(engine, clock):
    Worker(engine, "w", domain="eu").poll("add")

    assert engine.diagnose()["polledQueues"] == {"eu:add": clock.now_ms()}


def test_a_wait_task_says_until_when_and_that_the_clock_is_manual(engine, clock):
    wait = {"name": "pause", "taskReferenceName": "pause", "type": "WAIT"}
    wait["inputParameters"] = {"duration": "2 minutes"}
    start(engine, {"name": "patience", "tasks": [wait]})

    finding = only(engine)

    assert finding["cause"] == "wait"
    assert finding["dueTime"] == clock.now_ms() + 120_000
    assert "waits until" in finding["message"] and "(in 120 s)" in finding["message"]
    assert "move it with POST /fake/clock/advance" in finding["message"]


def test_a_human_task_says_how_to_end_it(engine):
    human = {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}
    workflow_id = start(engine, {"name": "approval", "tasks": [human]})

    finding = only(engine)

    assert finding["cause"] == "external_update"
    assert (
        f"POST /api/tasks with taskId {finding['taskId']}, workflowInstanceId {workflow_id}"
        in (finding["message"])
    )


def test_a_fork_is_diagnosed_through_its_branches(engine):
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "left", "taskReferenceName": "left"}],
            [{"name": "right", "taskReferenceName": "right"}],
        ],
    }
    join = {
        "name": "join",
        "taskReferenceName": "join",
        "type": "JOIN",
        "joinOn": ["left", "right"],
    }
    start(engine, {"name": "both", "tasks": [fork, join]})
    Worker(engine).poll("left")

    [finding] = findings(engine)

    assert (finding["taskType"], finding["cause"]) == ("right", "not_polled")
