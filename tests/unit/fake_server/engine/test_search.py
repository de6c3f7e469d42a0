"""Running, correlated and searched workflows (Conductor's WorkflowService and its search)."""

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import sequence


@pytest.fixture
def three(engine, worker, clock):
    engine.upsert_workflow_defs(
        [sequence("orders", "a"), {**sequence("orders", "a"), "version": 2}]
    )
    first = engine.start_workflow(
        {"name": "orders", "version": 1, "correlationId": "c-1", "input": {"sku": "apple"}}
    )
    clock.advance_seconds(1)
    second = engine.start_workflow(
        {"name": "orders", "version": 1, "correlationId": "c-1", "input": {"sku": "pear"}}
    )
    clock.advance_seconds(1)
    third = engine.start_workflow({"name": "orders", "version": 2, "correlationId": "c-2"})
    engine.terminate_workflow(second, "stop")
    return first, second, third


def test_running_workflows_by_name_and_version(engine, three, clock):
    """Mirrors WorkflowServiceImpl.getRunningWorkflows: running ids of one version; with a
    time range, the ids created in it."""
    first, second, third = three
    assert engine.running_workflows("orders") == [first]
    assert engine.running_workflows("orders", 2) == [third]
    start_ms = engine.get_workflow(second)["createTime"]
    assert engine.running_workflows("orders", 1, start_ms, start_ms) == [second]


def test_correlated_workflows(engine, three):
    """Mirrors WorkflowServiceImpl.getWorkflows(name, correlationId, includeClosed, ...)."""
    first, second, _ = three
    open_ones = engine.correlated_workflows("orders", "c-1")
    assert [w["workflowId"] for w in open_ones] == [first]
    assert "tasks" not in open_ones[0]
    closed = engine.correlated_workflows("orders", "c-1", include_closed=True, include_tasks=True)
    assert [w["workflowId"] for w in closed] == [first, second]
    assert closed[0]["tasks"][0]["referenceTaskName"] == "a"


def test_search_by_query_free_text_sort_and_page(engine, three):
    """Mirrors WorkflowServiceImpl.searchWorkflows as far as the fake answers it: query, free
    text, sort, start and size."""
    first, second, third = three
    result = engine.search_workflows(query="workflowType = 'orders' AND status IN (RUNNING)")
    assert result["totalHits"] == 2
    assert {r["workflowId"] for r in result["results"]} == {first, third}
    assert engine.search_workflows(free_text="pear")["results"][0]["workflowId"] == second
    ordered = engine.search_workflows(sort="startTime:DESC", size=2)
    assert ordered["totalHits"] == 3
    assert [r["workflowId"] for r in ordered["results"]] == [third, second]
    assert engine.search_workflows(query="version > 1")["results"][0]["workflowId"] == third


def test_a_search_result_is_a_workflow_summary(engine, three):
    """Mirrors WorkflowSummary: ISO times, input as Java prints a map."""
    first, _, _ = three
    (found,) = engine.search_workflows(query=f"workflowId = {first}")["results"]
    assert found["input"] == "{sku=apple}"
    assert found["status"] == "RUNNING"
    assert found["startTime"].endswith("Z") and "T" in found["startTime"]
    assert "endTime" not in found


@pytest.mark.parametrize(
    ("arguments", "what"),
    [
        ({"query": "status = RUNNING AND (version = 1 OR version = 2)"}, "query"),
        ({"query": "input.sku = apple"}, "query"),
        ({"free_text": "sku:apple"}, "freeText"),
        ({"sort": "nonsense:UP"}, "sort"),
    ],
)
def test_what_the_fake_cannot_search_is_refused(engine, arguments, what):
    """The fake's honest boundary for WorkflowServiceImpl.searchWorkflows: what its index would
    answer and the fake cannot is refused."""
    with pytest.raises(BadRequestError, match="not supported by the fake server") as raised:
        engine.search_workflows(**arguments)
    assert raised.value.errors[0].path == what
