"""FakeServer (waitress, in this process) over a real socket: start/stop, long-poll latency,
concurrent batch polls."""

import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fake_server import FakeServer


def wait_for(condition, timeout_s=5.0, what="condition"):
    give_up = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.002)


def is_polling(server, worker_id):
    return any(p.get("workerId") == worker_id for p in server.engine.all_poll_data())


@pytest.fixture
def server():
    with FakeServer(port=0) as server:
        yield server


def test_start_binds_a_free_port_and_serves(server):
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/api"
    assert server.root_url == f"http://127.0.0.1:{server.port}"
    assert requests.get(f"{server.url}/health", timeout=5).json()["healthy"] is True
    assert requests.get(f"{server.root_url}/health", timeout=5).status_code == 200
    missing = requests.get(f"{server.url}/nope", timeout=5)
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_stop_frees_the_port_and_joins_its_threads():
    before = set(threading.enumerate())
    server = FakeServer(port=0).start()
    port = server.port
    session = requests.Session()  # a keep-alive connection the stop must close
    assert session.get(f"{server.url}/health", timeout=5).status_code == 200
    server.stop()
    server.stop()  # twice is fine
    with FakeServer(port=port) as again:  # the port is free for a new server
        assert requests.get(f"{again.url}/health", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        session.get(f"{server.url}/health", timeout=5)
    wait_for(lambda: set(threading.enumerate()) <= before, what="server threads to end")


def test_stop_ends_long_polls_at_once(server):
    with ThreadPoolExecutor(1) as pool:
        url = f"{server.url}/tasks/poll/batch/idle?workerid=sleeper&timeout=5000"
        future = pool.submit(requests.get, url, timeout=10)
        wait_for(lambda: is_polling(server, "sleeper"), what="the long poll")
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
        # An empty answer or a closed connection: both end the poll.
        with contextlib.suppress(requests.RequestException):
            assert future.result(timeout=5).json() == []


def test_a_long_poll_answers_within_100_ms_of_a_task_being_queued(server):
    def long_poll():
        response = requests.get(
            f"{server.url}/tasks/poll/batch/ping",
            params={"workerid": "waiter", "count": 1, "timeout": 5000},
            timeout=10,
        )
        return response.json(), time.perf_counter()

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(long_poll)
        wait_for(lambda: is_polling(server, "waiter"), what="the long poll")
        time.sleep(0.05)  # let the request settle into its wait (not a condition we can see)
        queued_at = time.perf_counter()
        server.engine.enqueue_tasks("ping", 1)
        tasks, answered_at = future.result(timeout=10)
    assert len(tasks) == 1
    assert answered_at - queued_at < 0.1, f"took {answered_at - queued_at:.3f} s"


def test_eight_threads_share_2000_tasks_each_exactly_once(server):
    expected = set(server.engine.enqueue_tasks("bulk", 2000))

    def drain(worker_id):
        session = requests.Session()
        received = []
        while True:
            tasks = session.get(
                f"{server.url}/tasks/poll/batch/bulk",
                params={"workerid": worker_id, "count": 10, "timeout": 100},
                timeout=10,
            ).json()
            if not tasks:
                return received
            received.extend(task["taskId"] for task in tasks)

    with ThreadPoolExecutor(8) as pool:
        per_worker = list(pool.map(drain, [f"w{i}" for i in range(8)]))
    received = [task_id for ids in per_worker for task_id in ids]
    assert len(received) == 2000
    assert set(received) == expected
    assert sum(1 for ids in per_worker if ids) > 1, "the work was shared"
    stats = server.engine.stats()
    assert stats["queues"]["bulk"]["inProgress"] == 2000
    assert sum(w["tasksHandedOut"] for w in stats["workers"].values()) == 2000


def test_garbage_on_the_wire_does_not_stop_the_server(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        with contextlib.suppress(OSError):
            raw.recv(1000)  # an error answer or a closed connection
    bad = requests.post(
        f"{server.url}/tasks",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    # What Conductor cannot read is its 500 (not retryable), the fake's words beside.
    assert bad.status_code == 500 and bad.json()["status"] == 500
    assert bad.json()["retryable"] is False
    assert bad.json()["fakeServerDetail"].startswith("body: malformed JSON")
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200


def test_a_hundred_long_polls_do_not_starve_an_update():
    # waitress serves from a fixed pool: it needs more threads than long polls held open.
    with FakeServer(port=0, threads=128) as server:
        _long_polls_leave_room_for_an_update(server)


def _long_polls_leave_room_for_an_update(server):
    request = (
        b"GET /api/tasks/poll/batch/idle?workerid=sleeper&timeout=5000 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    sleepers = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(100)]
    try:
        for sleeper in sleepers:
            sleeper.sendall(request)
        wait_for(
            lambda: server.engine.stats()["workers"].get("sleeper", {}).get("polls") == 100,
            what="100 long polls in progress",
        )
        started = time.monotonic()
        (task_id,) = server.engine.enqueue_tasks("busy", 1)
        task = requests.get(f"{server.url}/tasks/poll/busy?workerid=w", timeout=5).json()
        result = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task_id,
            "status": "COMPLETED",
        }
        assert requests.post(f"{server.url}/tasks", json=result, timeout=5).text == task_id
        assert time.monotonic() - started < 1.0
    finally:
        for sleeper in sleepers:
            sleeper.close()


def test_a_server_of_a_program_on_every_address_without_auth_logs_a_warning(caplog):
    with FakeServer(host="0.0.0.0") as server:
        assert requests.get(f"{server.url}/health", timeout=5).ok
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("listens on 0.0.0.0 without authentication" in w for w in warnings), warnings
