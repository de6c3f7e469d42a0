"""The workflow diagram (fake_server.console.diagram): a definition and a run drawn as SVG,
each task a box with its status, branches and loops drawn as such."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from fake_server.console import diagram
from tests.unit.fake_server.helpers import start
from tests.unit.fake_server.system_task_helpers import simple, system, workflow

SVG = "{http://www.w3.org/2000/svg}"
SWITCH = system(
    "SWITCH",
    "route",
    evaluatorType="value-param",
    expression="speed",
    inputParameters={"speed": "${workflow.input.speed}"},
    decisionCases={"express": [simple("courier")], "slow": [simple("post")]},
    defaultCase=[simple("ask")],
)
FORK = system("FORK_JOIN", "split", forkTasks=[[simple("pick")], [simple("pack")]])
JOIN = system("JOIN", "merge", joinOn=["pick", "pack"])
LOOP = system(
    "DO_WHILE", "loop", loopCondition="$.loop['iteration'] < 2", loopOver=[simple("poll")]
)
SUB = system("SUB_WORKFLOW", "child", subWorkflowParam={"name": "label", "version": 1})
DYNAMIC = system(
    "FORK_JOIN_DYNAMIC",
    "fan",
    dynamicForkTasksParam="tasks",
    dynamicForkTasksInputParamName="inputs",
    inputParameters={"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
)
SHIPPING = workflow("shipping", SWITCH, FORK, JOIN, LOOP, SUB)


def nodes(svg: str) -> dict[str, ElementTree.Element]:
    """The task boxes of a diagram by reference name."""
    root = ElementTree.fromstring(svg)
    return {g.get("data-ref", ""): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def texts(element: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def links(svg: str) -> dict[str, str]:
    """Reference name -> where its box links to."""
    root = ElementTree.fromstring(svg)
    found = {}
    for anchor in root.iter(f"{SVG}a"):
        for g in anchor.iter(f"{SVG}g"):
            found[g.get("data-ref", "")] = anchor.get("href", "")
    return found


def test_a_definition_draws_every_task_with_its_switch_cases_fork_lanes_and_loop():
    svg = diagram.definition_svg(SHIPPING)

    boxes = nodes(svg)
    assert set(boxes) == {"route", "courier", "post", "ask", "split", "pick", "pack", "merge",
                          "loop", "poll", "child"}  # fmt: skip
    assert {box.get("data-status") for box in boxes.values()} == {"NOT_RUN"}
    labels = [t.text for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert {"case express", "case slow", "default", "branch 1", "branch 2"} <= set(labels)
    assert 'class="loop-back"' in svg and 'class="loop-body"' in svg
    assert links(svg)["child"] == "/definitions/workflows/label/1"


def test_boxes_of_a_box_below_are_lower_the_lanes_of_a_branch_side_by_side():
    svg = diagram.definition_svg(SHIPPING)
    root = ElementTree.fromstring(svg)

    def corner(ref: str) -> tuple[float, float]:
        box = next(g for g in root.iter(f"{SVG}g") if g.get("data-ref") == ref)
        rect = box.find(f"{SVG}rect")
        assert rect is not None
        return float(rect.get("x", 0)), float(rect.get("y", 0))

    assert corner("courier")[1] == corner("post")[1] == corner("ask")[1]
    assert corner("courier")[0] < corner("post")[0] < corner("ask")[0]
    assert corner("route")[1] < corner("courier")[1] < corner("split")[1] < corner("pick")[1]
    assert corner("loop")[1] < corner("poll")[1] < corner("child")[1]


def test_a_run_colours_each_box_by_its_status_and_links_it_to_its_task(engine, worker):
    engine.upsert_workflow_defs([workflow("label", simple("print"), version=1)])
    workflow_id = start(engine, SHIPPING, input={"speed": "express"})
    worker.update(worker.take("courier"), "COMPLETED")
    worker.update(worker.take("pick"), "COMPLETED")
    worker.update(worker.take("pack"), "FAILED_WITH_TERMINAL_ERROR", reasonForIncompletion="no box")
    run = engine.get_workflow(workflow_id)

    svg = diagram.run_svg(engine.definition_of_workflow(workflow_id), run["tasks"])

    status = {ref: box.get("data-status") for ref, box in nodes(svg).items()}
    assert status["route"] == status["courier"] == status["pick"] == "COMPLETED"
    assert status["pack"] == "FAILED_WITH_TERMINAL_ERROR"
    assert status["post"] == status["ask"] == status["loop"] == "NOT_RUN"
    assert "no box" in texts(nodes(svg)["pack"])  # the reason, on the failed box
    task_ids = {task["referenceTaskName"]: task["taskId"] for task in run["tasks"]}
    assert links(svg)["pack"] == f"#task-{task_ids['pack']}"
    assert "case express ✓" in texts(ElementTree.fromstring(svg))


def test_a_run_shows_the_loops_iteration_and_links_the_sub_workflow_to_its_run(engine, worker):
    engine.upsert_workflow_defs([workflow("label", simple("print"), version=1)])
    definition = workflow("loops", LOOP, SUB)
    workflow_id = start(engine, definition)
    worker.update(worker.take("poll"), "COMPLETED")
    worker.update(worker.take("poll"), "COMPLETED")
    run = engine.get_workflow(workflow_id)

    svg = diagram.run_svg(engine.definition_of_workflow(workflow_id), run["tasks"])

    boxes = nodes(svg)
    assert any("iteration 2" in line for line in texts(boxes["loop"]))
    assert boxes["poll"].get("data-status") == "COMPLETED"
    child = next(t for t in run["tasks"] if t["referenceTaskName"] == "child")
    assert links(svg)["child"] == f"/workflows/{child['subWorkflowId']}"


def test_a_dynamic_fork_draws_the_lanes_its_run_created(engine):
    definition = workflow("fan-out", DYNAMIC, system("JOIN", "fan_join"))
    assert "tasks of the run" in nodes(diagram.definition_svg(definition))
    tasks = [simple("mail_a", name="mail"), simple("mail_b", name="mail")]
    workflow_id = start(engine, definition, input={"tasks": tasks, "inputs": {}})
    run = engine.get_workflow(workflow_id)

    svg = diagram.run_svg(engine.definition_of_workflow(workflow_id), run["tasks"])

    boxes = nodes(svg)
    assert boxes["mail_a"].get("data-status") == boxes["mail_b"].get("data-status") == "SCHEDULED"
    assert "tasks of the run" not in boxes


def test_names_are_escaped():
    svg = diagram.definition_svg(workflow("w", simple("a<b>&c")))
    assert "a&lt;b&gt;&amp;c" in svg and set(nodes(svg)) == {"a<b>&c"}
