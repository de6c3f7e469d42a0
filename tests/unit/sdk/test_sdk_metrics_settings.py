"""MetricsSettings: 2.0.0's arguments, checked where they are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from conductor.client.configuration.settings.metrics_settings import MetricsSettings


def test_defaults_as_the_official_sdk() -> None:
    settings = MetricsSettings()
    assert settings.directory == str(Path.home() / "tmp")
    assert (settings.file_name, settings.update_interval, settings.http_port) == (
        "metrics.log",
        0.1,
        None,
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"update_interval": 0}, "update_interval=0"),
        ({"http_port": 70000}, "http_port=70000"),
        ({"http_port": "9000"}, "http_port='9000'"),
        ({"file_name": "a/b.log"}, "file_name='a/b.log'"),
    ],
)
def test_bad_values_name_the_argument(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        MetricsSettings(**arguments)  # type: ignore[arg-type]
