"""Polling and updating tasks: what each status does, retries and their delays, update-v2."""

import pytest

from fake_server.engine.errors import BadRequestError, MalformedRequestError, NotFoundError
from tests.unit.fake_server.helpers import Worker, result, sequence, start, statuses


def test_poll_hands_out_a_task_once(engine, clock, worker):
    """Mirrors ExecutionService.poll: the task is IN_PROGRESS for the worker that polled,
    pollCount and startTime set, and handed out once."""
    workflow_id = start(engine, sequence("wf", "greet"), input={"name": "Ada"})
    clock.advance(40)
    task = worker.take("greet")
    assert task["status"] == "IN_PROGRESS"
    assert task["workflowInstanceId"] == workflow_id
    assert task["workerId"] == "worker-1"
    assert task["pollCount"] == 1
    assert task["startTime"] == task["updateTime"] == clock.now_ms()
    assert task["scheduledTime"] == clock.now_ms() - 40
    assert task["callbackAfterSeconds"] == 0
    assert "domain" not in task  # nulls are left out
    assert worker.poll("greet") is None  # it left the queue
    assert engine.queue_sizes(["greet"]) == {"greet": 0}


def test_batch_poll_gives_at_most_count(engine):
    """Mirrors ExecutionService.poll: a batch poll takes at most count tasks from the queue
    (QueueDAO.pop)."""
    engine.enqueue_tasks("greet", 5)
    assert len(engine.batch_poll("greet", "w", count=3)) == 3
    assert len(engine.batch_poll("greet", "w", count=3)) == 2
    assert engine.batch_poll("greet", "w", count=3) == []


@pytest.mark.parametrize("count", [0, -4])
def test_batch_poll_without_a_positive_count_gives_nothing(engine, count):
    """Mirrors ExecutionService.poll: a count of zero or less pops nothing from the queue
    (QueueDAO.pop)."""
    engine.enqueue_tasks("greet", 2)
    assert engine.batch_poll("greet", "w", count=count, timeout_ms=1000) == []
    assert engine.queue_sizes(["greet"]) == {"greet": 2}


def test_batch_poll_count_is_capped(engine):
    """The fake's own bound, where ExecutionService.poll has none: one batch poll hands out at
    most 1000 tasks."""
    engine.enqueue_tasks("greet", 1005)
    assert len(engine.batch_poll("greet", "w", count=5000)) == 1000


def test_batch_poll_long_poll_limit(engine):
    """Mirrors ExecutionService.poll: a timeout over 5000 ms is an IllegalArgumentException."""
    with pytest.raises(BadRequestError, match="cannot be more than 5 seconds"):
        engine.batch_poll("greet", "w", count=1, timeout_ms=5001)


def test_tasks_come_out_in_the_order_they_became_ready(engine, worker):
    """Mirrors PostgresQueueDAO: among tasks of one priority, the one due first is popped first."""
    first = engine.enqueue_tasks("greet", 3)
    second = engine.enqueue_tasks("greet", 2)
    handed = [t["taskId"] for t in engine.batch_poll("greet", "w", count=10)]
    assert handed == first + second


