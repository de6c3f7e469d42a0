"""Every page's code blocks and links hold: a Python block compiles and its imports import, a
JSON block parses, a relative link leads to a file (and to a heading of it, when it names one).
The blocks that are whole files or runnable examples are run by the tests that name them
(tests/integration/harness/test_harness_quickstart.py, test_harness_readme.py, ...)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from doc_pages import REPO, blocks, pages

# Written on another branch at the same time as these pages (issue 21); linked from the README.
PAGES_UNDER_WAY = {REPO / "docs" / "sizing.md"}

PAGES = pages()


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


# Modules the pages themselves show (docs/testing.md's my_app, the README's greet_worker).
SHOWN_MODULES = {"my_app", "greet_worker"}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_block_compiles_and_its_imports_import(page: Path) -> None:
    imports = []
    for block in blocks(page, "python"):
        tree = ast.parse(block, filename=page_id(page))  # a SyntaxError names the line
        imports += [ast.unparse(node) for node in tree.body if imported(node) - SHOWN_MODULES]
    # In a fresh interpreter, as a reader's program would import them.
    run = subprocess.run(
        [sys.executable, "-c", "\n".join(imports)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, f"{page_id(page)}: {run.stderr}"


def imported(node: ast.stmt) -> set[str]:
    """The top-level packages an import statement imports (none for other statements)."""
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module.split(".")[0]}
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    return set()


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_json_block_parses(page: Path) -> None:
    for block in blocks(page, "json"):
        json.loads(block)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {slug(h) for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if linked in PAGES_UNDER_WAY:
            continue
        assert linked.exists(), f"{page_id(page)} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page_id(page)}: no heading #{anchor} in {target}"
