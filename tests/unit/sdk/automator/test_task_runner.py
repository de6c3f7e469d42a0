"""The poll/execute/deliver loop, against an in-memory stand-in for TaskClient."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import pytest

from conductor.client.automator.task_runner import LONG_POLL_MS, TaskRunner
from conductor.client.http import _backoff as backoff
from conductor.client.http.errors import ConductorApiError
from conductor.client.http.models import Task, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_config import resolve_worker_settings
from conductor.client.worker.worker_interface import WorkerInterface

TERMINAL = {TaskResultStatus.COMPLETED, TaskResultStatus.FAILED}
TERMINAL |= {TaskResultStatus.FAILED_WITH_TERMINAL_ERROR}


class StubClient:
    """Hands out queued tasks like the server: batch polls and update-v2's next task."""

    def __init__(self, tasks: int = 0, *, next_on_update: bool = True) -> None:
        self.lock = threading.Lock()
        self.queue: deque[Task] = deque()
        self.polls: list[dict] = []
        self.delivered: list[TaskResult] = []
        self.next_on_update = next_on_update
        self.poll_errors: list[Exception] = []
        self.changed = threading.Condition(self.lock)
        self.add(tasks)

    def add(self, count: int) -> None:
        with self.lock:
            start = len(self.queue) + len(self.delivered)
            for n in range(start, start + count):
                self.queue.append(
                    Task(
                        task_id=f"t{n}",
                        workflow_instance_id="wf",
                        task_type="job",
                        input_data={"n": n},
                        poll_count=1,
                    )
                )

    def batch_poll(self, task_type, *, worker_id, domain=None, count=1, timeout_ms=0):
        with self.lock:
            self.polls.append(
                {"count": count, "timeout_ms": timeout_ms, "domain": domain, "worker_id": worker_id}
            )
            self.changed.notify_all()
            if self.poll_errors:
                raise self.poll_errors.pop(0)
            return [self.queue.popleft() for _ in range(min(count, len(self.queue)))]

    def deliver(self, result, *, stop=None, on_failure=None, body=None):
        with self.lock:
            self.delivered.append(result)
            self.changed.notify_all()
            if result.status in TERMINAL and self.next_on_update and self.queue:
                return self.queue.popleft()
            return None

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        with self.lock:
            assert self.changed.wait_for(condition, timeout), "condition not met in time"

    def close(self) -> None:
        pass


def echo(input: dict) -> dict:
    return {"n": input["n"], "thread": threading.current_thread().name}


def make_runner(worker: WorkerInterface, client: StubClient, **kwargs) -> TaskRunner:
    settings = resolve_worker_settings(
        worker.get_task_definition_name(), worker.get_arguments(), environ={}, search_dirs=[]
    )
    # A stand-in for TaskClient: the two methods the runner calls, by duck typing.
    return TaskRunner(worker, settings=settings, client=client, **kwargs)  # type: ignore[arg-type]


