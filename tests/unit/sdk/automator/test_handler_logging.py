"""Logging in worker processes: a handler only when the application configured none."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from conductor.client.automator._worker_process import configure_logging
from conductor.client.configuration.configuration import Configuration

SDK = logging.getLogger("conductor.client")


@contextmanager
def bare_logging() -> Iterator[None]:
    """As in a process whose application configured no logging. (pytest gives the root logger
    handlers during each test; they are set aside in place and put back.)"""
    root = logging.getLogger()
    saved_root, saved_sdk, saved_level = root.handlers[:], SDK.handlers[:], SDK.level
    root.handlers.clear()
    SDK.handlers.clear()
    SDK.setLevel(logging.NOTSET)
    try:
        yield
    finally:
        root.handlers[:] = saved_root
        SDK.handlers[:] = saved_sdk
        SDK.setLevel(saved_level)


def config(debug: bool) -> Configuration:
    return Configuration(server_api_url="http://127.0.0.1:9/api", debug=debug)


def test_without_application_logging_the_sdk_logs_to_stderr_at_info():
    with bare_logging():
        configure_logging(config(debug=False))
        configure_logging(config(debug=False))  # a forked child runs it again: still one
        [handler] = SDK.handlers
        assert isinstance(handler, logging.StreamHandler)
        assert SDK.getEffectiveLevel() == logging.INFO


def test_debug_configuration_logs_at_debug():
    with bare_logging():
        configure_logging(config(debug=True))
        assert SDK.getEffectiveLevel() == logging.DEBUG


def test_application_logging_is_left_alone():
    with bare_logging():
        logging.getLogger().addHandler(logging.NullHandler())
        configure_logging(config(debug=False))
        assert SDK.handlers == []
