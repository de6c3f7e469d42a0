"""The web console in a real browser against a running fake server: every page loads without
errors, a started workflow shows up with its tasks (and the page follows it live), the start
form starts workflows and says what is wrong with bad input, the diagnosis is on the page."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conductor.client.worker.worker import Worker
from harness.waiting import wait_until

PAGES = [
    ("/", "Overview"),
    ("/workflows", "Workflows"),
    ("/queues", "Queues"),
    ("/workers", "Workers"),
    ("/definitions/tasks", "Task definitions"),
    ("/definitions/workflows", "Workflow definitions"),
    ("/start", "Start a workflow"),
    ("/diagnosis", "Diagnosis"),
    ("/faults", "Faults"),
]
GREETING = {
    "name": "greeting",
    "version": 1,
    "inputParameters": ["name"],
    "tasks": [
        {
            "name": "greet",
            "taskReferenceName": "greet_ref",
            "inputParameters": {"name": "${workflow.input.name}"},
        },
        {"name": "shout", "taskReferenceName": "shout_ref"},
    ],
}


def greet(task_input: dict) -> dict:
    return {"greeting": f"Hello, {task_input['name']}!"}


def text(browser: Any) -> str:
    """The page's text; empty while a reload replaces it."""
    try:
        return str(browser.find_element(By.TAG_NAME, "body").text)
    except StaleElementReferenceException:
        return ""


def shows(browser: Any, words: str, timeout: float = 15) -> None:
    wait_until(lambda: words in text(browser), timeout=timeout, message=f"{words!r} on the page")


def read(browser: Any, css: str, attribute: str | None = None) -> str | None:
    """The text (or ``attribute``) of the first element matching ``css``, None without one;
    read in one step inside the page, since a live reload can replace an element between a
    test finding it and reading it."""
    value: str | None = browser.execute_script(
        "var found = document.querySelector(arguments[0]);"
        "if (found === null) { return null; }"
        "return arguments[1] ? found.getAttribute(arguments[1]) : found.innerText;",
        css,
        attribute,
    )
    return value


def click_link(browser: Any, words: str) -> None:
    """Clicks the link ``words`` on a live page, found again if a reload replaced it."""

    def clicked() -> bool:
        try:
            browser.find_element(By.LINK_TEXT, words).click()
        except StaleElementReferenceException:
            return False
        return True

    wait_until(clicked, timeout=10, message=f"a click on the link {words!r}")


@pytest.mark.parametrize(("path", "heading"), PAGES, ids=[p for p, _ in PAGES])
def test_every_page_loads_without_errors(page: Any, conductor_server: Any, path, heading) -> None:
    conductor_server.admin.register_workflow(GREETING)
    conductor_server.admin.start_workflow("greeting", {"name": "Ada"})

    browser = page(path)

    assert str(read(browser, "h1")).startswith(heading)
    assert "fake Conductor" in browser.title  # and no browser error (the page fixture checks)


