"""TaskClient authentication: token and header, renewal by time and on 401, no-auth servers."""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone

import pytest
import responses
from freezegun import freeze_time
from responses import matchers

from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)
from conductor.client.http._auth import jwt_expiry
from conductor.client.http.models import TaskResult, TaskResultStatus
from conductor.client.http.task_client import ConductorApiError, ConductorAuthError, TaskClient

API = "http://conductor.test/api"
KEY_ID = "app-key-7"
SECRET = "the-secret-nobody-may-see"
START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def jwt(exp: float | None, marker: str) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"sub": marker} if exp is None else {"sub": marker, "exp": int(exp)}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.signature"


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def client(session):
    config = Configuration(
        server_api_url=API,
        authentication_settings=AuthenticationSettings(key_id=KEY_ID, key_secret=SECRET),
    )
    task_client = TaskClient(config, session=session)
    yield task_client
    task_client.close()


def serve_tokens(server: responses.RequestsMock, *tokens: str) -> None:
    for token in tokens:
        server.post(
            f"{API}/token",
            json={"token": token},
            match=[matchers.json_params_matcher({"keyId": KEY_ID, "keySecret": SECRET})],
        )


def token_calls(server: responses.RequestsMock) -> int:
    return sum(call.request.path_url == "/api/token" for call in server.calls)


def sent_tokens(server: responses.RequestsMock) -> list[str | None]:
    return [
        call.request.headers.get("X-Authorization")
        for call in server.calls
        if call.request.path_url != "/api/token"
    ]


def test_token_is_fetched_once_and_sent_on_every_call(server, client) -> None:
    token = jwt(START.timestamp() + 3600, "first")
    serve_tokens(server, token)
    server.get(f"{API}/tasks/poll/greet", status=204)
    server.post(f"{API}/tasks", body="t-1")
    with freeze_time(START):
        client.poll("greet", worker_id="w1")
        client.poll("greet", worker_id="w1")
        client.update(_result())
    assert token_calls(server) == 1
    assert sent_tokens(server) == [token, token, token]


def test_token_is_renewed_shortly_before_it_expires(server, client) -> None:
    first = jwt(START.timestamp() + 3600, "first")
    second = jwt(START.timestamp() + 7200, "second")
    serve_tokens(server, first, second)
    server.get(f"{API}/tasks/poll/greet", status=204)
    with freeze_time(START) as clock:
        client.poll("greet", worker_id="w1")
        clock.tick(3600 - 120)  # two minutes left: still good
        client.poll("greet", worker_id="w1")
        clock.tick(90)  # thirty seconds left: renew before using it
        client.poll("greet", worker_id="w1")
    assert token_calls(server) == 2
    assert sent_tokens(server) == [first, first, second]


def test_token_without_expiry_is_renewed_after_the_configured_ttl(server, session) -> None:
    config = Configuration(
        server_api_url=API,
        authentication_settings=AuthenticationSettings(key_id=KEY_ID, key_secret=SECRET),
        auth_token_ttl_min=10,
    )
    client = TaskClient(config, session=session)
    serve_tokens(server, "opaque-1", "opaque-2")
    server.get(f"{API}/tasks/poll/greet", status=204)
    with freeze_time(START) as clock:
        client.poll("greet", worker_id="w1")
        clock.tick(9 * 60)
        client.poll("greet", worker_id="w1")
        clock.tick(2 * 60)
        client.poll("greet", worker_id="w1")
    assert sent_tokens(server) == ["opaque-1", "opaque-1", "opaque-2"]


@pytest.mark.parametrize("error", ["EXPIRED_TOKEN", "INVALID_TOKEN"])
def test_rejected_token_is_renewed_and_the_call_retried_once(server, client, error) -> None:
    first, second = jwt(START.timestamp() + 3600, "a"), jwt(START.timestamp() + 3600, "b")
    serve_tokens(server, first, second)
    server.get(f"{API}/tasks/poll/greet", status=401, json={"error": error, "message": "no"})
    server.get(f"{API}/tasks/poll/greet", json={"taskId": "t-1", "taskType": "greet"})
    with freeze_time(START):
        task = client.poll("greet", worker_id="w1")
    assert task is not None and task.task_id == "t-1"
    assert sent_tokens(server) == [first, second]


