"""What a definition's ``${...}`` expressions may name, checked when it is registered or
validated, as Conductor's TaskReferenceNameUniqueConstraint does with
ConstraintParamUtil.validateInputParam."""

import pytest

from fake_server.engine.errors import VALIDATION_FAILED, BadRequestError


def definition(*tasks):
    return {"name": "wf", "tasks": list(tasks)}


def task(ref, **inputs):
    return {"name": ref.removesuffix("_ref"), "taskReferenceName": ref, "inputParameters": inputs}


def refusal(engine, body):
    with pytest.raises(BadRequestError) as caught:
        engine.register_workflow_def(body)
    assert caught.value.conductor_message == VALIDATION_FAILED
    return [error.message for error in caught.value.errors]


def test_a_reference_name_the_definition_lacks_is_refused(engine):
    """Mirrors ConstraintParamUtil.validateInputParam: ``fetch`` is not a reference name (the
    task is ``fetch_ref``), so the definition is refused with Conductor's words."""
    body = definition(task("fetch_ref"), task("use_ref", rows="${fetch.output.rows}"))
    assert refusal(engine, body) == [
        "taskReferenceName: fetch for given task: use input value: rows of input parameter: "
        "${fetch.output.rows} is not defined in workflow definition."
    ]
    with pytest.raises(Exception, match="No such workflow"):
        engine.get_workflow_def("wf")


def test_an_unknown_variable_is_refused_and_known_ones_pass(engine, monkeypatch):
    """Mirrors ConstraintParamUtil: ``${NAME}`` is a system parameter, a variable of the
    server's environment, or read as a task reference name (and then unknown)."""
    monkeypatch.setenv("FS_TEST_REGION", "eu")
    monkeypatch.delenv("FS_TEST_MISSING", raising=False)
    assert refusal(engine, definition(task("a", x="${FS_TEST_MISSING}"))) == [
        "taskReferenceName: FS_TEST_MISSING for given task: a input value: x of input "
        "parameter: ${FS_TEST_MISSING} is not defined in workflow definition."
    ]
    engine.register_workflow_def(
        definition(task("a", region="${FS_TEST_REGION}", me="${CPEWF_TASK_ID}"))
    )


def test_every_string_of_the_input_is_checked_and_every_mistake_listed(engine):
    """Mirrors ConstraintParamUtil: strings in nested objects and lists, several expressions in
    one string; a string in a list goes by the list's key."""
    body = definition(
        task("a_ref", ok="${workflow.input.x} and ${a_ref.output.y}"),
        task("b_ref", deep={"inner": "${nope.output}"}, items=["x", "${gone}"]),
    )
    messages = refusal(engine, body)
    assert [m.split(" for given task")[0] for m in messages] == [
        "taskReferenceName: nope",
        "taskReferenceName: gone",
    ]
    assert "input value: inner of input parameter: ${nope.output}" in messages[0]
    assert "input value: items of input parameter: ${gone}" in messages[1]


def test_references_to_nested_tasks_pass_and_nested_inputs_are_not_checked(engine):
    """Mirrors TaskReferenceNameUniqueConstraint: only the top-level tasks' inputs are checked,
    against every reference name of the definition, nested ones included."""
    body = definition(
        {
            "name": "loop",
            "taskReferenceName": "loop",
            "type": "DO_WHILE",
            "loopCondition": "false",
            "loopOver": [task("inner", x="${not_checked_here.output}")],
        },
        task("after", y="${inner.output.z}"),
    )
    engine.register_workflow_def(body)


def test_a_literal_dollar_brace_is_not_an_expression(engine):
    """Mirrors ConstraintParamUtil's split: ``$${x}`` is text, not a reference."""
    engine.register_workflow_def(definition(task("a", text="cost: $${price}")))


def test_validate_checks_without_storing(engine):
    """Mirrors MetadataResource.validate: the constraints of registration, nothing stored."""
    with pytest.raises(BadRequestError):
        engine.validate_workflow_def(definition(task("a", x="${b.output}")))
    engine.validate_workflow_def(definition(task("a", x="${workflow.input.x}")))
    assert engine.list_workflow_defs() == []


def test_validate_route(client):
    """``POST /api/metadata/workflow/validate``: 200 and no body, or Conductor's 400."""
    good = definition(task("a", x="${workflow.input.x}"))
    response = client.post("/api/metadata/workflow/validate", json=good)
    assert response.status_code == 200
    assert response.get_data() == b""
    bad = definition(task("a", x="${fetch.output.rows}"))
    response = client.post("/api/metadata/workflow/validate", json=bad)
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"] == VALIDATION_FAILED
    assert "taskReferenceName: fetch" in body["validationErrors"][0]["message"]
    assert client.get("/api/metadata/workflow").get_json() == []
