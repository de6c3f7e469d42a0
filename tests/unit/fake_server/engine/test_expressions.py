"""``${...}`` expressions evaluated as Conductor's ``ParametersUtils`` does, with Jayway JsonPath.

The expected values were read from Jayway JsonPath (the version Conductor's server runs) over
the same document: what a path returns, what a value looks like inside a longer string.
"""

from collections.abc import Mapping

import jsonpath
import pytest

from fake_server.engine.expressions import (
    as_text,
    evaluate,
    read_path,
    substitute_secrets,
    unsupported_expressions,
)

CONTEXT = {
    "workflow": {
        "input": {
            "name": "Ada",
            "n": 3,
            "items": [
                {"id": 1, "kind": "a", "tags": ["x"]},
                {"id": 2, "kind": "b"},
                {"id": 3, "kind": "a", "price": 2.5},
            ],
            "flag": True,
            "nil": None,
            "nested": {"m": {"a": [1, 2, 3], "b": [4, 5, 6]}},
            "pick": "a",
            "idx": 1,
            "nums": [3, -1, 2.5],
            "neg": [-3, -4],
            "big": 12345678.9,
            "small": 0.00012,
            "path": "x/y",
            "weird-key": 5,
            "2fa": "yes",
        },
        "workflowId": "wf-1",
        "correlationId": "corr-9",
        "variables": {"v": 1},
    },
    "get-user": {"output": {"id": 42, "emails": ["e1", "e2"]}},
    "first": {"output": {"sum": 5, "list": [10, 20]}, "input": {"z": "zed"}},
}

# (template, value), as Conductor gives them.
JAYWAY_CASES = [
    # definite paths keep the value's type
    ("${workflow.input.name}", "Ada"),
    ("${workflow.input.n}", 3),
    ("${workflow.input.flag}", True),
    ("${workflow.input.nested.m}", {"a": [1, 2, 3], "b": [4, 5, 6]}),
    ("${workflow.workflowId}", "wf-1"),
    ("${workflow.variables.v}", 1),
    ("${first.output.list[0]}", 10),
    ("${workflow.input.items[-1].id}", 3),
    ("${$.workflow.input.n}", 3),
    ("${$['workflow']['input']['name']}", "Ada"),
    ("${get-user.output.emails[1]}", "e2"),  # Jayway takes '-' in a name
    ("${workflow.input.weird-key}", 5),
    ("${workflow.input.2fa}", "yes"),
    # a missing definite path is null; a name on a list is missing
    ("${workflow.input.missing}", None),
    ("${nobody.output.x}", None),
    ("${workflow.input.items[7]}", None),
    ("${first.output.list.1}", None),
    # indefinite paths give lists, empty when nothing matches
    ("${workflow.input.items[*].id}", [1, 2, 3]),
    ("${workflow.input.items[?(@.kind == 'a')].id}", [1, 3]),
    ("${workflow.input.items[?(@.kind == 'a' && @.id > 1)].id}", [3]),
    ("${workflow.input.items[?(@.kind != 'a' || @.id == 1)].id}", [1, 2]),
    ("${workflow.input.items[?(@.id in [1, 2])].id}", [1, 2]),
    ("${workflow.input.items[?(@.kind =~ /A/i)].id}", [1, 3]),
    ("${workflow.input.items[?(@.price)].price}", [2.5]),
    ("${workflow.input.items[?(@.id == '1')].id}", [1]),  # Jayway: 1 equals '1'
    ("${workflow.input.items[?(@.missing == null)].id}", [1, 2, 3]),
    ("${workflow.input.items[?(@.tags.length() > 0)].id}", [1]),
    ("${workflow.input.items[?(@.id > $.first.output.sum)].id}", []),
    ("${workflow.input.items[0:2].id}", [1, 2]),
    ("${workflow.input.items..id}", [1, 2, 3]),
    ("${workflow.input.missing[*]}", []),
    # functions at the end of a path
    ("${workflow.input.items.length()}", 3),
    ("${workflow.input.nested.m.size()}", 2),
    ("${workflow.input.name.length()}", None),  # Jayway's length() counts lists and objects
    ("${workflow.input.items[*].length()}", [3, 2, 3]),  # applied to each match
    ("${workflow.input.nums.sum()}", 4.5),
    ("${workflow.input.nested.m.a.avg()}", 2.0),
    ("${workflow.input.nums.min()}", -1.0),
    ("${workflow.input.nums.max()}", 3.0),
    ("${workflow.input.neg.max()}", 5e-324),  # Jayway starts max() from Double.MIN_VALUE
    ("${first.output.list.first()} ${first.output.list.last()}", "10 20"),
    ("${workflow.input.nested.m.keys()}", ["a", "b"]),
    ("${workflow.input.missing.length()}", None),
    # nested expressions are resolved first, as text
    ("${workflow.input.nested.m.${workflow.input.pick}[${workflow.input.idx}]}", 2),
    ("${workflow.input.items[${workflow.input.idx}].kind}", "b"),
    # inside a longer string a value is printed as Java prints it
    ("Hello ${workflow.input.name}!", "Hello Ada!"),
    ("n=${workflow.input.n}", "n=3"),
    ("${workflow.input.n}${workflow.input.n}", "33"),
    ("list=${first.output.list}", "list=[10, 20]"),
    ("m=${workflow.input.nested.m}", "m={a=[1, 2, 3], b=[4, 5, 6]}"),
    ("ids=${workflow.input.items[*].id}", "ids=[1,2,3]"),  # a path's list prints as JSON
    ("i=${workflow.input.items[?(@.id == 3)]}", 'i=[{"id":3,"kind":"a","price":2.5}]'),
    ("p=${workflow.input.items[*].kind}${workflow.input.path}", 'p=["a","b","a"]x/y'),
    (
        "f=${workflow.input.flag} ${workflow.input.nil} ${workflow.input.missing}",
        "f=true null null",
    ),
    (
        "${workflow.input.big} ${workflow.input.small} ${workflow.input.nums}",
        "1.23456789E7 1.2E-4 [3, -1, 2.5]",
    ),
    ("k ${workflow.input.nested.m.keys()}", "k [a, b]"),
    # literals
    ("$${workflow.input.name}", "${workflow.input.name}"),
    ("${workflow.input.name} costs $${price}", "Ada costs ${price}"),
    ("a${}b${  }c", "abc"),
    ("${ workflow.input.n}", None),  # Jayway puts "$." before the untrimmed path
    ("plain text", "plain text"),
    (42, 42),
    (None, None),
]


