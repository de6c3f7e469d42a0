"""join_processes() and the signals that end a program of workers: Ctrl-C stops the workers
gracefully, then comes out of join_processes() as KeyboardInterrupt, as in conductor-python
2.0.0 (whose examples print their goodbye from ``except KeyboardInterrupt``); SIGTERM (a
service manager) stops them and join_processes() returns."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

from tests.integration.sdk.waiting import gone, wait_until

PROGRAM = textwrap.dedent(
    """
    from conductor.client.automator.task_handler import TaskHandler
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.worker.worker_task import worker_task


    @worker_task(task_definition_name="it_join_signal")
    def echo(word: str) -> str:
        return word


    if __name__ == "__main__":
        try:
            with TaskHandler(configuration=Configuration()) as handler:
                handler.start_processes()
                handler.join_processes()
                print("join_processes returned", flush=True)
        except KeyboardInterrupt:
            print("KeyboardInterrupt reached the program", flush=True)
        print("the program ends", flush=True)
    """
)


@pytest.mark.parametrize(
    ("signum", "to_group", "expected"),
    [
        (signal.SIGINT, True, "KeyboardInterrupt reached the program"),
        (signal.SIGTERM, False, "join_processes returned"),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_during_join_stops_the_workers_then_reaches_the_program_as_python_does(
    server, run_script, tmp_path: Path, signum: int, to_group: bool, expected: str
) -> None:
    program = tmp_path / "workers.py"
    program.write_text(PROGRAM, encoding="utf-8")
    script = run_script(program, env={"CONDUCTOR_SERVER_URL": server.url})
    [task_id] = server.enqueue("it_join_signal", input={"word": "hi"})
    [done] = server.wait_done([task_id])
    assert done["outputData"] == {"result": "hi"}
    workers = wait_until(lambda: script.worker_pids(), message="the worker process")
    if to_group:
        script.signal_group(signum)  # Ctrl-C in a terminal signals the whole group
    else:
        script.process.send_signal(signum)
    assert script.wait() == 0
    assert script.stdout().splitlines() == [expected, "the program ends"]
    assert wait_until(lambda: gone(workers), timeout=5, message="the worker to end")
    stderr = script.stderr()
    assert f"Received {signal.Signals(signum).name}" in stderr
    assert "Stopped worker it_join_signal" in stderr
    assert "Traceback" not in stderr, stderr[-3000:]


SLOW_PROGRAM = textwrap.dedent(
    """
    import time

    from conductor.client.automator.task_handler import TaskHandler
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.worker.worker_task import worker_task


    @worker_task(task_definition_name="it_ctrl_c")
    def slow(seconds: float) -> str:
        time.sleep(seconds)
        return "done"


    if __name__ == "__main__":
        try:
            with TaskHandler(configuration=Configuration()) as handler:
                handler.start_processes()
                handler.join_processes()
        except KeyboardInterrupt:
            print("KeyboardInterrupt reached the program", flush=True)
    """
)


def start_slow_task(server, run_script, tmp_path: Path, seconds: float):
    program = tmp_path / "slow_workers.py"
    program.write_text(SLOW_PROGRAM, encoding="utf-8")
    script = run_script(program, env={"CONDUCTOR_SERVER_URL": server.url})
    [task_id] = server.enqueue("it_ctrl_c", input={"seconds": seconds})
    wait_until(lambda: server.task(task_id)["status"] == "IN_PROGRESS", message="the task")
    return script, task_id


def test_ctrl_c_says_it_waits_for_the_running_task_and_does_not_restart_the_worker(
    server, run_script, tmp_path: Path
) -> None:
    script, task_id = start_slow_task(server, run_script, tmp_path, seconds=1.5)
    script.signal_group(signal.SIGINT)
    assert script.wait() == 0
    assert server.task(task_id)["status"] == "COMPLETED"  # it was waited for
    stderr = script.stderr()
    assert (
        "Received SIGINT: stopping 1 worker process(es); waiting for 1 running task(s), up to "
        "25 s; Ctrl-C again to give them back now"
    ) in stderr
    assert "restarting it" not in stderr and "Restarted" not in stderr, stderr[-3000:]


def test_a_second_ctrl_c_gives_the_running_task_back_and_says_so(
    server, run_script, tmp_path: Path
) -> None:
    script, task_id = start_slow_task(server, run_script, tmp_path, seconds=60)
    script.signal_group(signal.SIGINT)
    wait_until(lambda: "Ctrl-C again" in script.stderr(), message="the first message")
    script.signal_group(signal.SIGINT)
    assert script.wait() == 0
    task = server.task(task_id)
    assert (task["status"], task["callbackAfterSeconds"]) == ("SCHEDULED", 0)
    stderr = script.stderr()
    assert "Received SIGINT again: killed the worker processes at once" in stderr
    assert (
        f"gave back 1 task(s) of a worker process that ended (killed while stopping): {task_id}"
        in stderr
    )
    assert "dead worker" not in stderr and "restarting it" not in stderr, stderr[-3000:]
