"""Worker settings: precedence of environment, worker.ini and code; validation; file lookup."""

from __future__ import annotations

import itertools
import logging
import pickle
import socket
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from conductor.client.worker.worker_config import (
    WorkerConfigError,
    WorkerSettings,
    resolve_worker_settings,
)

TASK = "greet"

# The five configurable levels, highest precedence first.
LEVELS = ("task_env", "global_env", "ini_task", "ini_default", "argument")
VALUES: dict[str, dict[str, Any]] = {
    "domain": {
        "task_env": "from-task-env",
        "global_env": "from-global-env",
        "ini_task": "from-ini-task",
        "ini_default": "from-ini-default",
        "argument": "from-argument",
    },
    "polling_interval": {
        "task_env": "111",
        "global_env": "222",
        "ini_task": "333",
        "ini_default": "444",
        "argument": 555,
    },
}
DEFAULTS: dict[str, Any] = {"domain": None, "polling_interval": 100.0}


def write_ini(folder: Path, text: str) -> Path:
    path = folder / "worker.ini"
    path.write_text(text, encoding="utf-8")
    return path


def resolve(tmp_path: Path, environ=None, arguments=None, ini_text=None, task=TASK):
    if ini_text is not None:
        write_ini(tmp_path, ini_text)
    return resolve_worker_settings(task, arguments, environ=environ or {}, search_dirs=[tmp_path])


def setup_levels(prop: str, present: tuple[str, ...]) -> tuple[dict, dict, str | None]:
    values = VALUES[prop]
    environ: dict[str, str] = {}
    arguments: dict[str, object] = {}
    sections: dict[str, str] = {}
    if "task_env" in present:
        environ[f"conductor_worker_{TASK}_{prop}"] = values["task_env"]
    if "global_env" in present:
        environ[f"conductor_worker_{prop}"] = values["global_env"]
    if "ini_task" in present:
        sections[TASK] = f"{prop} = {values['ini_task']}"
    if "ini_default" in present:
        sections["DEFAULT"] = f"{prop} = {values['ini_default']}"
    if "argument" in present:
        arguments[prop] = values["argument"]
    ini = "".join(f"[{name}]\n{body}\n\n" for name, body in sections.items()) or None
    return environ, arguments, ini


def expected_source(level: str | None, prop: str, ini_path: Path) -> str:
    return {
        "task_env": f"env conductor_worker_{TASK}_{prop}",
        "global_env": f"env conductor_worker_{prop}",
        "ini_task": f"worker.ini [{TASK}] ({ini_path})",
        "ini_default": f"worker.ini [DEFAULT] ({ini_path})",
        "argument": "argument",
        None: "default",
    }[level]


ALL_COMBINATIONS = [
    combo for n in range(len(LEVELS) + 1) for combo in itertools.combinations(LEVELS, n)
]


@pytest.mark.parametrize("prop", ["domain", "polling_interval"])
@pytest.mark.parametrize("present", ALL_COMBINATIONS, ids=lambda c: "+".join(c) or "none")
def test_highest_present_level_wins(tmp_path: Path, prop: str, present: tuple[str, ...]) -> None:
    environ, arguments, ini = setup_levels(prop, present)
    settings = resolve(tmp_path, environ, arguments, ini)

    winner = next((level for level in LEVELS if level in present), None)
    expected = DEFAULTS[prop] if winner is None else VALUES[prop][winner]
    if prop == "polling_interval" and winner is not None:
        expected = float(expected)
    actual = settings.domain if prop == "domain" else settings.polling_interval_ms
    assert actual == expected
    assert settings.sources[prop] == expected_source(winner, prop, tmp_path / "worker.ini")


@pytest.mark.parametrize(
    ("variable", "level"),
    [
        ("CONDUCTOR_WORKER_GREET_DOMAIN", "task"),
        ("CONDUCTOR_WORKER_DOMAIN", "global"),
    ],
)
def test_upper_case_variables_are_read(tmp_path: Path, variable: str, level: str) -> None:
    settings = resolve(tmp_path, {variable: "upper"}, {"domain": "arg"})
    assert settings.domain == "upper"
    assert settings.sources["domain"] == f"env {variable}"


