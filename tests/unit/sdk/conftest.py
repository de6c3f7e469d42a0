"""Shared fixtures of the SDK's unit tests."""

import pytest
import requests
import responses

CONDUCTOR_ENV = (
    "CONDUCTOR_SERVER_URL",
    "CONDUCTOR_AUTH_KEY",
    "CONDUCTOR_AUTH_SECRET",
    "CONDUCTOR_UI_SERVER_URL",
    "CONDUCTOR_LOG_LEVEL",
    "CONDUCTOR_REGISTER_SCHEMAS",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Conductor settings from the developer's environment."""
    for name in CONDUCTOR_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    """A mocked Conductor server (``responses``): register the calls a test expects. It
    answers ``requests``, so a ``TaskClient`` under test sends through a session (see
    ``session``); its own connections are tested over real sockets, in the integration tests."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


@pytest.fixture
def session():
    """A ``requests.Session`` for ``TaskClient(..., session=session)``."""
    with requests.Session() as http:
        http.trust_env = False  # nothing from the developer's environment
        yield http
