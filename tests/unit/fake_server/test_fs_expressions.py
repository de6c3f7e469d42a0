import pytest

from fake_server.engine.expressions import evaluate

CONTEXT = {
    "workflow": {
        "input": {
            "name": "Ada",
            "n": 3,
            "items": [{"id": "a"}, {"id": "b"}],
            "flag": True,
            "nested": {"k": [1, 2]},
        },
        "workflowId": "wf-1",
        "correlationId": "corr-9",
    },
    "first": {"output": {"sum": 5, "list": [10, 20]}, "input": {"z": "zed"}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${workflow.input.name}", "Ada"),
        ("${workflow.input.n}", 3),  # a whole-string expression keeps the type
        ("${workflow.input.flag}", True),
        ("${workflow.input.nested}", {"k": [1, 2]}),
        ("${workflow.workflowId}", "wf-1"),
        ("${workflow.correlationId}", "corr-9"),
        ("${first.output.sum}", 5),
        ("${first.input.z}", "zed"),
        ("${workflow.input.items[1].id}", "b"),  # list index
        ("${first.output.list[0]}", 10),
        ("${first.output.list.1}", 20),
        ("${workflow.input.missing}", None),
        ("${nobody.output.x}", None),
        ("${workflow.input.items[7].id}", None),
        ("Hello ${workflow.input.name}!", "Hello Ada!"),
        ("n=${workflow.input.n}", "n=3"),  # inside text, a value becomes text
        ("${workflow.input.n}${workflow.input.n}", "33"),
        ("list=${first.output.list}", "list=[10, 20]"),
        ("flag=${workflow.input.flag}", "flag=true"),
        ("x=${workflow.input.missing}", "x=null"),
        ("$${workflow.input.name}", "${workflow.input.name}"),  # $${ is a literal ${
        ("${workflow.input.name} costs $${price}", "Ada costs ${price}"),
        ("a${}b", "ab"),
        ("plain text", "plain text"),
        (42, 42),
        (None, None),
    ],
)
def test_expression(template, expected):
    assert evaluate(template, CONTEXT) == expected


def test_objects_and_lists_are_walked():
    template = {
        "who": "${workflow.input.name}",
        "all": ["${first.output.sum}", {"n": "${workflow.input.n}"}],
    }
    assert evaluate(template, CONTEXT) == {"who": "Ada", "all": [5, {"n": 3}]}


def test_a_whole_value_is_a_copy():
    value = evaluate("${workflow.input.nested}", CONTEXT)
    value["k"].append(3)
    assert CONTEXT["workflow"]["input"]["nested"] == {"k": [1, 2]}
