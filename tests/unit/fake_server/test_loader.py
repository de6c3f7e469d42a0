"""Loading definitions from a directory (the CLI's --definitions)."""

import json

import pytest

from fake_server.engine import Engine
from fake_server.loader import DefinitionsError, load_definitions

WORKFLOW = {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]}


def write(directory, name, content):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_loads_task_defs_lists_and_workflows_by_shape(tmp_path):
    write(tmp_path, "a.json", {"name": "a", "retryCount": 1})
    write(tmp_path, "more/list.json", [{"name": "b"}, {**WORKFLOW, "name": "wf2"}])
    write(tmp_path, "wf.json", WORKFLOW)
    write(tmp_path, "notes.txt", "not json, not loaded")
    engine = Engine()
    loaded = load_definitions(engine, tmp_path)
    assert (loaded.task_defs, loaded.workflow_defs) == (2, 2)
    assert engine.get_task_def("a")["retryCount"] == 1
    assert engine.get_task_def("b")["name"] == "b"
    assert engine.get_workflow_def("wf")["tasks"][0]["name"] == "a"
    assert engine.get_workflow_def("wf2")["name"] == "wf2"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{oops", "not valid JSON"),
        ("42", "must be a task or workflow definition"),
        ([{"name": "a"}, "b"], "item [1] must be a task or workflow definition"),
        ({"retryCount": 1}, "name: is required"),
        ({"name": "a", "retryLogic": "SOMETIMES"}, "retryLogic: must be one of FIXED"),
        ([{"name": "a"}, {"name": "wf", "tasks": []}], "bad.json: [1].tasks: must hold at least"),
    ],
)
def test_a_bad_file_is_named(tmp_path, content, words):
    write(tmp_path, "good.json", {"name": "fine"})
    bad = write(tmp_path, "bad.json", content)
    with pytest.raises(DefinitionsError) as raised:
        load_definitions(Engine(), tmp_path)
    assert str(raised.value).startswith(f"{bad}: ")
    assert words in str(raised.value)


def test_a_missing_directory(tmp_path):
    with pytest.raises(DefinitionsError, match="nope: no such directory"):
        load_definitions(Engine(), tmp_path / "nope")
