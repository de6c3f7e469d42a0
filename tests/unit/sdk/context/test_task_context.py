"""The task context as conductor-python 2.0.0 code uses it, and TaskInProgress."""

import asyncio
import threading

import pytest

from conductor.client.automator._task_execution import execute_task
from conductor.client.context import TaskContext, TaskInProgress, get_task_context
from conductor.client.context.task_context import get_task_context as from_module
from conductor.client.http.models import Task, TaskResultStatus
from conductor.client.worker.worker import Worker


def make_task() -> Task:
    return Task(
        task_id="t-9",
        workflow_instance_id="wf-9",
        task_def_name="ctx",
        input_data={"job": "j-1"},
        poll_count=3,
        retry_count=2,
        workflow_task={"type": "SIMPLE", "name": "ctx"},
    )


def run(function):
    return execute_task(Worker("ctx", function, worker_id="w"), make_task(), "w")


def test_both_import_paths_give_the_same_function():
    assert get_task_context is from_module


def test_getters_describe_the_running_task():
    def look(job: str) -> dict:
        ctx = get_task_context()
        assert TaskContext.get() is ctx
        return {
            "task_id": ctx.get_task_id(),
            "workflow_id": ctx.get_workflow_instance_id(),
            "polls": ctx.get_poll_count(),
            "retries": ctx.get_retry_count(),
            "input": ctx.get_input(),
            "def": ctx.get_task_def_name(),
            "type": ctx.get_workflow_task_type(),
            "callback": ctx.get_callback_after_seconds(),
        }

    assert run(look).output_data == {
        "task_id": "t-9",
        "workflow_id": "wf-9",
        "polls": 3,
        "retries": 2,
        "input": {"job": "j-1"},
        "def": "ctx",
        "type": "SIMPLE",
        "callback": 0,
    }


def test_set_output_add_log_and_set_callback_after_shape_the_result():
    def poll_job(job: str) -> dict:
        ctx = get_task_context()
        ctx.set_output({"status": "pending", "job": job})
        ctx.add_log(f"checked {job}")
        ctx.set_callback_after(30)
        assert ctx.get_callback_after_seconds() == 30
        return {"status": "still running"}

    result = run(poll_job)
    # as in conductor-python, the status stays COMPLETED: return TaskInProgress to keep going
    assert result.status == TaskResultStatus.COMPLETED
    assert result.output_data == {"status": "still running", "job": "j-1"}
    assert result.callback_after_seconds == 30
    [log] = result.logs
    assert (log.log, log.task_id) == ("checked j-1", "t-9")
    assert log.created_time > 1_000_000_000_000  # milliseconds


def test_set_output_refuses_what_is_not_a_dict():
    def bad(job: str) -> dict:
        get_task_context().set_output(["x"])  # type: ignore[arg-type]  # the mistake tested
        return {}

    result = run(bad)
    assert result.status == TaskResultStatus.FAILED
    assert "set_output() takes a dict, not list" in result.reason_for_incompletion


def test_the_context_follows_an_async_worker():
    async def wait(job: str) -> dict:
        ctx = get_task_context()
        await asyncio.sleep(0)
        ctx.add_log("after await")
        return {"same": get_task_context() is ctx}

    result = run(wait)
    assert result.output_data == {"same": True}
    assert [entry.log for entry in result.logs] == ["after await"]


def test_a_thread_the_worker_starts_has_no_context():
    seen = []

    def spawn(job: str) -> dict:
        def other():
            try:
                get_task_context()
            except RuntimeError as error:
                seen.append(str(error))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        return {}

    run(spawn)
    assert seen and "outside a running task" in seen[0]


def test_task_in_progress_is_modifiable_and_reported_as_in_progress():
    def long_job(job: str):
        progress = TaskInProgress(callback_after_seconds=10)
        assert progress.output == {}
        progress.output["step"] = get_task_context().get_poll_count()
        progress.callback_after_seconds = 45
        return progress

    result = run(long_job)
    assert result.status == TaskResultStatus.IN_PROGRESS
    assert result.callback_after_seconds == 45
    assert result.output_data == {"step": 3}


def test_task_in_progress_refuses_bad_values():
    with pytest.raises(ValueError, match="callback_after_seconds"):
        TaskInProgress(callback_after_seconds=-1)
    with pytest.raises(ValueError, match="output"):
        TaskInProgress(output=[1])
    assert TaskInProgress(5, {"a": 1}) == TaskInProgress(callback_after_seconds=5, output={"a": 1})
