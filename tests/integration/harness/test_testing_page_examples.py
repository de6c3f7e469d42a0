"""The example test files docs/testing.md shows are the files in examples/testing/, and each
passes when copied into a folder of its own outside this repository, serially and under xdist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.docs.doc_pages import blocks
from tests.paths import REPO

TESTING_PAGE = REPO / "docs" / "testing.md"
# Each example file and the number of tests it holds.
EXAMPLES = {"test_time_skipping.py": 2, "test_workflow_mocks.py": 4}


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_testing_page_shows_the_example_file(name: str) -> None:
    assert (REPO / "examples" / "testing" / name).read_text() in blocks(TESTING_PAGE, "python")


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("extra_args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_example_passes_outside_the_repository(
    tmp_path: Path, name: str, extra_args: tuple[str, ...], run_pytest
) -> None:
    folder = tmp_path / "my_project"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "testing" / name, folder / name)
    run = run_pytest(folder, *extra_args)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{EXAMPLES[name]} passed" in run.stdout