def test_lower_case_variable_wins_over_upper_case(tmp_path: Path) -> None:
    environ = {
        "conductor_worker_greet_polling_interval": "10",
        "CONDUCTOR_WORKER_GREET_POLLING_INTERVAL": "20",
    }
    assert resolve(tmp_path, environ).polling_interval_ms == 10.0


def test_task_specific_upper_case_beats_global_lower_case(tmp_path: Path) -> None:
    environ = {"CONDUCTOR_WORKER_GREET_DOMAIN": "specific", "conductor_worker_domain": "global"}
    assert resolve(tmp_path, environ).domain == "specific"


@pytest.mark.parametrize(
    ("task", "variable"),
    [
        ("send-email.v2", "conductor_worker_send_email_v2_domain"),
        ("send-email.v2", "CONDUCTOR_WORKER_SEND_EMAIL_V2_DOMAIN"),
        ("a b:c/d", "conductor_worker_a_b_c_d_domain"),
        ("MixedCase_1", "conductor_worker_MixedCase_1_domain"),
        ("MixedCase_1", "CONDUCTOR_WORKER_MIXEDCASE_1_DOMAIN"),
    ],
)
def test_task_name_characters_outside_identifiers_read_as_underscore(
    tmp_path: Path, task: str, variable: str
) -> None:
    settings = resolve(tmp_path, {variable: "mapped"}, task=task)
    assert settings.domain == "mapped"


def test_ini_section_uses_the_exact_task_name(tmp_path: Path) -> None:
    settings = resolve(tmp_path, ini_text="[send-email.v2]\ndomain = exact\n", task="send-email.v2")
    assert settings.domain == "exact"


def test_default_section_and_task_section_are_credited_separately(tmp_path: Path) -> None:
    ini = "[DEFAULT]\ndomain = nice\npolling_interval = 2000\n\n[greet]\npolling_interval = 500\n"
    settings = resolve(tmp_path, ini_text=ini)
    path = tmp_path / "worker.ini"
    assert (settings.domain, settings.polling_interval_ms) == ("nice", 500.0)
    assert settings.sources["domain"] == f"worker.ini [DEFAULT] ({path})"
    assert settings.sources["polling_interval"] == f"worker.ini [greet] ({path})"


def test_default_section_applies_to_tasks_without_a_section(tmp_path: Path) -> None:
    settings = resolve(tmp_path, ini_text="[DEFAULT]\ndomain = nice\n\n[other]\ndomain = x\n")
    assert settings.domain == "nice"


def test_guide_example_file(tmp_path: Path) -> None:
    write_ini(
        tmp_path,
        "[DEFAULT]\ndomain = nice\npolling_interval = 2000\n\n"
        "[python_annotated_task_1]\ndomain = cool\npolling_interval = 500\n\n"
        "[python_annotated_task_2]\ndomain = hot\npolling_interval = 300\n",
    )
    tasks = [f"python_annotated_task_{n}" for n in (1, 2, 3)]
    found = {}
    for task in tasks:
        settings = resolve_worker_settings(task, environ={}, search_dirs=[tmp_path])
        found[task] = (settings.domain, settings.polling_interval_ms)
    assert found == {
        "python_annotated_task_1": ("cool", 500.0),
        "python_annotated_task_2": ("hot", 300.0),
        "python_annotated_task_3": ("nice", 2000.0),
    }


def test_empty_domain_means_no_domain_and_overrides_lower_levels(tmp_path: Path) -> None:
    ini = "[DEFAULT]\ndomain = nice\n\n[greet]\ndomain =\n"
    settings = resolve(tmp_path, ini_text=ini, arguments={"domain": "arg"})
    assert settings.domain is None
    assert settings.sources["domain"].startswith("worker.ini [greet]")

    settings = resolve(tmp_path, {"conductor_worker_greet_domain": ""})
    assert settings.domain is None
    assert settings.sources["domain"] == "env conductor_worker_greet_domain"