@pytest.mark.parametrize(("template", "expected"), JAYWAY_CASES)
def test_expression_gives_what_jayway_gives(template, expected):
    """Mirrors ParametersUtils.replaceVariables over Jayway JsonPath."""
    assert evaluate(template, CONTEXT) == expected


class ReadOnDemand(Mapping):
    """A context that is not a dict (as a workflow's, which makes its entries when read),
    counting the entries read."""

    def __init__(self, entries):
        self.entries = entries
        self.reads = []

    def __getitem__(self, name):
        self.reads.append(name)
        return self.entries[name]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)


@pytest.mark.parametrize(("template", "expected"), JAYWAY_CASES)
def test_a_context_that_is_any_mapping_gives_the_same(template, expected):
    assert evaluate(template, ReadOnDemand(CONTEXT)) == expected


def test_a_path_into_one_entry_reads_only_that_entry():
    context = ReadOnDemand(CONTEXT)
    assert evaluate("${first.output.sum} ${workflow.input.name}", context) == "5 Ada"
    assert sorted(set(context.reads)) == ["first", "workflow"]


def test_the_whole_context_as_a_value_is_a_plain_object():
    context = ReadOnDemand(CONTEXT)
    assert evaluate("${$}", context) == CONTEXT
    assert type(evaluate("${$}", context)) is dict
    assert evaluate("${$.keys()}", context) == ["workflow", "get-user", "first"]
    assert evaluate("${$.length()}", context) == 3
    assert evaluate("${$.*.output.sum}", context) == [5]
    assert evaluate("${$..sum}", context) == [5]
    assert evaluate("n=${$.first}", context) == "n={output={sum=5, list=[10, 20]}, input={z=zed}}"


def test_the_task_id_variable_is_the_scheduled_tasks_id():
    """Mirrors ParametersUtils with EnvUtils.SystemParameters: CPEWF_TASK_ID is the task's id;
    without one (a workflow's output) the expression stays as written."""
    assert evaluate({"me": "${CPEWF_TASK_ID}", "s": "id:${CPEWF_TASK_ID}"}, CONTEXT, "t-7") == {
        "me": "t-7",
        "s": "id:t-7",
    }
    assert evaluate("${CPEWF_TASK_ID}", CONTEXT) == "${CPEWF_TASK_ID}"


def test_server_environment_variables_and_workflow_env(monkeypatch):
    """Mirrors ParametersUtils: a name of an environment variable gives its value;
    ${workflow.env.X} reads CONDUCTOR_ENV_X (a JSON value can be read with a path)."""
    monkeypatch.setenv("FAKE_SERVER_TEST_VAR", "on")
    monkeypatch.setenv("CONDUCTOR_ENV_REGION", "eu")
    monkeypatch.setenv("CONDUCTOR_ENV_LIMITS", '{"max": 5}')
    template = ["${FAKE_SERVER_TEST_VAR}", "${workflow.env.REGION}", "${workflow.env.LIMITS.max}"]
    assert evaluate(template, CONTEXT) == ["on", "eu", 5]
    assert evaluate("${workflow.env.NOT_SET}", CONTEXT) is None


