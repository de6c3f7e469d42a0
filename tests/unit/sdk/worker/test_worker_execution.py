"""What a worker's failures, logs and long-running work look like in the reported result."""

from __future__ import annotations

import logging

import pytest

from conductor.client.automator._task_execution import execute_task
from conductor.client.context.task_context import get_task_context
from conductor.client.http.models import Task, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface


def make_task() -> Task:
    return Task(
        task_id="t-7",
        workflow_instance_id="wf-7",
        task_def_name="charge",
        task_type="charge",
        input_data={"amount": 3},
        poll_count=2,
        retry_count=1,
    )


def run(function) -> TaskResult:
    return execute_task(Worker("charge", function, worker_id="w-1"), make_task(), "w-1")


def charge_card(input) -> dict:
    raise ValueError("card declined")


def test_an_exception_fails_the_task_with_its_reason_and_traceback_in_the_logs(caplog):
    with caplog.at_level(logging.ERROR):
        result = run(charge_card)
    assert result.status == TaskResultStatus.FAILED
    assert result.reason_for_incompletion == "ValueError: card declined"
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t-7", "wf-7", "w-1")
    [log] = result.logs
    assert "Traceback" in log.log and "charge_card" in log.log and "card declined" in log.log
    assert log.task_id == "t-7"
    assert "card declined" in caplog.text  # the worker's own log says so too


def test_non_retryable_exception_fails_the_task_terminally():
    def refuse(input):
        raise NonRetryableException("account closed")

    result = run(refuse)
    assert result.status == TaskResultStatus.FAILED_WITH_TERMINAL_ERROR
    assert result.reason_for_incompletion == "NonRetryableException: account closed"


def test_system_exit_in_a_worker_thread_fails_the_task_instead_of_ending_anything():
    import threading

    results = []

    def leave(input):
        raise SystemExit(3)

    thread = threading.Thread(target=lambda: results.append(run(leave)))
    thread.start()
    thread.join(5)
    assert results[0].status == TaskResultStatus.FAILED
    assert results[0].reason_for_incompletion == "SystemExit: 3"


def test_output_data_that_is_not_a_dict_fails_the_task():
    def odd(input) -> TaskResult:
        return TaskResult(output_data=["a"])  # type: ignore[arg-type]  # the mistake tested

    result = run(odd)
    assert result.status == TaskResultStatus.FAILED
    assert result.reason_for_incompletion == "output_data must be a dict, not list"


def test_the_task_context_describes_the_running_task_and_collects_log_lines():
    def inspect_context(input) -> dict:
        context = get_task_context()
        context.add_log("starting")
        context.add_log("done")
        return {
            "task_id": context.task_id,
            "workflow": context.workflow_instance_id,
            "polls": context.poll_count,
            "retries": context.retry_count,
            "type": context.task.task_type,
        }

    result = run(inspect_context)
    assert result.output_data == {
        "task_id": "t-7",
        "workflow": "wf-7",
        "polls": 2,
        "retries": 1,
        "type": "charge",
    }
    assert [log.log for log in result.logs] == ["starting", "done"]
    assert result.to_json()["logs"][0]["taskId"] == "t-7"


def test_context_log_lines_come_before_the_traceback_of_a_failure():
    def log_then_fail(input):
        get_task_context().add_log("about to fail")
        raise RuntimeError("nope")

    result = run(log_then_fail)
    assert result.logs[0].log == "about to fail"
    assert "RuntimeError: nope" in result.logs[1].log


def test_there_is_no_task_context_outside_a_running_task():
    with pytest.raises(RuntimeError, match="outside a running task"):
        get_task_context()
    run(lambda input: None)
    with pytest.raises(RuntimeError):
        get_task_context()  # not left behind by the task that ran


# The guide's class worker.
class SimplePythonWorker(WorkerInterface):
    def execute(self, task: Task) -> TaskResult:
        task_result = self.get_task_result_from_task(task)
        task_result.add_output_data("worker_style", "class")
        task_result.add_output_data("secret_number", 1234)
        task_result.add_output_data("is_it_true", False)
        task_result.status = TaskResultStatus.COMPLETED
        return task_result

    def get_polling_interval_in_seconds(self) -> float:
        # poll every 500ms
        return 0.5


def test_the_guide_class_worker_reports_its_output():
    worker = SimplePythonWorker(task_definition_name="python_task_example", worker_id="me")
    result = execute_task(worker, make_task(), "me")
    assert result.status == TaskResultStatus.COMPLETED
    assert result.output_data == {
        "worker_style": "class",
        "secret_number": 1234,
        "is_it_true": False,
    }
    assert result.worker_id == "me"


def test_a_class_worker_may_return_a_plain_object():
    class Doubler(WorkerInterface):
        def execute(self, task: Task) -> object:
            return task.input_data["amount"] * 2

    result = execute_task(Doubler("double"), make_task(), "w")
    assert result.output_data == {"result": 6}
    assert result.worker_id == "w"