def test_a_second_rejection_is_not_retried_again(server, client) -> None:
    serve_tokens(server, "opaque-1", "opaque-2", "opaque-3")
    server.get(f"{API}/tasks/poll/greet", status=401, json={"error": "EXPIRED_TOKEN"})
    with freeze_time(START), pytest.raises(ConductorApiError) as raised:
        client.poll("greet", worker_id="w1")
    assert raised.value.status == 401 and not raised.value.transient
    assert sent_tokens(server) == ["opaque-1", "opaque-2"]
    assert token_calls(server) == 2


def test_other_401_is_an_error_without_token_renewal(server, client) -> None:
    serve_tokens(server, "opaque-1", "opaque-2")
    server.get(f"{API}/tasks/poll/greet", status=401, json={"message": "not for you"})
    with freeze_time(START), pytest.raises(ConductorApiError, match="not for you"):
        client.poll("greet", worker_id="w1")
    assert token_calls(server) == 1


def test_server_without_token_endpoint_is_used_without_authentication(
    server, client, caplog
) -> None:
    server.post(f"{API}/token", status=404)
    server.get(f"{API}/tasks/poll/greet", status=204)
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        for _ in range(3):
            assert client.poll("greet", worker_id="w1") is None
    assert token_calls(server) == 1
    assert sent_tokens(server) == [None, None, None]
    notes = [r for r in caplog.records if "does not use authentication" in r.getMessage()]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_gives_a_clear_error_naming_the_key_id(server, client, status) -> None:
    server.post(f"{API}/token", status=status, json={"message": "Invalid key"})
    with pytest.raises(ConductorAuthError) as raised:
        client.poll("greet", worker_id="w1")
    assert KEY_ID in str(raised.value) and "Invalid key" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert not raised.value.transient


def test_unreachable_token_endpoint_is_transient(server, client) -> None:
    server.post(f"{API}/token", status=503)
    with pytest.raises(ConductorApiError) as raised:
        client.poll("greet", worker_id="w1")
    assert raised.value.transient


def test_server_demanding_auth_without_a_key_says_how_to_set_one(server, session) -> None:
    client = TaskClient(Configuration(server_api_url=API), session=session)
    server.get(f"{API}/tasks/poll/greet", status=401, json={"message": "Unauthorized"})
    with pytest.raises(ConductorApiError, match="CONDUCTOR_AUTH_KEY"):
        client.poll("greet", worker_id="w1")


def test_secret_never_appears_in_logs_or_reprs(server, client, caplog) -> None:
    serve_tokens(server, "opaque-1", "opaque-2")
    server.get(f"{API}/tasks/poll/greet", status=401, json={"error": "EXPIRED_TOKEN"})
    server.get(f"{API}/tasks/poll/greet", status=204)
    server.post(f"{API}/tasks/update-v2", status=400, json={"message": "bad"})
    with caplog.at_level(logging.DEBUG):
        client.poll("greet", worker_id="w1")
        client.deliver(_result())
    assert caplog.records, "the flow above logs something"
    assert SECRET not in caplog.text
    for text in (repr(client), repr(client.configuration)):
        assert SECRET not in text
    assert KEY_ID in repr(client)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (jwt(1_700_000_000, "x"), 1_700_000_000.0),
        (jwt(None, "x"), None),
        ("not-a-jwt", None),
        ("a.!!!.c", None),
        ("a.bnVsbA.c", None),  # payload "null"
    ],
)
def test_jwt_expiry_reads_exp_or_gives_up(token: str, expected: float | None) -> None:
    assert jwt_expiry(token) == expected


def _result() -> TaskResult:
    return TaskResult(task_id="t-1", workflow_instance_id="wf-1", status=TaskResultStatus.COMPLETED)