def test_secrets_stay_until_a_worker_gets_the_task(monkeypatch):
    """Mirrors ParametersUtils.substituteSecrets (done at hand-off by ExecutionService.poll)."""
    monkeypatch.setenv("CONDUCTOR_SECRET_API_KEY", "s3cr3t")
    scheduled = evaluate(
        {"key": "${workflow.secrets.API_KEY}", "h": "Bearer ${workflow.secrets.API_KEY}"}, CONTEXT
    )
    assert scheduled == {
        "key": "${workflow.secrets.API_KEY}",
        "h": "Bearer ${workflow.secrets.API_KEY}",
    }
    assert substitute_secrets(scheduled) == {"key": "s3cr3t", "h": "Bearer s3cr3t"}
    assert substitute_secrets({"k": "${workflow.secrets.NOPE}"}) == {"k": None}


def test_a_nested_secret_is_filled_in_a_copy_and_the_stored_input_keeps_it(monkeypatch):
    monkeypatch.setenv("CONDUCTOR_SECRET_API_KEY", "s3cr3t")
    stored = {"a": 1, "calls": [{"url": "x"}, {"auth": "${workflow.secrets.API_KEY}"}], "z": 2}
    handed_out = substitute_secrets(stored)
    assert handed_out == {"a": 1, "calls": [{"url": "x"}, {"auth": "s3cr3t"}], "z": 2}
    assert list(handed_out) == ["a", "calls", "z"]
    assert stored["calls"][1] == {"auth": "${workflow.secrets.API_KEY}"}
    assert handed_out["calls"][0] is stored["calls"][0]  # what holds no secret is not copied
    plain = {"n": [1, {"s": "text"}]}
    assert substitute_secrets(plain) is plain


def test_objects_and_lists_are_walked():
    """Mirrors ParametersUtils.replace: maps and lists are walked and every ${...} in them
    evaluated."""
    template = {
        "who": "${workflow.input.name}",
        "all": ["${first.output.sum}", {"n": "${workflow.input.n}"}],
    }
    assert evaluate(template, CONTEXT) == {"who": "Ada", "all": [5, {"n": 3}]}


def test_a_whole_value_is_a_copy():
    """Mirrors ParametersUtils: a value taken whole is a copy, not the source itself."""
    value = evaluate("${workflow.input.nested}", CONTEXT)
    value["m"]["a"].append(4)
    assert CONTEXT["workflow"]["input"]["nested"]["m"]["a"] == [1, 2, 3]


def test_json_in_text_escapes_as_jayway_does():
    """Mirrors ParametersUtils with Jayway's JsonPath: a value inside a longer text reads as
    Java prints it."""
    assert as_text([{"p": "a/b", "q": 'say "hi"\n'}]) == '[{p=a/b, q=say "hi"\n}]'
    assert evaluate("${workflow.input.items[?(@.id == 1)].tags}", CONTEXT) == [["x"]]
    assert (
        evaluate(
            "t=${workflow.input.items[*].kind}",
            {"workflow": {"input": {"items": [{"kind": "a/\u2028"}]}}},
        )
        == 't=["a\\/\\u2028"]'
    )


def test_what_jayway_reads_but_the_fake_cannot_is_named():
    """The fake's honest boundary for ParametersUtils (Jayway JsonPath): what Conductor
    evaluates and the fake cannot is named, not read as null."""
    template = {
        "a": "${workflow.input.items[?(@.id nin [1])].id}",
        "b": ["${workflow.input['name','n']}", "${workflow.input.list.append(1)}"],
        "fine": "${workflow.input.items[?(@.id in [1])].id} ${not valid[}",
        "nested": "${workflow.input.${workflow.input.pick}}",
    }
    problems = unsupported_expressions(template)
    assert problems == [
        "${workflow.input.items[?(@.id nin [1])].id} uses the filter operator 'nin'",
        "${workflow.input['name','n']} uses several names in one []",
        "${workflow.input.list.append(1)} uses a function with parameters",
    ]


@pytest.mark.parametrize(
    "document",
    [
        {"a": {"b": [1, 2]}},
        {"a": {"b": None}},
        {"a": {"c": 1}},
        {"a": [{"b": 1}]},
        {"a": "b"},
        {"a": 1},
        {},
        [{"a": {"b": 1}}],
        '{"a": {"b": 3}}',
    ],
)
def test_a_path_of_member_names_reads_what_the_library_s_query_reads(document):
    """Such paths are read by looking the names up: the same value (or null) as the query."""
    matches = jsonpath.findall("$['a']['b']", document)
    assert read_path("a.b", document) == (matches[0] if matches else None)
