"""Configuration: environment defaults, explicit arguments, pickling, no logging side effects."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import pytest

from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)
from conductor.client.configuration.settings.metrics_settings import MetricsSettings

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def sdk_logger_level():
    logger = logging.getLogger("conductor.client")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_defaults_without_environment() -> None:
    config = Configuration()
    assert config.server_api_url == "http://localhost:8080/api"
    assert config.host == "http://localhost:8080/api"
    assert config.authentication_settings is None
    assert config.debug is False
    assert config.connect_timeout > 0
    assert config.read_timeout > config.connect_timeout


def test_environment_gives_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "https://conductor.example/api/")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", "key-1")
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", "s3cr3t")
    config = Configuration()
    assert config.server_api_url == "https://conductor.example/api"
    assert config.authentication_settings == AuthenticationSettings("key-1", "s3cr3t")


@pytest.mark.parametrize("present", ["CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET"])
def test_half_a_key_in_environment_means_no_authentication(
    monkeypatch: pytest.MonkeyPatch, present: str
) -> None:
    monkeypatch.setenv(present, "value")
    assert Configuration().authentication_settings is None


def test_explicit_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "http://from-env:8080/api")
    monkeypatch.setenv("CONDUCTOR_AUTH_KEY", "env-key")
    monkeypatch.setenv("CONDUCTOR_AUTH_SECRET", "env-secret")
    auth = AuthenticationSettings(key_id="arg-key", key_secret="arg-secret")
    config = Configuration(server_api_url="http://from-arg:9090/api/", authentication_settings=auth)
    assert config.server_api_url == "http://from-arg:9090/api"
    assert config.authentication_settings is auth


def test_base_url_appends_api() -> None:
    assert Configuration(base_url="http://server:8080/").server_api_url == "http://server:8080/api"


def test_url_without_scheme_is_rejected_naming_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_SERVER_URL", "localhost:8080/api")
    with pytest.raises(ValueError, match="CONDUCTOR_SERVER_URL"):
        Configuration()


@pytest.mark.parametrize("value", [0, -1, "5", float("inf")])
def test_timeouts_must_be_positive_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="read_timeout"):
        Configuration(read_timeout=value)  # type: ignore[arg-type]


def test_configuration_survives_pickling() -> None:
    config = Configuration(
        server_api_url="http://server:8080/api",
        authentication_settings=AuthenticationSettings(key_id="k", key_secret="s"),
        read_timeout=12.5,
    )
    copy = pickle.loads(pickle.dumps(config))
    assert copy.server_api_url == config.server_api_url
    assert copy.authentication_settings == config.authentication_settings
    assert copy.read_timeout == 12.5


def test_debug_sets_the_sdk_logger_level_without_adding_handlers(sdk_logger_level) -> None:
    sdk_logger_level.setLevel(logging.NOTSET)
    handlers_before = list(sdk_logger_level.handlers), list(logging.getLogger().handlers)
    Configuration(debug=True)
    assert sdk_logger_level.level == logging.DEBUG
    assert (list(sdk_logger_level.handlers), list(logging.getLogger().handlers)) == handlers_before


def test_debug_level_is_carried_into_an_unpickled_copy(sdk_logger_level) -> None:
    data = pickle.dumps(Configuration(debug=True))
    sdk_logger_level.setLevel(logging.NOTSET)  # what a freshly spawned process has
    pickle.loads(data)
    assert sdk_logger_level.level == logging.DEBUG


def test_importing_the_sdk_installs_no_logging_handlers() -> None:
    code = (
        "import logging\n"
        "import conductor.client.configuration.configuration\n"
        "import conductor.client.http.task_client\n"
        "import conductor.client.worker.worker_config\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
        "assert not logging.getLogger('conductor.client').handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_secret_is_not_shown() -> None:
    auth = AuthenticationSettings(key_id="my-key", key_secret="very-secret-value")
    config = Configuration(authentication_settings=auth)
    for text in (repr(auth), str(auth), repr(config)):
        assert "very-secret-value" not in text
    assert "my-key" in repr(auth)


def test_metrics_settings_keep_the_guide_signature() -> None:
    settings = MetricsSettings(directory="/tmp/metrics", update_interval=1.0)
    assert (settings.directory, settings.file_name, settings.update_interval) == (
        "/tmp/metrics",
        "metrics.log",
        1.0,
    )


# -- conductor-python's arguments and attributes -------------------------------------------


def test_the_first_positional_argument_is_the_servers_root() -> None:
    assert Configuration("http://server:8080").server_api_url == "http://server:8080/api"
    config = Configuration(None, True, None, "http://other:9090/api")
    assert (config.server_api_url, config.debug) == ("http://other:9090/api", True)


def test_a_base_url_ending_in_api_gets_api_appended_all_the_same_with_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        config = Configuration(base_url="http://server:8080/api")
    assert config.server_api_url == "http://server:8080/api/api"
    assert "already ends in /api" in caplog.text and "server_api_url=" in caplog.text


def test_host_is_settable_and_checked() -> None:
    config = Configuration()
    config.host = "https://conductor.example/api/"
    assert config.server_api_url == "https://conductor.example/api"
    with pytest.raises(ValueError, match="from host"):
        config.host = "conductor.example/api"
    with pytest.raises(ValueError, match="host=''"):
        config.host = ""


def test_ui_host_is_the_servers_root_unless_the_environment_says(monkeypatch) -> None:
    config = Configuration(server_api_url="http://server:8080/api")
    assert config.ui_host == "http://server:8080"
    config.host = "http://moved:8080/api"
    assert config.ui_host == "http://moved:8080"
    monkeypatch.setenv("CONDUCTOR_UI_SERVER_URL", "http://ui:5000")
    assert Configuration().ui_host == "http://ui:5000"


def test_log_level_from_argument_environment_or_debug(sdk_logger_level, monkeypatch) -> None:
    assert Configuration().log_level == logging.INFO
    assert Configuration(debug=True).log_level == logging.DEBUG
    assert Configuration(log_level="warning").log_level == logging.WARNING
    assert sdk_logger_level.level == logging.WARNING
    assert Configuration(debug=True, log_level=logging.ERROR).log_level == logging.ERROR
    monkeypatch.setenv("CONDUCTOR_LOG_LEVEL", "DEBUG")
    assert Configuration().log_level == logging.DEBUG
    config = Configuration(log_level="INFO")
    assert config.log_level == logging.INFO
    monkeypatch.delenv("CONDUCTOR_LOG_LEVEL")
    config = Configuration()
    config.debug = True
    assert config.log_level == logging.DEBUG and sdk_logger_level.level == logging.DEBUG


@pytest.mark.parametrize(
    ("source", "message"),
    [("argument", "log_level='LOUD' is not a log level"), ("env", "env CONDUCTOR_LOG_LEVEL")],
)
def test_a_bad_log_level_is_refused_naming_its_source(monkeypatch, source, message) -> None:
    if source == "env":
        monkeypatch.setenv("CONDUCTOR_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match=message):
        Configuration(log_level="LOUD" if source == "argument" else None)


def test_register_schema_from_argument_or_environment(monkeypatch) -> None:
    assert Configuration().register_schema is None  # workers decide
    assert Configuration(register_schema=True).register_schema is True
    monkeypatch.setenv("CONDUCTOR_REGISTER_SCHEMAS", "yes")
    assert Configuration().register_schema is True
    assert Configuration(register_schema=False).register_schema is False
    monkeypatch.setenv("CONDUCTOR_REGISTER_SCHEMAS", "sometimes")
    with pytest.raises(ValueError, match="CONDUCTOR_REGISTER_SCHEMAS='sometimes'"):
        Configuration()


def test_apply_logging_config_configures_logging_when_the_application_asks() -> None:
    code = (
        "import logging\n"
        "from conductor.client.configuration.configuration import Configuration\n"
        "config = Configuration(log_level='WARNING')\n"
        "assert not logging.getLogger().handlers\n"
        "config.apply_logging_config()\n"
        "assert logging.getLogger().handlers and logging.getLogger().level == logging.WARNING\n"
        "assert Configuration.get_logging_formatted_name('x').endswith('] x')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
