"""The command line on granian over a real socket: it serves tasks, long polls wake up and
leave room for updates, every option works, and a signal stops it at once with nothing left
(granian's process and the worker process it serves from)."""

from __future__ import annotations

import json
import selectors
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from harness.admin import AdminClient
from harness.server import ServerHandle
from harness.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="granian is the command line's server on Linux"
)
COMMAND = [sys.executable, "-m", "fake_server", "--port", "0"]


class Cli:
    """``python -m fake_server --port 0 ARGS...`` (granian unless ARGS say otherwise)."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        line = _read_line(self.process.stdout, timeout_s=15)
        assert line.startswith("Fake Conductor server listening on http://127.0.0.1:"), line
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.root_url = self.url.removesuffix("/api")
        self.port = int(self.root_url.rsplit(":", 1)[1])

    def __enter__(self) -> Cli:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def stop(self, signum: int = signal.SIGTERM) -> float:
        """Sends ``signum``; returns how long the process took to exit (it must exit 0)."""
        started = time.monotonic()
        self.process.send_signal(signum)
        assert self.process.wait(timeout=10) == 0
        return time.monotonic() - started


def _read_line(stream, timeout_s: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            raise AssertionError(f"no output within {timeout_s} s")
    return stream.readline()


def _polls(admin: AdminClient, worker_id: str) -> int:
    return admin.stats()["workers"].get(worker_id, {}).get("polls", 0)


def _hold_long_polls(port: int, count: int, worker_id: str) -> list[socket.socket]:
    request = (
        f"GET /api/tasks/poll/batch/idle?workerid={worker_id}&timeout=5000 HTTP/1.1\r\n"
        "Host: x\r\n\r\n"
    ).encode()
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for connection in held:
        connection.sendall(request)
    return held


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_granian_is_the_command_lines_server_and_completes_a_task_round_trip():
    with Cli() as server, requests.Session() as session:
        assert session.get(f"{server.url}/health", timeout=5).headers["server"] == "granian"
        with AdminClient(server.url) as admin:
            first, second = admin.enqueue("greet", 2)
        [task] = session.get(
            f"{server.url}/tasks/poll/batch/greet",
            params={"workerid": "w", "count": 1, "timeout": 100},
            timeout=5,
        ).json()
        assert task["taskId"] == first
        result = {
            "taskId": first,
            "workflowInstanceId": task["workflowInstanceId"],
            "workerId": "w",
            "status": "COMPLETED",
            "outputData": {"hello": "world"},
        }
        following = session.post(f"{server.url}/tasks/update-v2", json=result, timeout=5)
        assert following.json()["taskId"] == second  # update-v2 hands out the next task
        done = session.get(f"{server.url}/tasks/{first}", timeout=5).json()
        assert done["status"] == "COMPLETED" and done["outputData"] == {"hello": "world"}


def test_a_long_poll_wakes_up_when_a_task_is_queued():
    with Cli() as server, AdminClient(server.url) as admin, ThreadPoolExecutor(1) as pool:

        def long_poll() -> tuple[list, float]:
            answer = requests.get(
                f"{server.url}/tasks/poll/batch/ping",
                params={"workerid": "waiter", "count": "1", "timeout": "5000"},
                timeout=10,
            )
            return answer.json(), time.monotonic()

        polling = pool.submit(long_poll)
        wait_until(lambda: _polls(admin, "waiter") == 1, timeout=5, message="the long poll")
        queued_at = time.monotonic()
        admin.enqueue("ping")
        tasks, answered_at = polling.result(timeout=10)
    assert len(tasks) == 1
    assert answered_at - queued_at < 1.0, "answered by the new task, not by the poll's timeout"


def test_an_update_completes_while_long_polls_hold_most_threads():
    with Cli("--threads", "8") as server, AdminClient(server.url) as admin:
        started = time.monotonic()
        held = _hold_long_polls(server.port, 6, "sleeper")
        try:
            wait_until(lambda: _polls(admin, "sleeper") == 6, timeout=5, message="6 long polls")
            (task_id,) = admin.enqueue("busy")
            task = requests.get(f"{server.url}/tasks/poll/busy?workerid=w", timeout=5).json()
            result = {
                "taskId": task_id,
                "workflowInstanceId": task["workflowInstanceId"],
                "status": "COMPLETED",
            }
            assert requests.post(f"{server.url}/tasks", json=result, timeout=5).text == task_id
            # Well within the polls' 5 s: nothing here waited for a thread to come free.
            assert time.monotonic() - started < 3.0
        finally:
            for connection in held:
                connection.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_at_once_ending_long_polls_and_freeing_the_port(signum):
    with Cli() as server, AdminClient(server.url) as admin:
        server_process = psutil.Process(server.process.pid)
        processes = [server_process, *server_process.children(recursive=True)]
        assert len(processes) == 2  # granian, and its worker that serves
        keep_alive = requests.Session()
        assert keep_alive.get(f"{server.url}/health", timeout=5).ok
        held = _hold_long_polls(server.port, 2, "sleeper")
        try:
            wait_until(lambda: _polls(admin, "sleeper") == 2, timeout=5, message="2 long polls")
            admin.close()  # its keep-alive connection would be closed under it
            assert server.stop(signum) < 3.0  # not the polls' 5 s
        finally:
            for connection in held:
                connection.close()
        assert "Fake Conductor server stopped" in server.process.stdout.read()
        assert not any(process.is_running() for process in processes)
        assert _port_is_free(server.port)
        with pytest.raises(requests.ConnectionError):
            keep_alive.get(f"{server.url}/health", timeout=5)


def test_a_killed_server_leaves_no_worker_behind():
    with Cli() as server:
        [worker] = psutil.Process(server.process.pid).children()
        server.process.kill()  # granian's process cannot stop its worker now
        server.process.wait(timeout=10)
        wait_until(lambda: not worker.is_running(), timeout=10, message="the worker to stop")
        assert _port_is_free(server.port)


def test_every_option_works_on_granian(tmp_path):
    (tmp_path / "tasks.json").write_text(json.dumps([{"name": "greet", "retryCount": 7}]))
    with Cli(
        "--wsgi",
        "granian",
        "--definitions",
        str(tmp_path),
        "--auth-key",
        "k",
        "--auth-secret",
        "s",
        "--token-ttl",
        "60",
        "--no-long-poll",
        "--threads",
        "4",
        "--log-level",
        "DEBUG",
    ) as server:
        assert requests.get(f"{server.url}/metadata/taskdefs/greet", timeout=5).status_code == 401
        token = requests.post(
            f"{server.url}/token", json={"keyId": "k", "keySecret": "s"}, timeout=5
        ).json()["token"]
        headers = {"X-Authorization": token}
        greet = requests.get(f"{server.url}/metadata/taskdefs/greet", headers=headers, timeout=5)
        assert greet.json()["retryCount"] == 7
        started = time.monotonic()
        empty = requests.get(
            f"{server.url}/tasks/poll/batch/greet",
            params={"workerid": "w", "timeout": 3000},
            headers=headers,
            timeout=10,
        )
        assert empty.json() == [] and time.monotonic() - started < 1.0  # no long poll
        server.stop()
        logged = server.process.stderr.read()
    assert "GET /api/metadata/taskdefs/greet -> 200" in logged


def test_server_handle_runs_its_subprocess_on_granian_and_stops_it_completely():
    with ServerHandle(mode="subprocess") as server:
        assert server.backend == "granian"
        answer = requests.get(f"{server.url}/health", timeout=5)
        assert answer.ok and answer.headers["server"] == "granian"
        [task_id] = server.admin.enqueue("probe")
        assert server.admin.get_task(task_id)["status"] == "SCHEDULED"
        process = psutil.Process(server.pid)
        processes = [process, *process.children(recursive=True)]
        port = int(server.root_url.rsplit(":", 1)[1])
    assert not any(process.is_running() for process in processes)
    assert _port_is_free(port)


def test_server_handle_can_still_choose_waitress_for_its_subprocess():
    with ServerHandle(mode="subprocess", backend="waitress") as server:
        assert requests.get(f"{server.url}/health", timeout=5).headers["server"] == "fake-conductor"


def test_thread_mode_runs_on_waitress():
    with ServerHandle() as server:
        assert server.backend == "waitress"
        assert requests.get(f"{server.url}/health", timeout=5).headers["server"] == "fake-conductor"


def test_many_keep_alive_clients_at_once_are_all_answered():
    with Cli() as server, AdminClient(server.url) as admin:
        admin.enqueue("bulk", 400)

        def drain(worker_id: str) -> int:
            received = 0
            with requests.Session() as session:
                while True:
                    tasks = session.get(
                        f"{server.url}/tasks/poll/batch/bulk",
                        params={"workerid": worker_id, "count": "5", "timeout": "50"},
                        timeout=10,
                    ).json()
                    if not tasks:
                        return received
                    received += len(tasks)

        with ThreadPoolExecutor(16) as pool:
            counts = list(pool.map(drain, [f"w{i}" for i in range(16)]))
    assert sum(counts) == 400
    assert sum(1 for count in counts if count) > 1, "served side by side"
