"""What ``size`` accepts as the worker and as sample inputs, and what it says otherwise."""

from __future__ import annotations

import itertools
import json
import textwrap

import pytest

from conductor.client.worker.worker_task import isolated_worker_registry
from harness.size.loading import LoadError, load_inputs, load_workers

MODULE = """
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_task import worker_task, WorkerTask


def plain(sku: str) -> dict:
    return {"sku": sku}


@worker_task(task_definition_name="priced")
def priced(sku: str) -> dict:
    return {"price": 1}


@WorkerTask("counted")
def counted(sku: str) -> dict:
    return {"count": 1}


as_object = Worker("as_object", plain)
NUMBER = 3


def generate():
    return ({"n": n} for n in range(3))
"""


@pytest.fixture
def module(tmp_path, monkeypatch):
    name = f"sizing_mod_{abs(hash(str(tmp_path)))}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    with isolated_worker_registry():
        yield name


def test_every_kind_of_worker_is_found_by_its_import_path(module):
    (plain,) = load_workers(f"{module}:plain")
    assert plain.task_name == "plain" and plain.function(sku="x") == {"sku": "x"}
    (decorated,) = load_workers(f"{module}:priced")
    assert decorated.task_name == "priced"  # the decorator's task name, not the function's
    (as_object,) = load_workers(f"{module}:as_object")
    assert as_object.task_name == "as_object" and as_object.function.__name__ == "plain"
    assert sorted(w.task_name for w in load_workers(module)) == ["counted", "priced"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module_here:f", "cannot import no_such_module_here"),
        ("{module}:missing", "has no attribute 'missing'"),
        ("{module}:NUMBER", "is a int"),
        (":f", "give MODULE:NAME"),
    ],
)
def test_a_worker_that_cannot_be_loaded_is_named_with_why(module, spec, says):
    with pytest.raises(LoadError, match=says):
        load_workers(spec.format(module=module))


def test_a_module_without_decorated_workers_says_so(tmp_path, monkeypatch):
    (tmp_path / "bare_sizing_module.py").write_text("def f():\n    return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LoadError, match="no function decorated"):
        load_workers("bare_sizing_module")


def test_a_json_list_is_used_round_robin(tmp_path):
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps([{"n": 1}, {"n": 2}]))
    take = load_inputs(str(path))
    assert take(3) == [{"n": 1}, {"n": 2}, {"n": 1}]
    assert take(2) == [{"n": 2}, {"n": 1}]


def test_a_generator_function_is_called_again_when_it_runs_out(module):
    take = load_inputs(f"{module}:generate")
    assert [i["n"] for i in itertools.chain(take(2), take(2))] == [0, 1, 2, 0]


@pytest.mark.parametrize(
    ("content", "says"),
    [("{", "not JSON"), ("[]", "non-empty JSON list"), ("[1]", "is a int, not an object")],
)
def test_unusable_inputs_are_named_with_why(tmp_path, content, says):
    path = tmp_path / "inputs.json"
    path.write_text(content)
    with pytest.raises(LoadError, match=says):
        load_inputs(str(path))(1)
    with pytest.raises(LoadError, match="cannot read it"):
        load_inputs(str(tmp_path / "missing.json"))