def test_all_properties_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "conductor_worker_greet_thread_count": "4",
        "conductor_worker_worker_id": " host-7 ",
        "CONDUCTOR_WORKER_GREET_PAUSED": "yes",
        "conductor_worker_polling_interval": "250.5",
    }
    arguments = {"thread_count": 2, "worker_id": "arg-id", "paused": False}
    settings = resolve(tmp_path, environ, arguments)
    assert (
        settings.thread_count,
        settings.worker_id,
        settings.paused,
        settings.polling_interval_ms,
    ) == (4, "host-7", True, 250.5)


def test_built_in_defaults(tmp_path: Path) -> None:
    settings = resolve(tmp_path)
    assert settings == WorkerSettings(
        task_name=TASK,
        domain=None,
        polling_interval_ms=100.0,
        thread_count=1,
        worker_id=socket.gethostname(),
        paused=False,
        sources=settings.sources,
    )
    assert set(settings.sources.values()) == {"default"}


def test_arguments_given_as_none_are_not_given(tmp_path: Path) -> None:
    arguments = {"domain": None, "polling_interval": None, "thread_count": None}
    settings = resolve(tmp_path, arguments=arguments)
    assert settings.polling_interval_ms == 100.0 and settings.sources["domain"] == "default"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("Yes", True),
        ("ON", True),
        ("1", True),
        ("false", False),
        ("no", False),
        ("Off", False),
        ("0", False),
    ],
)
def test_paused_words(tmp_path: Path, text: str, expected: bool) -> None:
    assert resolve(tmp_path, {"conductor_worker_paused": text}).paused is expected


def test_settings_survive_pickling_for_spawned_worker_processes(tmp_path: Path) -> None:
    settings = resolve(tmp_path, {"conductor_worker_greet_domain": "d"}, {"thread_count": 3})
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.describe() == settings.describe()


# -- bad values ---------------------------------------------------------------------------------


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(WorkerConfigError) as raised:
        resolve(tmp_path, {"conductor_worker_greet_polling_interval": "fast"})
    assert str(raised.value) == (
        "conductor_worker_greet_polling_interval='fast' is not a positive number of milliseconds"
    )


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("conductor_worker_polling_interval", "0", "positive number of milliseconds"),
        ("CONDUCTOR_WORKER_POLLING_INTERVAL", "-5", "positive number of milliseconds"),
        ("conductor_worker_greet_polling_interval", "nan", "positive number of milliseconds"),
        ("conductor_worker_greet_polling_interval", "inf", "positive number of milliseconds"),
        ("conductor_worker_greet_polling_interval", "", "positive number of milliseconds"),
        ("conductor_worker_greet_thread_count", "two", "whole number of threads"),
        ("conductor_worker_greet_thread_count", "0", "whole number of threads"),
        ("conductor_worker_greet_thread_count", "1.5", "whole number of threads"),
        ("conductor_worker_greet_worker_id", "  ", "non-empty"),
        ("conductor_worker_greet_paused", "maybe", "yes/no"),
    ],
)
def test_bad_environment_values_are_rejected(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    with pytest.raises(WorkerConfigError, match=problem) as raised:
        resolve(tmp_path, {variable: value})
    assert str(raised.value).startswith(f"{variable}={value!r} ")


@pytest.mark.parametrize("section", ["greet", "DEFAULT"])
def test_bad_ini_value_names_file_and_section(tmp_path: Path, section: str) -> None:
    with pytest.raises(WorkerConfigError) as raised:
        resolve(tmp_path, ini_text=f"[{section}]\npolling_interval = 0\n")
    path = tmp_path / "worker.ini"
    assert str(raised.value) == (
        f"worker.ini [{section}] polling_interval = 0 (in {path}) "
        "is not a positive number of milliseconds"
    )


def test_bad_value_is_rejected_even_when_a_higher_level_is_set_for_it(tmp_path: Path) -> None:
    # A typo must not lurk in worker.ini until the variable that hides it is removed.
    ini = "[greet]\nthread_count = many\n"
    with pytest.raises(WorkerConfigError, match=r"\[greet\] thread_count = many"):
        resolve(tmp_path, {"conductor_worker_greet_thread_count": "2"}, ini_text=ini)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"polling_interval": 0}, "argument poll_interval=0 of worker 'greet' is not a positive"),
        ({"polling_interval": True}, "argument poll_interval=True of worker 'greet'"),
        ({"thread_count": 0}, "argument thread_count=0 of worker 'greet' is not a whole number"),
        ({"thread_count": 2.5}, "argument thread_count=2.5 of worker 'greet'"),
        ({"worker_id": ""}, "argument worker_id='' of worker 'greet'"),
        ({"domain": 5}, "argument domain=5 of worker 'greet'"),
        ({"paused": "perhaps"}, "argument paused='perhaps' of worker 'greet'"),
        ({"poll_interval": 5}, "unknown setting 'poll_interval' for worker 'greet'"),
    ],
)
def test_bad_arguments_are_rejected_naming_the_argument(
    tmp_path: Path, arguments: dict, message: str
) -> None:
    with pytest.raises(WorkerConfigError) as raised:
        resolve(tmp_path, arguments=arguments)
    assert str(raised.value).startswith(message)


