"""A headless Chromium for the console's pages, driven by Selenium.

The browser is Debian's ``chromium`` with its ``chromedriver`` (nothing is downloaded: the
machine may have no network). Without them these tests skip, saying what to install; with
``CONDUCTOR_BROWSER_TESTS=require`` (as CI sets) they fail instead, so CI cannot pass by
skipping them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

REQUIRE_VARIABLE = "CONDUCTOR_BROWSER_TESTS"
INSTALL = "sudo apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1360,900",
)


def _missing(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_VARIABLE) == "require":
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE}=require: install it ({INSTALL})")
    pytest.skip(f"{reason}: install it to run the console's browser tests ({INSTALL})")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test session (per xdist worker), with a fresh profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (make install installs it)")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        _missing("no headless Chromium (chromium and chromedriver) found")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="console-browser-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def errors(browser: Any) -> list[dict[str, Any]]:
    """What the page logged at SEVERE level (script errors, failed loads)."""
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture
def page(browser: Any, conductor_server: Any) -> Any:
    """Opens a console path of this test's server; fails the test on a browser error."""
    leave_the_page(browser)
    browser.get_log("browser")  # drop what earlier tests left

    def open_page(path: str) -> Any:
        browser.get(conductor_server.root_url + path)
        return browser

    yield open_page
    logged = errors(browser)
    if browser.current_url.startswith(conductor_server.root_url):
        browser.execute_script("window.localStorage.clear()")  # the live switch's memory
    leave_the_page(browser)
    assert logged == []


def leave_the_page(browser: Any) -> None:
    """Closes the page a test ends on. Left open, a live page keeps reloading itself from a
    server that the next test resets: its workflow is gone, and the next test's log gets the
    404 of a page it never opened."""
    browser.get("about:blank")
