"""Finding @WorkerTask functions: scanning a folder, importing named modules."""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path

import pytest

from conductor.client.automator import _worker_discovery as worker_discovery
from conductor.client.automator._worker_discovery import (
    WorkerDiscoveryError,
    find_worker_files,
    scan_for_annotated_workers,
)
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker import worker_task

CONFIG = Configuration(server_api_url="http://127.0.0.1:9/api")


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch):
    """Modules, sys.path entries and registrations made by a test do not outlive it."""
    modules = set(sys.modules)
    monkeypatch.setattr(sys, "path", list(sys.path))
    with worker_task.isolated_worker_registry():
        yield
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def decorated(task_name: str, marker: Path | None = None) -> str:
    record = f"open({str(marker)!r}, 'a').write('imported\\n')\n" if marker else ""
    return (
        "from conductor.client.worker.worker_task import WorkerTask\n"
        + record
        + f"\n@WorkerTask(task_definition_name={task_name!r})\n"
        + "def work(input):\n    return {}\n"
    )


def registered_names() -> set[str]:
    return {r.task_definition_name for r in worker_task.registered_workers()}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    write(root / "billing_workers.py", decorated("scan_billing"))
    write(root / "shipping" / "__init__.py", "")
    write(root / "shipping" / "labels.py", decorated("scan_labels"))
    write(root / "plain" / "helpers.py", decorated("scan_helpers"))  # no __init__: namespace
    write(
        root / "alias.py",
        "import conductor.client.worker.worker_task as wt\n\n"
        "@wt.worker_task('scan_alias')\ndef work(input):\n    return {}\n",
    )
    # never imported: no decorator used, or a folder that is not the application's
    write(
        root / "mentions.py",
        "# WorkerTask is mentioned but not used\nraise SystemExit('imported!')\n",
    )
    write(root / ".hidden" / "w.py", decorated("scan_hidden"))
    write(root / "venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(root / "venv" / "lib" / "w.py", decorated("scan_venv"))
    write(root / "node_modules" / "w.py", decorated("scan_node"))
    write(root / "lib" / "site-packages" / "w.py", decorated("scan_site"))
    write(root / "__pycache__" / "w.py", decorated("scan_cache"))
    return root


def test_scanning_imports_only_the_files_that_use_the_decorator(app):
    imported = scan_for_annotated_workers(app)
    assert sorted(imported) == ["alias", "billing_workers", "plain.helpers", "shipping.labels"]
    assert {"scan_billing", "scan_labels", "scan_helpers", "scan_alias"} <= registered_names()
    assert not {"scan_hidden", "scan_venv", "scan_node", "scan_site", "scan_cache"} & (
        registered_names()
    )
    # imported under importable names, so worker processes can import them again by name
    assert sys.modules["shipping.labels"].__file__ == str(app / "shipping" / "labels.py")


def test_files_already_imported_are_not_imported_again(tmp_path):
    marker = tmp_path / "imports.log"
    main = write(tmp_path / "app" / "main.py", decorated("scan_main", marker))
    write(tmp_path / "app" / "other.py", decorated("scan_other", marker))
    sys.path.insert(0, str(main.parent))
    __import__("main")  # stands for the running main script, already imported
    assert marker.read_text().count("imported") == 1
    assert scan_for_annotated_workers(main.parent) == ["other"]
    assert marker.read_text().count("imported") == 2  # main.py was not run a second time


def test_the_default_root_is_the_main_script_folder(app, monkeypatch):
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(app / "main.py"), raising=False)
    assert worker_discovery.application_root() == app.resolve()


def test_a_broken_worker_module_is_logged_and_stops_the_handler(app, caplog):
    write(app / "broken.py", decorated("scan_broken") + "\nundefined_name\n")
    with caplog.at_level(logging.ERROR), pytest.raises(WorkerDiscoveryError) as error:
        TaskHandler([], CONFIG, scan_for_annotated_workers=app)
    assert str(app / "broken.py") in str(error.value)
    assert "NameError" in str(error.value)
    assert str(app / "broken.py") in caplog.text and "NameError" in caplog.text
    assert "scan_billing" in registered_names()  # the other files were still imported


def test_a_syntax_error_is_reported_too(tmp_path):
    root = tmp_path / "app"
    write(root / "typo.py", decorated("scan_typo") + "\ndef oops(:\n")
    with pytest.raises(WorkerDiscoveryError, match="SyntaxError"):
        scan_for_annotated_workers(root)


def test_a_file_whose_path_is_no_module_name_is_still_loaded(tmp_path):
    root = tmp_path / "app"
    write(root / "my-workers" / "2nd.py", decorated("scan_dashed"))
    [name] = scan_for_annotated_workers(root)
    assert name.startswith("_conductor_scanned_")
    assert "scan_dashed" in registered_names()


def test_the_handler_runs_scanned_and_imported_workers(app, tmp_path):
    write(tmp_path / "extra" / "extra_workers_mod.py", decorated("scan_extra"))
    sys.path.insert(0, str(tmp_path / "extra"))
    handler = TaskHandler([], CONFIG, import_modules=["extra_workers_mod"])
    assert "scan_extra" in {w.get_task_definition_name() for w in handler.workers}
    handler = TaskHandler([], CONFIG, scan_for_annotated_workers=app)
    names = [w.get_task_definition_name() for w in handler.workers]
    assert {"scan_billing", "scan_labels", "scan_extra"} <= set(names)
    assert len(names) == len(set(names))  # each registered function once


def test_without_scanning_decorated_functions_are_not_run(app):
    scan_for_annotated_workers(app)
    assert TaskHandler([], CONFIG).workers == []


def test_an_unknown_module_is_named_in_the_error():
    with pytest.raises(WorkerDiscoveryError, match="no_such_worker_module"):
        TaskHandler([], CONFIG, import_modules=["no_such_worker_module"])


def test_find_worker_files_lists_in_a_stable_order(app):
    found = [p.relative_to(app).as_posix() for p in find_worker_files(app)]
    assert found == [
        "alias.py",
        "billing_workers.py",
        "plain/helpers.py",
        "shipping/labels.py",
    ]