def test_bad_argument_is_rejected_even_when_the_environment_overrides_it(tmp_path: Path) -> None:
    with pytest.raises(WorkerConfigError, match="argument poll_interval"):
        resolve(tmp_path, {"conductor_worker_polling_interval": "5"}, {"polling_interval": -1})


def test_unreadable_ini_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(WorkerConfigError, match=str(tmp_path / "worker.ini")) as raised:
        resolve(tmp_path, ini_text="domain = no section header\n")
    assert str(raised.value).endswith(
        "line 1 ('domain = no section header') is outside a section; settings go under "
        "[DEFAULT] (every worker) or [<task name>]"
    )


def test_unknown_ini_setting_is_reported_with_a_hint(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        resolve(tmp_path, ini_text="[greet]\npolling_intervall = 5\n")
    assert "unknown setting 'polling_intervall'" in caplog.text
    assert "did you mean polling_interval?" in caplog.text


def test_an_unknown_default_setting_is_reported_once_for_all_workers(
    tmp_path: Path, caplog
) -> None:
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        for task in ("greet", "add", "ship"):
            resolve(tmp_path, ini_text="[DEFAULT]\ntread_count = 5\n", task=task)
    assert caplog.text.count("unknown setting 'tread_count'") == 1


def test_ini_values_are_not_interpolated(tmp_path: Path) -> None:
    assert resolve(tmp_path, ini_text="[greet]\nworker_id = host%(x)s\n").worker_id == "host%(x)s"


# -- where worker.ini is found --------------------------------------------------------------


@pytest.fixture
def script_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    script_dir, cwd = tmp_path / "app", tmp_path / "cwd"
    script_dir.mkdir()
    cwd.mkdir()
    main = types.ModuleType("__main__")
    main.__file__ = str(script_dir / "main.py")
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.chdir(cwd)
    return script_dir, cwd


def test_ini_beside_the_main_script_wins_over_the_working_directory(script_and_cwd) -> None:
    script_dir, cwd = script_and_cwd
    write_ini(script_dir, "[greet]\ndomain = beside-script\n")
    write_ini(cwd, "[greet]\ndomain = in-cwd\nthread_count = 9\n")
    settings = resolve_worker_settings(TASK, environ={})
    assert settings.domain == "beside-script"
    assert settings.thread_count == 1, "only the first file found is read"


def test_ini_in_the_working_directory_is_used_when_none_beside_the_script(script_and_cwd) -> None:
    _, cwd = script_and_cwd
    write_ini(cwd, "[greet]\ndomain = in-cwd\n")
    assert resolve_worker_settings(TASK, environ={}).domain == "in-cwd"


def test_without_any_ini_defaults_apply(script_and_cwd) -> None:
    assert resolve_worker_settings(TASK, environ={}).sources["domain"] == "default"


def test_explicit_ini_path_is_used_instead_of_the_search(script_and_cwd, tmp_path: Path) -> None:
    script_dir, _ = script_and_cwd
    write_ini(script_dir, "[greet]\ndomain = beside-script\n")
    explicit = tmp_path / "elsewhere.ini"
    explicit.write_text("[greet]\ndomain = explicit\n", encoding="utf-8")
    settings = resolve_worker_settings(TASK, environ={}, ini_path=explicit)
    assert settings.domain == "explicit"
    assert settings.sources["domain"] == f"elsewhere.ini [greet] ({explicit})"


def test_missing_explicit_ini_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    with pytest.raises(WorkerConfigError, match=f"{missing} does not exist"):
        resolve_worker_settings(TASK, environ={}, ini_path=missing)


# -- the log line ---------------------------------------------------------------------------


def test_describe_lists_every_value_with_its_source(tmp_path: Path) -> None:
    ini = "[greet]\npolling_interval = 500\n"
    settings = resolve(
        tmp_path,
        {"conductor_worker_greet_domain": "cool"},
        {"worker_id": "w-1"},
        ini_text=ini,
    )
    path = tmp_path / "worker.ini"
    assert settings.describe() == (
        "worker greet: domain=cool (env conductor_worker_greet_domain), "
        f"polling_interval=500ms (worker.ini [greet] ({path})), "
        "thread_count=1 (default), worker_id=w-1 (argument), paused=False (default), "
        "poll_timeout=1000ms (default), register_task_def=False (default), "
        "overwrite_task_def=True (default), strict_schema=False (default), "
        "register_schema=False (default), lease_extend_enabled=False (default)"
    )


def test_describe_shows_fractional_intervals_and_no_domain(tmp_path: Path) -> None:
    line = resolve(tmp_path, arguments={"polling_interval": 250.5}).describe()
    assert "domain=None (default)" in line and "polling_interval=250.5ms (argument)" in line


# -- every form of variable, in the whole precedence matrix ---------------------------------

# The task's own variable, in each form (conductor-python 2.0.0's and the guide's), then the
# variable for every worker in each form. {task} is the task name, {prop} the property name.
TASK_FORMS = (
    "conductor.worker.{task}.{prop}",
    "conductor_worker_{task}_{prop}",
    "CONDUCTOR_WORKER_{TASK}_{PROP}",
    "CONDUCTOR_WORKER_{task}_{PROP}",
)
GLOBAL_FORMS = (
    "conductor.worker.all.{prop}",
    "CONDUCTOR_WORKER_ALL_{PROP}",
    "conductor_worker_{prop}",
    "CONDUCTOR_WORKER_{PROP}",
)
MIXED_CASE_TASK = "sendMail"  # own case and upper case differ


def variable(form: str, prop: str) -> str:
    return form.format(
        task=MIXED_CASE_TASK, TASK=MIXED_CASE_TASK.upper(), prop=prop, PROP=prop.upper()
    )


@pytest.mark.parametrize("prop_name", ["domain", "polling_interval", "poll_interval"])
@pytest.mark.parametrize("global_form", GLOBAL_FORMS)
@pytest.mark.parametrize("task_form", TASK_FORMS)
def test_every_form_takes_its_level_in_the_whole_matrix(
    tmp_path: Path, task_form: str, global_form: str, prop_name: str
) -> None:
    prop = "domain" if prop_name == "domain" else "polling_interval"
    values = VALUES[prop]
    ini_key = prop_name  # worker.ini takes the 2.0.0 name too
    for present in ALL_COMBINATIONS:
        environ: dict[str, str] = {}
        sections: dict[str, str] = {}
        arguments: dict[str, object] = {}
        if "task_env" in present:
            environ[variable(task_form, prop_name)] = values["task_env"]
        if "global_env" in present:
            environ[variable(global_form, prop_name)] = values["global_env"]
        if "ini_task" in present:
            sections[MIXED_CASE_TASK] = f"{ini_key} = {values['ini_task']}"
        if "ini_default" in present:
            sections["DEFAULT"] = f"{ini_key} = {values['ini_default']}"
        if "argument" in present:
            arguments[prop] = values["argument"]
        ini = "".join(f"[{name}]\n{body}\n\n" for name, body in sections.items())
        (tmp_path / "worker.ini").write_text(ini, encoding="utf-8")
        settings = resolve_worker_settings(
            MIXED_CASE_TASK, arguments, environ=environ, search_dirs=[tmp_path]
        )
        winner = next((level for level in LEVELS if level in present), None)
        expected = DEFAULTS[prop] if winner is None else VALUES[prop][winner]
        if prop == "polling_interval" and winner is not None:
            expected = float(expected)
        actual = settings.domain if prop == "domain" else settings.polling_interval_ms
        assert actual == expected, f"levels {present}: {settings.sources[prop]}"
        if winner in ("task_env", "global_env"):
            assert settings.sources[prop] == "env " + next(iter(environ_for(winner, environ)))


def environ_for(level: str, environ: dict[str, str]) -> list[str]:
    forms = TASK_FORMS if level == "task_env" else GLOBAL_FORMS
    names = {variable(form, p) for form in forms for p in ("domain", "polling_interval")}
    names |= {variable(form, "poll_interval") for form in forms}
    return [name for name in environ if name in names]


def test_within_a_level_the_first_form_found_wins(tmp_path: Path) -> None:
    task_level = [variable(form, "domain") for form in TASK_FORMS]
    for n, winner in enumerate(task_level):
        environ = {name: f"d{i}" for i, name in enumerate(task_level) if i >= n}
        environ["conductor.worker.all.domain"] = "global"
        settings = resolve(tmp_path, environ, task=MIXED_CASE_TASK)
        assert (settings.domain, settings.sources["domain"]) == (f"d{n}", f"env {winner}")
    global_level = [variable(form, "domain") for form in GLOBAL_FORMS]
    for n, winner in enumerate(global_level):
        environ = {name: f"g{i}" for i, name in enumerate(global_level) if i >= n}
        assert resolve(tmp_path, environ).sources["domain"] == f"env {winner}"


def test_the_dotted_form_takes_the_task_name_exactly(tmp_path: Path) -> None:
    environ = {"conductor.worker.send-email.v2.thread_count": "3"}
    assert resolve(tmp_path, environ, task="send-email.v2").thread_count == 3
    assert resolve(tmp_path, environ, task="send_email_v2").thread_count == 1


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("conductor.worker.greet.poll_timeout", "250", 250),
        ("CONDUCTOR_WORKER_ALL_REGISTER_TASK_DEF", "true", True),
        ("conductor.worker.all.overwrite_task_def", "false", False),
        ("conductor_worker_greet_strict_schema", "yes", True),
        ("conductor.worker.greet.register_schema", "1", True),
        ("CONDUCTOR_WORKER_GREET_LEASE_EXTEND_ENABLED", "on", True),
        ("conductor.worker.all.paused", "TRUE", True),
    ],
)
def test_conductor_pythons_properties_come_from_the_environment_too(
    tmp_path: Path, name: str, value: str, expected: object
) -> None:
    prop = name.lower().split(".")[-1]
    for prefix in ("conductor_worker_greet_", "conductor_worker_all_"):
        prop = prop.removeprefix(prefix)
    settings = resolve(tmp_path, {name: value})
    assert settings.value(prop) == expected
    assert settings.sources[prop] == f"env {name}"


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        # conductor-python warns and ignores a bad number: here the worker does not start
        ("conductor.worker.greet.thread_count", "many", "whole number of threads"),
        ("CONDUCTOR_WORKER_ALL_POLL_INTERVAL", "fast", "positive number of milliseconds"),
        ("conductor.worker.greet.poll_timeout", "9000", "from 0 to 5000"),
        # ... and reads any text other than true as False: here it is an error
        ("conductor.worker.all.register_task_def", "ja", "yes/no value"),
    ],
)
def test_bad_values_in_any_form_stop_the_worker_naming_the_variable(
    tmp_path: Path, name: str, value: str, problem: str
) -> None:
    with pytest.raises(WorkerConfigError, match=problem) as raised:
        resolve(tmp_path, {name: value})
    assert str(raised.value).startswith(f"{name}={value!r} ")