class Running:
    """``runner.run()`` in a thread, always stopped at the end of the test."""

    def __init__(self, runner: TaskRunner, **kwargs) -> None:
        self.runner = runner
        self.thread = threading.Thread(target=runner.run, kwargs=kwargs, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "run() did not return after stop()"


def test_a_full_queue_costs_one_poll_then_one_update_per_task():
    client = StubClient(tasks=20)
    runner = make_runner(Worker("job", echo), client, long_poll_ms=0)
    runner.run(burst=True)
    assert [r.output_data["n"] for r in client.delivered] == list(range(20))
    # one poll brought the first task; the rest came with updates; burst mode looks twice
    # more at the end to be sure the queue is empty
    assert len(client.polls) == 3, client.polls
    # every task after the first came with the update of the one before, in the same thread
    assert len({r.output_data["thread"] for r in client.delivered}) == 1


def test_polls_ask_for_as_many_tasks_as_threads_are_free_and_none_while_all_are_busy():
    release = {n: threading.Event() for n in range(10)}

    def blocking(n: int, **_: object) -> dict:
        assert release[n].wait(5)
        return {"n": n}

    client = StubClient(tasks=10, next_on_update=False)
    runner = make_runner(Worker("job", blocking, thread_count=3), client)
    with Running(runner):
        client.wait_for(lambda: len(client.polls) == 1)
        assert client.polls[0]["count"] == 3
        assert runner.busy == 3
        release[1].set()  # one thread frees up: the next poll asks for one task
        client.wait_for(lambda: len(client.polls) == 2)
        assert client.polls[1]["count"] == 1
        for event in release.values():
            event.set()
        client.wait_for(lambda: len(client.delivered) == 10)
    assert sorted(r.output_data["n"] for r in client.delivered) == list(range(10))


def test_thread_count_runs_tasks_at_the_same_time():
    inside = threading.Barrier(3, timeout=5)

    def meet(n: int, **_: object) -> dict:
        inside.wait()  # only returns once three tasks run at once
        return {"n": n}

    client = StubClient(tasks=3)
    make_runner(Worker("job", meet, thread_count=3), client, long_poll_ms=0).run(burst=True)
    assert [r.status for r in client.delivered] == [TaskResultStatus.COMPLETED] * 3


def test_idle_polls_are_long_polls_with_the_worker_settings():
    client = StubClient()
    worker = Worker("job", echo, domain="blue", worker_id="w-7", thread_count=2)
    runner = make_runner(worker, client)
    with Running(runner):
        client.wait_for(lambda: len(client.polls) >= 1)
    assert client.polls[0] == {
        "count": 2,
        "timeout_ms": LONG_POLL_MS,
        "domain": "blue",
        "worker_id": "w-7",
    }


def test_an_empty_answer_at_once_pauses_for_the_polling_interval():
    client = StubClient()
    runner = make_runner(Worker("job", echo, poll_interval=300), client)
    started = time.monotonic()
    assert runner.run_once() == 0  # the stand-in answers at once: it has no long poll
    assert time.monotonic() - started >= 0.29


def test_a_paused_worker_does_not_poll_until_resumed():
    client = StubClient(tasks=1)
    worker = Worker("job", echo, poll_interval=10)
    runner = make_runner(worker, client)
    worker.pause()
    assert runner.run_once() == 0
    assert client.polls == []
    worker.resume()
    assert runner.run_once() == 1
    client.wait_for(lambda: len(client.delivered) == 1)


def test_a_worker_paused_as_conductor_python_2_code_does_it_does_not_poll():
    client = StubClient(tasks=1)
    worker = Worker("job", echo, poll_interval=10, paused=True)
    runner = make_runner(worker, client)
    assert runner.run_once() == 0
    assert client.polls == []
    worker.paused = False
    assert runner.run_once() == 1
    client.wait_for(lambda: len(client.delivered) == 1)


class SwitchedOff(WorkerInterface):
    """A class worker that decides itself whether it is paused."""

    switched_off = True

    def execute(self, task: Task) -> object:
        return {"ok": True}

    def paused(self) -> bool:  # type: ignore[override]  # as 2.0.0 code overrides it
        return self.switched_off


def test_an_overridden_paused_is_asked_before_every_poll():
    client = StubClient(tasks=1)
    worker = SwitchedOff("job", poll_interval=10)
    runner = make_runner(worker, client)
    assert runner.run_once() == 0 and client.polls == []
    worker.switched_off = False
    assert runner.run_once() == 1


def test_paused_by_the_environment_wins_over_the_code():
    client = StubClient(tasks=1)
    worker = SwitchedOff("job", poll_interval=10)
    worker.switched_off = False
    settings = resolve_worker_settings(
        "job", worker.get_arguments(), environ={"conductor_worker_job_paused": "true"}
    )
    runner = TaskRunner(worker, settings=settings, client=client)
    assert runner.run_once() == 0 and client.polls == []


def test_a_worker_paused_while_busy_gives_the_next_task_back():
    worker = Worker("job", echo)

    def pause_after_first(n: int, **_: object) -> dict:
        worker.pause()
        return {"n": n}

    worker.execute_function = pause_after_first
    client = StubClient(tasks=3)
    runner = make_runner(worker, client, long_poll_ms=0)
    assert runner.run_once() == 1
    client.wait_for(lambda: len(client.delivered) == 2)
    assert runner.wait_until_idle(5)
    done, given_back = client.delivered
    assert done.status == TaskResultStatus.COMPLETED and done.task_id == "t0"
    assert given_back.task_id == "t1"
    assert given_back.status == TaskResultStatus.IN_PROGRESS
    assert given_back.callback_after_seconds == 0


def test_stop_lets_running_tasks_finish_and_gives_back_what_comes_after():
    started, release = threading.Event(), threading.Event()

    def slow(n: int, **_: object) -> dict:
        started.set()
        assert release.wait(5)
        return {"n": n}

    client = StubClient(tasks=5)
    runner = make_runner(Worker("job", slow), client)
    running = Running(runner)
    with running:
        assert started.wait(5)
        stopper = threading.Thread(target=runner.stop)
        stopper.start()
        stopper.join(5)
        assert running.thread.is_alive()  # run() waits for the running task
        release.set()
        running.thread.join(5)
        assert not running.thread.is_alive()
    first, given_back = client.delivered
    assert first.status == TaskResultStatus.COMPLETED and first.output_data == {"n": 0}
    assert given_back.status == TaskResultStatus.IN_PROGRESS
    assert given_back.callback_after_seconds == 0
    assert len(client.queue) == 3


class HeldPollClient(StubClient):
    """A server that holds the first poll until released, then answers with a task."""

    def __init__(self) -> None:
        super().__init__(tasks=1)
        self.holding = threading.Event()
        self.release = threading.Event()

    def batch_poll(self, task_type, **kwargs):
        if not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(5)
        return super().batch_poll(task_type, **kwargs)


def test_stop_waits_for_the_poll_in_flight_and_gives_back_what_it_brings():
    client = HeldPollClient()
    runner = make_runner(Worker("job", echo), client)
    with Running(runner) as running:
        assert client.holding.wait(5)
        runner.stop()
        running.thread.join(0.2)
        assert running.thread.is_alive()  # not gone while the server may still answer
        client.release.set()
        running.thread.join(5)
        assert not running.thread.is_alive()
    [given_back] = client.delivered
    assert given_back.task_id == "t0"
    assert given_back.status == TaskResultStatus.IN_PROGRESS
    assert given_back.callback_after_seconds == 0


def test_the_drain_is_bounded():
    never = threading.Event()

    def stuck(n: int, **_: object) -> dict:
        never.wait(10)
        return {}

    client = StubClient(tasks=1)
    runner = make_runner(Worker("job", stuck), client, drain_timeout=0.2)
    with Running(runner) as running:
        client.wait_for(lambda: runner.busy == 1 or bool(client.polls))
        assert runner.wait_until_idle(0.05) is False
        runner.stop()
        running.thread.join(5)
        assert not running.thread.is_alive()
    never.set()


def test_a_raising_worker_fails_its_task_and_the_loop_goes_on():
    def picky(n: int, **_: object) -> dict:
        if n == 0:
            raise KeyError("missing")
        return {"n": n}

    client = StubClient(tasks=2)
    make_runner(Worker("job", picky), client, long_poll_ms=0).run(burst=True)
    failed, done = client.delivered
    assert failed.status == TaskResultStatus.FAILED
    assert failed.reason_for_incompletion == "KeyError: 'missing'"
    assert done.status == TaskResultStatus.COMPLETED


def test_failing_polls_back_off_and_are_logged_once_per_streak(monkeypatch, caplog):
    monkeypatch.setattr(backoff, "BASE_SECONDS", 0.001)
    client = StubClient(tasks=1)
    down = ConductorApiError("connection refused", transient=True)
    client.poll_errors = [down, down, down]
    runner = make_runner(Worker("job", echo, poll_interval=1), client, long_poll_ms=0)
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        results = [runner.run_once() for _ in range(4)]
        client.poll_errors = [down]
        results.append(runner.run_once())
    assert results == [0, 0, 0, 1, 0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    recoveries = [r for r in caplog.records if "works again" in r.getMessage()]
    assert len(warnings) == 2  # one per streak, not one per failed attempt
    assert "connection refused" in warnings[0].getMessage()
    assert len(recoveries) == 1 and "3 failed attempts" in recoveries[0].getMessage()


def test_task_in_progress_ends_the_chain_and_is_reported():
    from conductor.client.context.task_context import TaskInProgress

    client = StubClient(tasks=2)
    runner = make_runner(Worker("job", lambda: TaskInProgress(30)), client, long_poll_ms=0)
    assert runner.run_once() == 1
    client.wait_for(lambda: len(client.delivered) == 1)
    assert runner.wait_until_idle(5)
    [result] = client.delivered
    assert result.status == TaskResultStatus.IN_PROGRESS and result.callback_after_seconds == 30


@pytest.mark.parametrize("burst", [True, False])
def test_stop_before_run_returns_at_once(burst):
    runner = make_runner(Worker("job", echo), StubClient())
    runner.stop()
    started = time.monotonic()
    runner.run(burst=burst)
    assert time.monotonic() - started < 2


def test_a_runner_without_a_configuration_reads_the_server_from_the_environment(monkeypatch):
    # 2.0.0's test_initialization_without_configuration: Configuration() from the environment
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "http://conductor.example:8080/api")
    runner = TaskRunner(Worker("job", echo))
    assert runner.configuration.server_api_url == "http://conductor.example:8080/api"
    runner.client.close()
