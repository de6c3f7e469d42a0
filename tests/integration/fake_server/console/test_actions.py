"""The console as a working tool, in a real browser: each action clicked on a workflow's page
changes the workflow as the API then reports it; a failed run is found on its diagram, its
reason read on the failed box, retried and watched to completion; the diagram of a workflow
with SWITCH, FORK_JOIN, DO_WHILE and SUB_WORKFLOW shows every task with its status; the
workers, queues and overview figures agree with the API."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conductor.client.http.models.task import Task
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker import Worker
from harness.waiting import wait_until
from harness.workers import run_workers
from tests.integration.fake_server.console.test_pages import GREETING, read, shows, text

NODE = "svg.diagram g.node[data-ref='{}']"


def pause_live(browser: Any) -> None:
    """Stops the page reloading itself, so that the elements a test holds stay put (the switch
    is remembered across pages until the test ends)."""
    live = browser.find_element(By.ID, "live")
    if live.is_selected():
        live.click()


def act(browser: Any, action: str, *, confirm: bool | None = None, **fields: str) -> None:
    """Fills in the form of ``action`` on the page, submits it (answering its confirmation),
    and waits for the page that answers."""
    form = browser.find_element(By.CSS_SELECTOR, f"form[data-action='{action}']")
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        if not field.is_displayed():  # folded away in the form's details
            field.find_element(By.XPATH, "ancestor::details/summary").click()
        if field.tag_name == "select":
            Select(field).select_by_visible_text(value)
        elif field.get_attribute("type") == "checkbox":
            if field.is_selected() != (value == "on"):
                field.click()
        else:
            field.clear()
            field.send_keys(value)
    old_page = browser.find_element(By.TAG_NAME, "html")
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    if confirm is not None:
        wait_until(lambda: _alert(browser), timeout=5, message=f"{action} to ask first")
        alert = browser.switch_to.alert
        alert.accept() if confirm else alert.dismiss()
        if not confirm:
            return
    wait_until(lambda: _stale(old_page), timeout=10, message=f"the page answering {action}")


def _alert(browser: Any) -> bool:
    try:
        browser.switch_to.alert  # noqa: B018 (raises while there is none)
    except Exception:  # selenium's NoAlertPresentException
        return False
    return True


def _stale(element: Any) -> bool:
    try:
        element.is_enabled()
    except Exception:  # StaleElementReferenceException: the page was replaced
        return True
    return False


def tasks_by_reference(admin: Any, workflow_id: str) -> dict[str, dict[str, Any]]:
    return {t["referenceTaskName"]: t for t in admin.get_workflow(workflow_id)["tasks"]}


def open_task_form(browser: Any, reference: str) -> None:
    """Unfolds the complete / fail form of the latest task of ``reference``."""
    path = f"//table[@class='tasks']//tr[td[2][contains(., '{reference}')]]"
    latest = browser.find_elements(By.XPATH, path)[-1]
    latest.find_element(By.CSS_SELECTOR, "details.task-actions summary").click()


def test_each_action_changes_the_workflow_as_the_api_reports_it(page: Any, conductor_server: Any):
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    workflow_id = admin.start_workflow("greeting", {"name": "Ada"})
    browser = page(f"/workflows/{workflow_id}")
    pause_live(browser)

    act(browser, "pause")
    assert admin.get_workflow(workflow_id)["status"] == "PAUSED"
    shows(browser, "Paused")
    act(browser, "resume")
    assert admin.get_workflow(workflow_id)["status"] == "RUNNING"

    act(browser, "skip", taskReferenceName="shout_ref")
    assert "shout_ref" in text(browser) and "skipped" in text(browser)
    open_task_form(browser, "greet_ref")
    act(browser, "update-task", status="COMPLETED", output='{"greeting": "by hand"}')
    workflow = admin.get_workflow(workflow_id)
    assert workflow["status"] == "COMPLETED"
    assert tasks_by_reference(admin, workflow_id)["shout_ref"]["status"] == "SKIPPED"
    assert tasks_by_reference(admin, workflow_id)["greet_ref"]["outputData"] == {
        "greeting": "by hand"
    }

    act(browser, "restart", confirm=False)  # asked, and said no: nothing happens
    assert admin.get_workflow(workflow_id)["status"] == "COMPLETED"
    act(browser, "restart", confirm=True, useLatestDefinitions="on")
    assert tasks_by_reference(admin, workflow_id)["greet_ref"]["status"] == "SCHEDULED"

    act(browser, "terminate", confirm=True, reason="ordered twice")
    workflow = admin.get_workflow(workflow_id)
    assert (workflow["status"], workflow["reasonForIncompletion"]) == (
        "TERMINATED",
        "ordered twice",
    )
    act(browser, "retry")
    assert admin.get_workflow(workflow_id)["status"] == "RUNNING"

    open_task_form(browser, "greet_ref")
    act(browser, "update-task", status="FAILED_WITH_TERMINAL_ERROR", reason="no name given")
    assert admin.get_workflow(workflow_id)["status"] == "FAILED"
    row_reason = browser.find_element(By.CSS_SELECTOR, "table.tasks .row-reason")
    assert row_reason.text == "no name given"  # on the row, not folded away

    greet = tasks_by_reference(admin, workflow_id)["greet_ref"]
    act(browser, "rerun", confirm=True, taskInput='{"name": "Grace"}')
    greet_again = tasks_by_reference(admin, workflow_id)["greet_ref"]
    assert greet_again["taskId"] == greet["taskId"] and greet_again["status"] == "SCHEDULED"
    assert greet_again["inputData"]["name"] == "Grace"

    act(browser, "requeue")
    assert "1 pending greet task put back in the queue" in text(browser)


def test_a_refused_action_shows_the_apis_error_text(page: Any, conductor_server: Any):
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    workflow_id = admin.start_workflow("greeting", {"name": "Ada"})
    admin.pause_workflow(workflow_id)
    browser = page(f"/workflows/{workflow_id}")
    pause_live(browser)
    admin.resume_workflow(workflow_id)  # meanwhile, elsewhere

    act(browser, "resume")

    refusal = browser.find_element(By.ID, "refused").text
    assert f"The workflow {workflow_id} is not PAUSED so cannot resume" in refusal


SHIPPING = {
    "name": "shipping",
    "version": 1,
    "inputParameters": ["speed"],
    "tasks": [
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "speed",
            "inputParameters": {"speed": "${workflow.input.speed}"},
            "decisionCases": {"express": [{"name": "courier", "taskReferenceName": "courier"}]},
            "defaultCase": [{"name": "post", "taskReferenceName": "post"}],
        },
        {
            "name": "prepare",
            "taskReferenceName": "prepare",
            "type": "FORK_JOIN",
            "forkTasks": [
                [{"name": "pick", "taskReferenceName": "pick"}],
                [{"name": "pack", "taskReferenceName": "pack"}],
            ],
        },
        {"name": "prepared", "taskReferenceName": "prepared", "type": "JOIN",
         "joinOn": ["pick", "pack"]},
        {
            "name": "track",
            "taskReferenceName": "track",
            "type": "DO_WHILE",
            "loopCondition": "$.track['iteration'] < 2",
            "loopOver": [{"name": "ping", "taskReferenceName": "ping"}],
        },
        {
            "name": "label",
            "taskReferenceName": "label",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "print_label", "version": 1},
        },
    ],
}  # fmt: skip
PRINT_LABEL = {
    "name": "print_label",
    "version": 1,
    "tasks": [{"name": "print", "taskReferenceName": "print"}],
}


def done(task_input: dict) -> dict:
    return {"done": True}


def pack(task: Task) -> dict:
    """Fails for good on its first attempt: a retry of the workflow makes the next one."""
    if task.retry_count == 0:
        raise NonRetryableException("the box is too small")
    return {"packed": True}


def test_a_failed_run_is_found_on_its_diagram_retried_and_watched_to_completion(
    page: Any, conductor_server: Any, conductor_workers: Any
):
    admin = conductor_server.admin
    admin.register_workflow(PRINT_LABEL)
    admin.register_workflow(SHIPPING)
    workflow_id = admin.start_workflow("shipping", {"speed": "express"})
    names = ("courier", "pick", "ping", "print")
    conductor_workers(*(Worker(name, done) for name in names), Worker("pack", pack))
    admin.wait_for_workflow(workflow_id, "FAILED", timeout=30)

    browser = page("/workflows?status=FAILED")
    pause_live(browser)  # the link stays the element found (and the run's page starts paused)
    browser.find_element(By.LINK_TEXT, workflow_id).click()
    shows(browser, "Diagram")
    failed = browser.find_element(By.CSS_SELECTOR, NODE.format("pack"))
    assert failed.get_attribute("data-status") == "FAILED_WITH_TERMINAL_ERROR"
    assert "NonRetryableException: the box is too small" in " ".join(failed.text.split())
    assert_diagram_matches_the_api(browser, admin, workflow_id)

    failed.click()  # the box links to the task's row
    pack_task = tasks_by_reference(admin, workflow_id)["pack"]
    assert browser.current_url.endswith(f"#task-{pack_task['taskId']}")

    act(browser, "retry")
    browser.find_element(By.ID, "live").click()  # watch it live
    wait_until(
        lambda: read(browser, NODE.format("label"), "data-status") == "COMPLETED",
        timeout=30,
        message="the sub-workflow's box to turn COMPLETED on the page",
    )
    assert admin.get_workflow(workflow_id)["status"] == "COMPLETED"
    pause_live(browser)
    assert_diagram_matches_the_api(browser, admin, workflow_id)
    track = browser.find_element(By.CSS_SELECTOR, NODE.format("track"))
    assert "iteration 2" in track.text
    child_id = tasks_by_reference(admin, workflow_id)["label"]["subWorkflowId"]
    browser.find_element(By.CSS_SELECTOR, NODE.format("label")).click()
    assert browser.current_url.endswith(f"/workflows/{child_id}")
    parent = browser.find_element(By.ID, "parent-link").get_attribute("href")
    assert parent.endswith(f"/workflows/{workflow_id}")


def assert_diagram_matches_the_api(browser: Any, admin: Any, workflow_id: str) -> None:
    """Every task of the run has its box, with the status the API gives its latest attempt;
    the boxes of tasks that did not run say so."""
    latest: dict[str, str] = {}
    for task in admin.get_workflow(workflow_id)["tasks"]:
        reference = task["referenceTaskName"].split("__")[0]  # a loop's iterations: ref__N
        latest[reference] = task["status"]
    shown = {
        box.get_attribute("data-ref"): box.get_attribute("data-status")
        for box in browser.find_elements(By.CSS_SELECTOR, "svg.diagram g.node")
    }
    for reference, status in latest.items():
        assert shown[reference] == status, reference
    assert shown["post"] == "NOT_RUN"  # the SWITCH took the express case


def test_workers_queues_and_overview_agree_with_the_api(page: Any, conductor_server: Any):
    admin = conductor_server.admin
    # Three processes with the same worker id (the default is the host name for all three).
    workers = [Worker(name, done, worker_id="one-host") for name in ("wash", "dry", "fold")]
    with run_workers(workers, conductor_server.url):
        wait_until(
            lambda: all(admin.poll_data(name) for name in ("wash", "dry", "fold")),
            timeout=20,
            message="every worker to poll",
        )
    browser = page("/workers")  # after they stopped, so every figure stays put
    pause_live(browser)  # and the elements found stay those of the page (see pause_live)

    assert browser.find_element(By.ID, "processes-polling").text == "3"
    rows = browser.find_elements(By.CSS_SELECTOR, "#workers tbody tr")
    assert len(rows) == 3
    assert {row.find_elements(By.TAG_NAME, "td")[0].text for row in rows} == {"one-host"}
    assert len({row.find_elements(By.TAG_NAME, "td")[1].text for row in rows}) == 3

    browser = page("/queues")
    for name in ("wash", "dry", "fold"):
        [poll] = admin.poll_data(name)
        cell = browser.find_element(By.CSS_SELECTOR, f"tr[data-queue='{name}'] td[data-last-poll]")
        assert int(cell.get_attribute("data-last-poll")) == poll["lastPollTime"], name

    admin.register_workflow(GREETING)
    for name in ("Ada", "Grace", "Alan"):
        admin.start_workflow("greeting", {"name": name})
    admin.terminate_workflow(admin.start_workflow("greeting", {"name": "Edsger"}), "test")
    browser = page("/queues")
    [greet_queue] = browser.find_elements(By.CSS_SELECTOR, "tr[data-queue='greet'] td.num")[:1]
    assert int(greet_queue.text) == admin.queue_sizes()["greet"] == 3

    browser = page("/")
    by_status = admin.stats()["workflows"]
    for status in ("RUNNING", "TERMINATED", "COMPLETED"):
        card = browser.find_element(By.CSS_SELECTOR, f"a.card.s-{status.lower()} .big")
        assert int(card.text) == by_status.get(status, 0), status
    card = browser.find_element(By.ID, "worker-count")
    assert card.find_element(By.CLASS_NAME, "big").text == "3"
    assert "worker processes" in card.text


def test_fault_rules_are_added_and_removed_on_the_faults_page(page: Any, conductor_server: Any):
    browser = page("/faults")
    pause_live(browser)

    act(browser, "add-fault", kind="latency", route="poll", ms="250", times="3")

    [rule] = conductor_server.admin.fake("GET", "/faults").json()["rules"]
    assert (rule["kind"], rule["route"], rule["ms"], rule["timesLeft"]) == (
        "latency",
        "poll",
        250,
        3,
    )
    shows(browser, f"Fault rule {rule['id']} added.")
    act(browser, "add-fault", kind="hang", route="update", seconds="-1")
    assert "seconds" in browser.find_element(By.ID, "refused").text  # the fault plan's words

    act(browser, "remove-fault")
    assert conductor_server.admin.fake("GET", "/faults").json()["rules"] == []
