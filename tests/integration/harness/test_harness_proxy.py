"""The chaos proxy: traffic passes, cut() resets open and new connections, restore() heals."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from harness.proxy import TcpProxy
from harness.server import ServerHandle


@pytest.fixture(scope="module")
def server():
    with ServerHandle() as handle:
        yield handle


def test_cut_resets_a_long_poll_at_once_and_restore_lets_traffic_through(server) -> None:
    with TcpProxy(server.url) as proxy, requests.Session() as http:
        health = proxy.url.removesuffix("/api") + "/health"
        assert http.get(health, timeout=5).status_code == 200

        cutter = threading.Timer(0.3, proxy.cut)
        cutter.start()
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError, match="reset"):
            http.get(f"{proxy.url}/tasks/poll/batch/nothing?count=1&timeout=5000", timeout=10)
        assert time.monotonic() - started < 3  # not the 5 s the long poll would hold
        cutter.join()

        with pytest.raises(requests.ConnectionError):
            http.get(health, timeout=5)  # new connections are reset while cut
        proxy.restore()
        assert http.get(health, timeout=5).status_code == 200
