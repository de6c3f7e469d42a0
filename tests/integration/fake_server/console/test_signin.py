"""Signing in to the console of a server that requires tokens, in a real browser: a page asked
for without a token leads to the sign-in form, a wrong secret says so, the right one leads back
to the page asked for, and the pages (with their live reloads) then load without errors."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from harness.waiting import wait_until
from tests.integration.fake_server.console.test_pages import read


def sign_in(browser: Any, key: str, secret: str) -> None:
    browser.find_element(By.ID, "signin-key").send_keys(key)
    browser.find_element(By.ID, "signin-secret").send_keys(secret)
    browser.find_element(By.CSS_SELECTOR, "form button").click()


@pytest.mark.conductor_server(auth_key="console-key", auth_secret="console-secret")
def test_a_browser_signs_in_and_goes_back_to_the_page_it_asked_for(
    browser: Any, conductor_server: Any
) -> None:
    browser.delete_all_cookies()
    browser.get_log("browser")
    browser.get(conductor_server.root_url + "/queues")
    wait_until(lambda: "/signin" in browser.current_url, timeout=15, message="the sign-in page")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"

    sign_in(browser, "console-key", "wrong")
    wait_until(
        lambda: "Invalid keyId or keySecret" in browser.find_element(By.TAG_NAME, "body").text,
        timeout=15,
        message="the reason on the form",
    )
    browser.get_log("browser")  # the 401 of the wrong secret is logged by the browser

    sign_in(browser, "console-key", "console-secret")
    wait_until(
        lambda: browser.current_url.endswith("/queues"), timeout=15, message="back to /queues"
    )
    assert str(read(browser, "h1")).startswith("Queues")  # a live page: read in one step
    browser.get(conductor_server.root_url + "/faults")
    assert str(read(browser, "h1")).startswith("Faults")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    browser.delete_all_cookies()
