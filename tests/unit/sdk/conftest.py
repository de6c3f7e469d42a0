"""Shared fixtures of the SDK's unit tests."""

from unittest import mock

import pytest
import responses

CONDUCTOR_ENV = ("CONDUCTOR_SERVER_URL", "CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET")
# TaskClient's own transport overrides HTTPAdapter.send, which is what responses patches.
KEEP_ALIVE_SEND = "conductor.client.http.adapter.KeepAliveAdapter.send"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Conductor settings from the developer's environment."""
    for name in CONDUCTOR_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    """A mocked Conductor server (``responses``): register the calls a test expects. It answers
    both TaskClient's adapter and plain ``requests`` calls."""
    mocked = responses.RequestsMock(assert_all_requests_are_fired=False, target=KEEP_ALIVE_SEND)
    with mocked, mock.patch("requests.adapters.HTTPAdapter.send", mocked.unbound_on_send()):
        yield mocked
