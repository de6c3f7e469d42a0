"""Every page's code blocks and links hold: a Python block compiles and its imports import, a
JSON block parses, a relative link leads to a file (and to a heading of it, when it names one).
The blocks that are whole files or runnable examples are run by the tests that name them
(tests/integration/harness/test_quickstart.py, test_readme.py, ...)."""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.docs.doc_pages import REPO, blocks, pages

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
        assert linked.exists(), f"{page_id(page)} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page_id(page)}: no heading #{anchor} in {target}"


def test_the_fake_server_page_runs_its_program_block(tmp_path: Path) -> None:
    """docs/fake-server.md's FakeServer block, run as a program of its own."""
    [block] = [b for b in blocks(REPO / "docs" / "fake-server.md", "python") if "FakeServer(" in b]
    run = subprocess.run(
        [sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr


# The project's commands, as pages write them, and the parser that reads their arguments.
COMMAND = re.compile(
    r"^(?:\.venv/bin/)?(?:python3? -m (?P<module>harness|fake_server)|conductor-fake-server)"
    r"(?P<args>(?: .*)?)$"
)


def shown_commands() -> list[tuple[str, str, list[str]]]:
    """Every command of the project that a shell block of a page shows: (page, line, argv)."""
    found = []
    for page in PAGES:
        for block in blocks(page, "shell") + blocks(page, "sh"):
            for line in block.replace("\\\n", " ").splitlines():
                command = " ".join(shlex.split(line, comments=True))
                match = COMMAND.match(command)
                if match:
                    module = match.group("module") or "fake_server"
                    argv = shlex.split(match.group("args"))
                    ends = [i for i, word in enumerate(argv) if word[0] in "&|;>"]
                    argv = argv[: ends[0]] if ends else argv  # the shell's part of the line
                    found.append((page_id(page), module, argv))
    return found


@pytest.mark.parametrize(
    ("page", "module", "argv"), shown_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_a_page_shows_takes_its_arguments(page: str, module: str, argv) -> None:
    """Parsed by the command's own parser (nothing is run): a renamed or removed option in a
    page fails here, naming the page."""
    from fake_server.cli import build_parser as fake_server_parser
    from harness.cli import build_parser as harness_parser

    parser = harness_parser() if module == "harness" else fake_server_parser()
    try:
        parser.parse_args(argv)
    except SystemExit as error:
        if error.code == 0:  # --help
            return
        pytest.fail(f"{page}: {module} {' '.join(argv)} is refused by its parser ({error})")