def test_completed_moves_the_workflow_on(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask and DeciderService: a COMPLETED task keeps its
    output and end time, and the next task is scheduled."""
    workflow_id = start(engine, sequence("wf", "a", "b"))
    task = worker.take("a")
    assert worker.update(task, "COMPLETED", outputData={"x": 1}) == task["taskId"]
    assert statuses(engine, workflow_id) == [("a", "COMPLETED"), ("b", "SCHEDULED")]
    done = engine.get_task(task["taskId"])
    assert done["outputData"] == {"x": 1}
    assert done["endTime"] > 0


def test_in_progress_requeues_after_callback(engine, clock, worker):
    """Mirrors WorkflowExecutorOps.updateTask: IN_PROGRESS from a worker makes the task
    SCHEDULED again, postponed in its queue by callbackAfterSeconds (QueueDAO.postpone)."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=30, outputData={"step": 1})
    again = engine.get_task(task["taskId"])
    assert again["status"] == "SCHEDULED"
    assert again["callbackAfterSeconds"] == 30
    assert engine.queue_sizes(["a"]) == {"a": 1}  # queued, not yet ready
    clock.advance_seconds(29)
    assert worker.poll("a") is None
    clock.advance_seconds(1)
    polled = worker.take("a")
    assert polled["taskId"] == task["taskId"]
    assert polled["pollCount"] == 2
    assert polled["callbackAfterSeconds"] == 0
    assert polled["startTime"] == task["startTime"]  # first poll only
    assert polled["outputData"] == {"step": 1}


def test_in_progress_without_callback_is_pollable_at_once(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: IN_PROGRESS without a callback postpones the task
    by 0 s."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS")
    assert worker.take("a")["taskId"] == task["taskId"]


def test_output_is_replaced_and_logs_are_appended(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: each update replaces the output; its logs are
    added to the task's (ExecutionDAOFacade.addTaskExecLog)."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", outputData={"a": 1, "b": 2}, logs=[{"log": "one"}])
    task = worker.take("a")
    worker.update(task, "COMPLETED", outputData={"c": 3}, logs=[{"log": "two", "createdTime": 7}])
    assert engine.get_task(task["taskId"])["outputData"] == {"c": 3}
    logs = engine.get_task_logs(task["taskId"])
    assert [entry["log"] for entry in logs] == ["one", "two"]
    assert logs[1] == {"log": "two", "taskId": task["taskId"], "createdTime": 7}


def test_reason_is_cut_to_500_characters(engine, worker):
    """Mirrors TaskResult.setReasonForIncompletion: the reason is cut to 500 characters."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "FAILED", reasonForIncompletion="x" * 800)
    assert engine.get_task(task["taskId"])["reasonForIncompletion"] == "x" * 500


def test_extend_lease_only_touches_update_time(engine, clock, worker):
    """Mirrors WorkflowExecutorOps.extendLease: only the update time moves (the response timeout
    restarts); status and output stay."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    clock.advance(500)
    worker.update(task, None, extendLease=True, outputData={"ignored": True})
    after = engine.get_task(task["taskId"])
    assert after["status"] == "IN_PROGRESS"
    assert after["updateTime"] == clock.now_ms()
    assert after["outputData"] == {}


def test_failed_is_retried_as_a_new_task(engine, clock, worker):
    """Mirrors DeciderService.retry: a FAILED task is marked retried and a new attempt is
    scheduled after retryDelaySeconds."""
    engine.register_task_defs([{"name": "a", "retryCount": 2, "retryDelaySeconds": 10}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "FAILED", reasonForIncompletion="boom")
    old = engine.get_task(task["taskId"])
    assert old["status"] == "FAILED"
    assert old["retried"] is True
    assert worker.poll("a") is None  # waits retryDelaySeconds
    clock.advance_seconds(10)
    retry = worker.take("a")
    assert retry["taskId"] != task["taskId"]
    assert retry["retriedTaskId"] == task["taskId"]
    assert retry["retryCount"] == 1
    assert retry["pollCount"] == 1
    assert retry["referenceTaskName"] == "a"
    assert statuses(engine, workflow_id) == [("a", "FAILED"), ("a", "IN_PROGRESS")]


def retry_delays(engine, clock, worker, task_def, failures):
    """Fail the task ``failures`` times; return the delay seen before each retry (seconds)."""
    engine.register_task_defs([{"name": "a", **task_def}])
    start(engine, sequence("wf", "a"))
    delays = []
    task = worker.take("a")
    for _ in range(failures):
        worker.update(task, "FAILED")
        waited = 0
        while (task := worker.poll("a")) is None:
            clock.advance_seconds(1)
            waited += 1
            assert waited < 10_000
        delays.append(waited)
    return delays


@pytest.mark.parametrize(
    ("task_def", "expected"),
    [
        ({"retryLogic": "FIXED", "retryDelaySeconds": 3}, [3, 3, 3, 3]),
        (
            {"retryLogic": "LINEAR_BACKOFF", "retryDelaySeconds": 2, "backoffScaleFactor": 3},
            [6, 12, 18, 24],
        ),
        ({"retryLogic": "EXPONENTIAL_BACKOFF", "retryDelaySeconds": 2}, [2, 4, 8, 16]),
        (
            {
                "retryLogic": "EXPONENTIAL_BACKOFF",
                "retryDelaySeconds": 2,
                "maxRetryDelaySeconds": 5,
            },
            [2, 4, 5, 5],
        ),
        (
            {"retryLogic": "LINEAR_BACKOFF", "retryDelaySeconds": 4, "maxRetryDelaySeconds": 10},
            [4, 8, 10, 10],
        ),
        ({"retryDelaySeconds": 0}, [0, 0, 0, 0]),
    ],
)
def test_retry_delays(engine, clock, worker, task_def, expected):
    """Mirrors DeciderService.retry: FIXED, LINEAR_BACKOFF and EXPONENTIAL_BACKOFF delays
    (backoffScaleFactor, maxRetryDelaySeconds)."""
    assert retry_delays(engine, clock, worker, {"retryCount": 4, **task_def}, 4) == expected


def test_unregistered_task_type_retries_three_times_after_60_seconds(engine, clock, worker):
    """Mirrors TaskDef's defaults for a task without a registered definition: retryCount 3,
    retryDelaySeconds 60."""
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    for _ in range(3):
        worker.update(task, "FAILED", reasonForIncompletion="nope")
        clock.advance_seconds(59)
        assert worker.poll("a") is None
        clock.advance_seconds(1)
        task = worker.take("a")
    worker.update(task, "FAILED", reasonForIncompletion="nope")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "FAILED"
    assert len(workflow["tasks"]) == 4


def test_exhausted_retries_fail_the_workflow_with_the_reason(engine, worker):
    """Mirrors DeciderService.retry: with no retry left the workflow fails, its reason naming
    the task and the worker's reason."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    workflow_id = start(engine, sequence("wf", "a", "b"))
    task = worker.take("a")
    worker.update(task, "FAILED", reasonForIncompletion="disk full")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "FAILED"
    assert workflow["reasonForIncompletion"] == (
        f"Task {task['taskId']} failed with status: FAILED and reason: 'disk full'"
    )
    assert workflow["endTime"] > 0
    assert statuses(engine, workflow_id) == [("a", "FAILED")]


def test_workflow_task_retry_count_overrides_the_task_def(engine, clock, worker):
    """Mirrors DeciderService.retry: the workflow task's retryCount wins over the task
    definition's."""
    engine.register_task_defs([{"name": "a", "retryCount": 5, "retryDelaySeconds": 0}])
    definition = {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a", "retryCount": 1}]}
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "FAILED")
    worker.update(worker.take("a"), "FAILED")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_failed_with_terminal_error_is_never_retried(engine, worker):
    """Mirrors DeciderService.retry: FAILED_WITH_TERMINAL_ERROR is never retried."""
    engine.register_task_defs([{"name": "a", "retryCount": 3, "retryDelaySeconds": 0}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "FAILED_WITH_TERMINAL_ERROR", reasonForIncompletion="bad input")
    assert worker.poll("a") is None
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "FAILED"
    # DeciderService.retry names the workflow's status, not the task's.
    assert workflow["reasonForIncompletion"] == (
        f"Task {task['taskId']} failed with status: FAILED and reason: 'bad input'"
    )


def test_update_of_a_terminal_task_changes_nothing(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: an update of a task that has ended is ignored."""
    start(engine, sequence("wf", "a", "b"))
    task = worker.take("a")
    worker.update(task, "COMPLETED", outputData={"first": True})
    assert worker.update(task, "FAILED", outputData={"second": True}) == task["taskId"]
    assert engine.get_task(task["taskId"])["status"] == "COMPLETED"
    assert engine.get_task(task["taskId"])["outputData"] == {"first": True}
    assert engine.queue_sizes(["a", "b"]) == {"a": 0, "b": 1}


def test_update_in_a_terminal_workflow_changes_nothing(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: an update of a task in a workflow that has ended
    is ignored."""
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    engine.terminate_workflow(workflow_id, "stop")
    worker.update(task, "COMPLETED")
    assert engine.get_task(task["taskId"])["status"] == "CANCELED"
    workflow = engine.get_workflow(workflow_id)
    assert (workflow["status"], workflow["reasonForIncompletion"]) == ("TERMINATED", "stop")


def test_update_of_unknown_ids(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: an unknown workflow or task id is a
    NotFoundException."""
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    with pytest.raises(NotFoundError, match="No such workflow found by id: nope"):
        engine.update_task(
            {"workflowInstanceId": "nope", "taskId": task["taskId"], "status": "COMPLETED"}
        )
    with pytest.raises(NotFoundError, match="No such task found by id: nope"):
        engine.update_task(
            {"workflowInstanceId": workflow_id, "taskId": "nope", "status": "COMPLETED"}
        )


def test_a_task_belongs_to_its_own_workflow(engine, worker):
    """Stricter than WorkflowExecutorOps.updateTask, which does not check that the task belongs
    to the workflow the result names: the fake answers 404 there."""
    start(engine, sequence("wf", "a"))
    other = engine.start_workflow({"name": "wf"})
    task = worker.take("a")
    with pytest.raises(NotFoundError, match="No such task found by id"):
        engine.update_task(
            {"workflowInstanceId": other, "taskId": task["taskId"], "status": "COMPLETED"}
        )


IDS = {"workflowInstanceId": "w", "taskId": "t"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"taskId": "t", "status": "COMPLETED"}, "TaskResult.workflowInstanceId"),
        ({"workflowInstanceId": "w", "status": "COMPLETED"}, "TaskResult.taskId"),
        ({**IDS, "status": "DONE"}, "TaskResult.status"),
        ({**IDS, "status": "SCHEDULED"}, "TaskResult.status"),
        ({**IDS, "workflowInstanceId": 5, "status": "COMPLETED"}, "TaskResult.workflowInstanceId"),
        ({**IDS, "status": "COMPLETED", "outputData": []}, "TaskResult.outputData"),
        (
            {**IDS, "status": "IN_PROGRESS", "callbackAfterSeconds": "soon"},
            "TaskResult.callbackAfterSeconds",
        ),
        ({**IDS, "status": "COMPLETED", "logs": ["x"]}, "TaskResult.logs[0]"),
        ({**IDS, "status": "COMPLETED", "extendLease": "yes"}, "TaskResult.extendLease"),
    ],
)
def test_bad_task_results_name_the_field(engine, body, path):
    """TaskResult's constraints and JSON types, as TaskResource reads and TaskService
    validates them."""
    with pytest.raises(BadRequestError) as raised:
        engine.update_task(body)
    assert raised.value.errors[0].path == path


def test_a_missing_status_fails_only_once_the_task_is_found_and_open(engine, worker):
    """WorkflowExecutorOps.updateTask: the ids are looked up first (404), an ended task ignores
    the update, and only then does a null status fail (a 500 there)."""
    with pytest.raises(NotFoundError):
        engine.update_task(IDS)
    engine.enqueue_tasks("a", 1)
    task = worker.take("a")
    ids = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"]}
    with pytest.raises(MalformedRequestError, match="TaskResult.status: is required"):
        engine.update_task(ids)
    worker.update(task, "COMPLETED")
    assert engine.update_task(ids) == task["taskId"]


def test_a_negative_callback_is_taken_as_none(engine, worker):
    """TaskResult has no constraint on callbackAfterSeconds: Conductor's queue takes a negative
    postponement as none (QueueDAO.postpone)."""
    engine.enqueue_tasks("a", 1)
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=-5)
    assert engine.get_task(task["taskId"])["callbackAfterSeconds"] == -5
    assert worker.take("a")["taskId"] == task["taskId"]


def test_bad_status_lists_the_allowed_values(engine):
    """Mirrors TaskResult.Status as Jackson reads it: an unknown status is refused, the fake
    naming the allowed ones."""
    with pytest.raises(BadRequestError) as raised:
        engine.update_task({"workflowInstanceId": "w", "taskId": "t", "status": "DONE"})
    assert "IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR" in raised.value.message
    assert raised.value.errors[0].invalid_value == "DONE"


def test_update_v2_returns_the_next_task_of_the_same_type(engine, worker):
    """Mirrors TaskResource.updateTaskV2: a terminal update is answered with the same worker's
    next task of that type."""
    engine.enqueue_tasks("a", 2)
    engine.enqueue_tasks("b", 1)
    first = worker.take("a")
    following = engine.update_task_v2(result(first, "COMPLETED", workerId="v2-worker"))
    assert following["taskType"] == "a"
    assert following["workerId"] == "v2-worker"
    assert following["status"] == "IN_PROGRESS"
    assert engine.update_task_v2(result(following, "COMPLETED")) is None  # no more "a"
    assert engine.queue_sizes(["b"]) == {"b": 1}


def test_update_v2_stays_in_the_task_domain(engine):
    """Mirrors TaskResource.updateTaskV2: the next task comes from the updated task's domain."""
    engine.enqueue_tasks("a", 1, domain="blue")
    engine.enqueue_tasks("a", 1)
    engine.enqueue_tasks("a", 1, domain="blue")
    first = Worker(engine, "w", "blue").take("a")
    following = engine.update_task_v2(result(first, "COMPLETED"))
    assert following["domain"] == "blue"
    assert engine.queue_sizes(["a", "blue:a"]) == {"a": 1, "blue:a": 0}


def test_update_v2_for_a_non_terminal_update_returns_nothing(engine, worker):
    """Mirrors TaskResource.updateTaskV2: a non-terminal update (or an extendLease) hands out
    nothing."""
    engine.enqueue_tasks("a", 3)
    task = worker.take("a")
    assert engine.update_task_v2(result(task, "IN_PROGRESS", callbackAfterSeconds=5)) is None
    assert engine.update_task_v2(result(task, None, extendLease=True)) is None
    assert engine.queue_sizes(["a"]) == {"a": 3}


def test_task_logs_and_lookup(engine, clock, worker):
    """Mirrors ExecutionService.log and getTaskLogs, and ExecutionDAOFacade.getTask."""
    (task_id,) = engine.enqueue_tasks("a", 1)
    engine.add_task_log(task_id, "hello")
    assert engine.get_task_logs(task_id) == [
        {"log": "hello", "taskId": task_id, "createdTime": clock.now_ms()}
    ]
    assert engine.get_task(task_id)["status"] == "SCHEDULED"
    with pytest.raises(NotFoundError, match="No such task found by id: zzz"):
        engine.get_task("zzz")
    engine.add_task_log("zzz", "x")  # as Conductor: logs are kept by id, task or not


def test_adhoc_tasks_share_a_synthetic_workflow_id_that_updates_carry(engine, worker):
    """The fake's own ad-hoc tasks (the admin API's, no Conductor counterpart): updated as
    WorkflowExecutorOps.updateTask updates a workflow's task."""
    ids = engine.enqueue_tasks("a", 2, task_input={"n": 1})
    first = worker.take("a")
    assert first["workflowInstanceId"].startswith("adhoc-")
    assert first["inputData"] == {"n": 1}
    assert worker.update(first, "COMPLETED") == first["taskId"]
    assert engine.get_task(ids[0])["status"] == "COMPLETED"
    second = worker.take("a")
    assert second["workflowInstanceId"] == first["workflowInstanceId"]
    with pytest.raises(NotFoundError, match="No such workflow"):
        engine.update_task(
            {"workflowInstanceId": "adhoc-other", "taskId": second["taskId"], "status": "COMPLETED"}
        )


def test_adhoc_tasks_are_retried_by_their_task_def(engine, worker):
    """The fake's own ad-hoc tasks, retried as DeciderService.retry retries a workflow's task."""
    engine.register_task_defs([{"name": "a", "retryCount": 1, "retryDelaySeconds": 0}])
    engine.enqueue_tasks("a", 1, domain="d")
    adhoc = Worker(engine, "w", "d")
    task = adhoc.take("a")
    adhoc.update(task, "FAILED")
    retry = adhoc.take("a")
    assert (retry["retriedTaskId"], retry["domain"]) == (task["taskId"], "d")
    adhoc.update(retry, "FAILED")
    assert adhoc.poll("a") is None


def test_a_worker_gets_secrets_filled_in(engine, worker, monkeypatch):
    """Mirrors ExecutionService.poll with ParametersUtils.substituteSecrets: the worker sees
    the secret, the stored task keeps the reference."""
    monkeypatch.setenv("CONDUCTOR_SECRET_TOKEN", "t0k3n")
    definition = {
        "name": "wf",
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a",
                "inputParameters": {"auth": "Bearer ${workflow.secrets.TOKEN}"},
            }
        ],
    }
    engine.upsert_workflow_defs([definition])
    engine.start_workflow({"name": "wf"})
    task = worker.take("a")
    assert task["inputData"] == {"auth": "Bearer t0k3n"}
    assert engine.get_task(task["taskId"])["inputData"] == {
        "auth": "Bearer ${workflow.secrets.TOKEN}"
    }


def test_a_retry_computes_its_input_again(engine, worker):
    """Mirrors DeciderService.retry: the new attempt's input is the failed one's with the
    workflow task's inputParameters evaluated again (a task that ended since is seen, and
    ${CPEWF_TASK_ID} is the new attempt's id)."""
    engine.register_task_defs([{"name": "a", "retryCount": 1, "retryDelaySeconds": 0}])
    a = {
        "name": "a",
        "taskReferenceName": "a",
        "inputParameters": {"seen": "${b.output.v}", "me": "${CPEWF_TASK_ID}", "k": 1},
    }
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [[a], [{"name": "b", "taskReferenceName": "b"}]],
    }
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}
    start(engine, {"name": "wf", "tasks": [fork, join]})
    first = worker.take("a")
    assert first["inputData"] == {"seen": None, "me": first["taskId"], "k": 1}
    worker.update(worker.take("b"), "COMPLETED", outputData={"v": 7})
    worker.update(first, "FAILED")
    second = worker.take("a")
    assert second["inputData"] == {"seen": 7, "me": second["taskId"], "k": 1}