def test_a_started_workflow_appears_with_its_tasks_and_is_followed_live(
    page: Any, conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    browser = page("/workflows")
    workflow_id = admin.start_workflow("greeting", {"name": "Ada"}, correlation_id="order-7")

    shows(browser, workflow_id)  # the list reloads by itself
    click_link(browser, workflow_id)
    assert browser.current_url.endswith(f"/workflows/{workflow_id}")
    shows(browser, "greet_ref")
    assert "RUNNING" in text(browser) and "order-7" in text(browser)

    conductor_workers(Worker("greet", greet, worker_id="greeter"))
    wait_until(  # the page follows the workflow: greet done, so shout scheduled
        lambda: "shout_ref" in str(read(browser, "table.tasks tbody tr:nth-child(2)")),
        timeout=15,
        message="shout's row on the page",
    )
    browser.find_element(By.ID, "live").click()  # pause, so the rows stay put
    shows(browser, "paused")
    assert "greeter" in text(browser)  # the worker that ran greet
    rows = browser.find_elements(By.CSS_SELECTOR, "table.tasks tbody tr")
    references = [row.find_elements(By.TAG_NAME, "td")[1].text.split("\n") for row in rows]
    assert references == [["greet_ref", "task greet"], ["shout_ref", "task shout"]]
    rows[0].find_element(By.TAG_NAME, "summary").click()
    assert "Hello, Ada!" in rows[0].text  # its output, unfolded
    shows(browser, "Why it is not moving")
    assert "no worker polls 'shout'" in text(browser)


def test_the_start_form_starts_a_workflow_with_json_input(page: Any, conductor_server: Any):
    conductor_server.admin.register_workflow(GREETING)
    browser = page("/start")
    Select(browser.find_element(By.NAME, "name")).select_by_visible_text("greeting")
    field = browser.find_element(By.NAME, "input")
    field.clear()
    field.send_keys('{"name": "Grace"}')
    browser.find_element(By.NAME, "correlationId").send_keys("from-the-form")

    browser.find_element(By.CSS_SELECTOR, "form.start button").click()

    wait_until(lambda: "/workflows/" in browser.current_url, timeout=10, message="the redirect")
    workflow_id = browser.current_url.rsplit("/", 1)[1]
    workflow = conductor_server.admin.get_workflow(workflow_id)
    assert workflow["input"] == {"name": "Grace"}
    assert workflow["correlationId"] == "from-the-form"
    shows(browser, "greet_ref")


def test_the_start_form_begins_with_the_inputs_the_workflow_declares(
    page: Any, conductor_server: Any
):
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    admin.register_workflow(dict(GREETING, name="order", inputParameters=["orderId", "items"]))
    browser = page("/start?name=greeting")
    field = browser.find_element(By.NAME, "input")
    assert field.get_attribute("value") == '{"name": null}'

    Select(browser.find_element(By.NAME, "name")).select_by_visible_text("order")
    assert field.get_attribute("value") == '{"orderId": null, "items": null}'

    field.clear()
    field.send_keys('{"orderId": "A-1"}')
    Select(browser.find_element(By.NAME, "name")).select_by_visible_text("greeting")
    assert field.get_attribute("value") == '{"orderId": "A-1"}'  # what was typed stays


def test_the_start_form_says_what_is_wrong_and_keeps_the_input(page: Any, conductor_server: Any):
    conductor_server.admin.register_workflow(GREETING)
    browser = page("/start")
    field = browser.find_element(By.NAME, "input")
    field.clear()
    field.send_keys('{"name": ')
    assert "not JSON yet" in text(browser)  # said at once, by the page's script

    browser.find_element(By.CSS_SELECTOR, "form.start button").click()

    shows(browser, "input is not valid JSON")
    assert browser.find_element(By.NAME, "input").get_attribute("value") == '{"name": '
    assert conductor_server.admin.stats()["workflows"] == {}


def test_the_diagnosis_page_suggests_the_closest_polled_name(
    page: Any, conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    admin.start_workflow("greeting", {"name": "Ada"})
    conductor_workers(Worker("greett", greet))
    wait_until(lambda: "greett" in str(admin.poll_data("greett")), timeout=15, message="a poll")

    browser = page("/diagnosis")

    shows(browser, "did you mean 'greet'?")


def test_injected_faults_are_listed(page: Any, conductor_server: Any) -> None:
    conductor_server.faults.error("update", status=503, probability=0.25)

    browser = page("/faults")

    assert "answer 503" in text(browser) and "update" in text(browser)


def test_the_overview_says_ended_workflows_are_kept_without_a_retention(page: Any) -> None:
    browser = page("/")
    assert "Ended workflows are kept until a reset (no retention: start the server with" in text(
        browser
    )


@pytest.mark.conductor_server(retention_seconds=0.5)
def test_the_overview_says_what_the_retention_removed(page: Any, conductor_server: Any) -> None:
    admin = conductor_server.admin
    admin.register_workflow(GREETING)
    admin.terminate_workflow(admin.start_workflow("greeting", {"name": "Ada"}), "done with it")
    wait_until(
        lambda: admin.stats()["retention"]["removedWorkflows"] == 1,
        timeout=15,
        message="the ended workflow to be removed",
    )
    browser = page("/")
    assert "Ended workflows are removed 0.5 s after they end: 1 workflows and 1 tasks" in text(
        browser
    )
