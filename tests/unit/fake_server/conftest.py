"""Fixtures for the fake server's unit tests: an engine on a manual clock, and a worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fake_server import ManualClock
from fake_server.engine import Engine
from fake_server.http import create_app
from tests.unit.fake_server.helpers import Worker


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def engine(clock: ManualClock) -> Iterator[Engine]:
    engine = Engine(clock)
    yield engine
    engine.close()


@pytest.fixture
def worker(engine: Engine) -> Worker:
    return Worker(engine)


@pytest.fixture
def client(engine: Engine) -> FlaskClient:
    return create_app(engine).test_client()
