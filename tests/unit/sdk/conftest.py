"""Shared fixtures of the SDK's unit tests."""

import pytest
import responses

CONDUCTOR_ENV = ("CONDUCTOR_SERVER_URL", "CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Conductor settings from the developer's environment."""
    for name in CONDUCTOR_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    """A mocked Conductor server (``responses``): register the calls a test expects."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
