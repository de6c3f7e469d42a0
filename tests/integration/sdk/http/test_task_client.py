"""TaskClient over a real socket against the fake server: the HTTP exchange itself, timeouts
and token renewal. Keep-alive and misbehaving servers: test_transport.py."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)
from conductor.client.http.async_task_client import AsyncTaskClient
from conductor.client.http.models import Task, TaskResult, TaskResultStatus
from conductor.client.http.task_client import ConductorApiError, ConductorAuthError, TaskClient
from fake_server import FakeServer, ManualClock


@pytest.fixture
def client(server):
    task_client = TaskClient(Configuration(server_api_url=server.url))
    yield task_client
    task_client.close()


def completed(task, worker_id: str = "w1") -> TaskResult:
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id=worker_id,
        status=TaskResultStatus.COMPLETED,
    )
    result.add_output_data("doubled", task.input_data["n"] * 2)
    return result


def test_poll_deliver_chain_and_logs(server, client) -> None:
    ids = server.enqueue("double", 3, input={"n": 21})
    [first] = client.batch_poll("double", worker_id="w1", count=1)
    client.add_log(first.task_id, 'a line with "quotes" and ünïcode')

    task, done = first, []
    while task is not None:  # update-v2 hands over the next task until the queue is empty
        done.append(task.task_id)
        task = client.deliver(completed(task))

    assert sorted(done) == sorted(ids)
    for task_id in ids:
        stored = server.task(task_id)
        assert (stored["status"], stored["outputData"]) == ("COMPLETED", {"doubled": 42})
    assert server.task_logs(first.task_id) == ['a line with "quotes" and ünïcode']
    assert client.get_task(first.task_id).status == "COMPLETED"


def test_domain_is_sent_and_an_empty_one_is_not(server, client) -> None:
    [in_domain] = server.enqueue("double", 1, domain="gpu", input={"n": 1})
    [plain] = server.enqueue("double", 1, input={"n": 1})
    assert [t.task_id for t in client.batch_poll("double", worker_id="w1", domain="gpu")] == [
        in_domain
    ]
    assert client.poll("double", worker_id="w1", domain="").task_id == plain


def test_long_poll_waits_for_the_server_not_for_the_client_timeout(server) -> None:
    client = TaskClient(Configuration(server_api_url=server.url, read_timeout=0.5))
    started = time.monotonic()
    assert client.batch_poll("nothing-here", worker_id="w1", timeout_ms=800) == []
    assert time.monotonic() - started >= 0.7  # held by the server, no client read timeout
    client.close()


def test_silent_server_times_out_as_a_transient_error() -> None:
    with socket.socket() as listener:  # accepts connections (backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        client = TaskClient(
            Configuration(server_api_url=f"http://127.0.0.1:{port}/api", read_timeout=0.3)
        )
        started = time.monotonic()
        with pytest.raises(ConductorApiError) as raised:
            client.poll("double", worker_id="w1")
        assert time.monotonic() - started < 5
        assert raised.value.status is None and raised.value.transient
        assert "timed out" in str(raised.value)
        client.close()


def test_refused_connection_is_a_transient_error() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TaskClient(Configuration(server_api_url=f"http://127.0.0.1:{port}/api"))
    with pytest.raises(ConductorApiError) as raised:
        client.poll("double", worker_id="w1")
    assert raised.value.status is None and raised.value.transient
    client.close()


def test_token_is_renewed_when_the_server_says_it_expired(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="fake_server.access")  # one line per request
    clock = ManualClock()
    fake_server = FakeServer(
        auth_key="key", auth_secret="secret", clock=clock, token_ttl_seconds=60
    )
    with fake_server as fake:
        auth = AuthenticationSettings(key_id="key", key_secret="secret")
        client = TaskClient(Configuration(server_api_url=fake.url, authentication_settings=auth))
        assert client.poll("double", worker_id="w1") is None
        clock.advance_seconds(120)  # the server's clock: the token is now expired there
        assert client.poll("double", worker_id="w1") is None  # not a 401: a new token
        client.close()
    poll = "GET /api/tasks/poll/double?workerid=w1"
    assert [r.getMessage() for r in caplog.records if r.name == "fake_server.access"] == [
        "POST /api/token -> 200",
        f"{poll} -> 204",
        f"{poll} -> 401",  # expired on the server's clock: a new token, and the poll again
        "POST /api/token -> 200",
        f"{poll} -> 204",
    ]


def test_wrong_secret_is_refused_with_the_key_id_named() -> None:
    with FakeServer(auth_key="key", auth_secret="secret") as fake:
        auth = AuthenticationSettings(key_id="key", key_secret="not-the-secret")
        client = TaskClient(Configuration(server_api_url=fake.url, authentication_settings=auth))
        with pytest.raises(ConductorAuthError, match="'key'") as raised:
            client.poll("double", worker_id="w1")
        assert "not-the-secret" not in str(raised.value)
        client.close()


def test_guide_placeholder_key_works_against_a_server_without_auth(server) -> None:
    auth = AuthenticationSettings(key_id="<KEY_ID>", key_secret="<KEY_SECRET>")
    client = TaskClient(Configuration(server_api_url=server.url, authentication_settings=auth))
    [task_id] = server.enqueue("double", 1, input={"n": 2})
    task = client.poll("double", worker_id="w1")
    assert task is not None and task.task_id == task_id
    client.deliver(completed(task))
    assert server.task(task_id)["status"] == "COMPLETED"
    client.close()


def test_a_result_the_server_cannot_take_is_given_up_at_once(server, caplog) -> None:
    """The fake answers update-v2 without a task id as Conductor does (500, not retryable):
    the result is logged once and given up, where a retried 5xx would loop for ever."""
    waits: list[float] = []
    client = TaskClient(Configuration(server_api_url=server.url), sleep=waits.append)
    [task_id] = server.enqueue("double", 1, input={"n": 2})
    task = client.poll("double", worker_id="w1")
    broken = completed(task)
    broken.task_id = ""
    failures: list[ConductorApiError] = []
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        assert client.deliver(broken, on_failure=failures.append) is None
    assert waits == []
    assert [(f.status, f.transient) for f in failures] == [(500, False)]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1
    assert "Validation failed for argument [0]" in errors[0]
    assert server.task(task_id)["status"] == "IN_PROGRESS"
    client.deliver(completed(task))  # the client goes on: the next result is delivered
    assert server.task(task_id)["status"] == "COMPLETED"
    client.close()


def test_the_async_client_gives_up_a_result_the_server_cannot_take(server, caplog) -> None:
    """The same decision in the asyncio client: one ERROR, the error raised, no retries."""
    [task_id] = server.enqueue("double", 1, input={"n": 2})

    async def deliver_without_task_id() -> ConductorApiError:
        client = AsyncTaskClient(Configuration(server_api_url=server.url), pool_maxsize=2)
        try:
            [task] = await client.batch_poll("double", worker_id="w1")
            broken = completed(task)
            broken.task_id = ""
            with pytest.raises(ConductorApiError) as raised:
                await asyncio.wait_for(client.deliver(broken), timeout=10)
            return raised.value
        finally:
            await client.close()

    with caplog.at_level(logging.INFO, logger="conductor.client"):
        error = asyncio.run(deliver_without_task_id())
    assert (error.status, error.transient) == (500, False)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "was refused" in errors[0]
    assert server.task(task_id)["status"] == "IN_PROGRESS"


# -- the async client shares TaskClient's tokens, fallbacks and error words ---------------------


def run_async_client(url: str, calls, auth: AuthenticationSettings | None = None):
    """Runs ``calls(client)`` with an ``AsyncTaskClient`` of ``url`` on a loop of its own."""

    async def main():
        configuration = Configuration(server_api_url=url, authentication_settings=auth)
        client = AsyncTaskClient(configuration, pool_maxsize=2)
        try:
            return await calls(client)
        finally:
            await client.close()

    return asyncio.run(main())


def test_the_async_client_renews_a_token_the_server_says_expired(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="fake_server.access")
    clock = ManualClock()
    fake_server = FakeServer(
        auth_key="key", auth_secret="secret", clock=clock, token_ttl_seconds=60
    )

    async def poll_twice(client: AsyncTaskClient) -> None:
        assert await client.batch_poll("double", worker_id="w1") == []
        clock.advance_seconds(120)  # expired on the server's clock
        assert await client.batch_poll("double", worker_id="w1") == []

    with fake_server as fake:
        run_async_client(fake.url, poll_twice, AuthenticationSettings("key", "secret"))
    poll = "GET /api/tasks/poll/batch/double?workerid=w1&count=1&timeout=0"
    assert [r.getMessage() for r in caplog.records if r.name == "fake_server.access"] == [
        "POST /api/token -> 200",
        f"{poll} -> 200",  # a batch poll answers an empty list
        f"{poll} -> 401",
        "POST /api/token -> 200",
        f"{poll} -> 200",
    ]


def test_the_async_client_names_the_key_the_server_refused() -> None:
    async def poll(client: AsyncTaskClient) -> None:
        await client.batch_poll("double", worker_id="w1")

    with FakeServer(auth_key="key", auth_secret="secret") as fake:
        auth = AuthenticationSettings(key_id="key", key_secret="not-the-secret")
        with pytest.raises(ConductorAuthError, match="'key'") as raised:
            run_async_client(fake.url, poll, auth)
    assert "not-the-secret" not in str(raised.value)


def test_the_async_client_goes_without_a_token_where_the_server_has_no_token_endpoint(
    server,
) -> None:
    [task_id] = server.enqueue("double", 1, input={"n": 2})

    async def poll_and_deliver(client: AsyncTaskClient) -> None:
        [task] = await client.batch_poll("double", worker_id="w1")
        await client.deliver(completed(task))

    run_async_client(
        server.url, poll_and_deliver, AuthenticationSettings("<KEY_ID>", "<KEY_SECRET>")
    )
    assert server.task(task_id)["status"] == "COMPLETED"


def poll_errors_of_both_clients(url: str) -> list[ConductorApiError]:
    """What a batch poll of ``url`` raises in the async client, then in the threaded one."""

    async def poll(client: AsyncTaskClient) -> None:
        await client.batch_poll("double", worker_id="w1")

    with pytest.raises(ConductorApiError) as from_async:
        run_async_client(url, poll)
    client = TaskClient(Configuration(server_api_url=url))
    with client, pytest.raises(ConductorApiError) as from_threads:
        client.batch_poll("double", worker_id="w1")
    return [from_async.value, from_threads.value]


def test_both_clients_say_where_they_looked_for_a_server_that_is_not_there() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    for error in poll_errors_of_both_clients(url):
        assert error.transient and error.status is None
        assert f"no server answers at {url}" in str(error)


def test_both_clients_say_a_url_without_api_is_not_conductors_api(server) -> None:
    from_async, from_threads = poll_errors_of_both_clients(server.url.removesuffix("/api"))
    assert str(from_async) == str(from_threads)
    assert "Is '/api' missing?" in str(from_async)


@pytest.mark.parametrize("status", [404, 405])
def test_the_async_client_sends_results_to_post_tasks_where_update_v2_is_missing(
    server, status, caplog
) -> None:
    """A server without update-v2 (imitated by a fault on that route): the result goes to
    POST /tasks, and from then on straight there."""
    caplog.set_level(logging.DEBUG, logger="fake_server.access")
    fault = {"kind": "error", "route": "update_v2", "status": status}
    server.http.post(f"{server.root_url}/fake/faults", json=fault).raise_for_status()
    task_ids = server.enqueue("double", 2, input={"n": 1})

    async def poll_and_deliver_each(client: AsyncTaskClient) -> list[Task | None]:
        answers = []
        for _ in task_ids:
            [task] = await client.batch_poll("double", worker_id="w1")
            answers.append(await client.deliver(completed(task)))
        return answers

    assert run_async_client(server.url, poll_and_deliver_each) == [None, None]
    assert [server.task(task_id)["status"] for task_id in task_ids] == ["COMPLETED"] * 2
    updates = [
        r.getMessage().split(" -> ")[0]
        for r in caplog.records
        if r.name == "fake_server.access" and r.getMessage().startswith("POST /api/tasks")
    ]
    assert updates == ["POST /api/tasks/update-v2", "POST /api/tasks", "POST /api/tasks"]
