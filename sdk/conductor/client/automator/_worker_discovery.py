"""Finding ``@WorkerTask`` functions: scanning the application's folder, importing modules.

Scanning imports every ``.py`` file under the application's root folder (the main script's
folder, else the current directory) whose text applies the decorator (``@WorkerTask`` or
``@worker_task``); other files are never imported. Skipped: the main script itself (its
workers are already registered), files already imported, hidden folders, ``__pycache__``,
``site-packages``, ``dist-packages``, ``node_modules`` and virtual environments (folders with a
``pyvenv.cfg``).

Files are imported under their dotted path relative to the root (``workers/billing.py`` ->
``workers.billing``), with the root on ``sys.path``, so that their functions can be sent by
reference to worker processes under every start method. A file that applies the decorator but
fails to import is logged at ERROR with its error, and the scan raises ``WorkerDiscoveryError``
naming every such file: a worker is never silently left out.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

_DECORATOR = re.compile(r"^[ \t]*@[ \t]*(?:[\w.]+\.)?(?:WorkerTask|worker_task)\b", re.MULTILINE)
SKIPPED_FOLDERS = frozenset({"__pycache__", "site-packages", "dist-packages", "node_modules"})


class WorkerDiscoveryError(ImportError):
    """A module that declares workers could not be imported."""


def application_root() -> Path:
    """The folder of the main script, or the current directory when there is none."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file:
        return Path(main_file).resolve().parent
    return Path.cwd().resolve()


def scan_for_annotated_workers(root: str | os.PathLike[str] | None = None) -> list[str]:
    """Imports the files under ``root`` that declare workers; returns their module names."""
    folder = Path(root).resolve() if root is not None else application_root()
    if not folder.is_dir():
        raise WorkerDiscoveryError(f"cannot scan {folder} for workers: it is not a folder")
    loaded = _loaded_files()
    imported: list[str] = []
    failures: list[tuple[Path, BaseException]] = []
    for path in find_worker_files(folder):
        if os.path.realpath(path) in loaded:
            continue
        try:
            imported.append(_import_file(path, folder))
        except Exception as error:  # any error in the user's module is reported, then raised
            logger.error(
                "Cannot import %s, which declares workers: %s: %s",
                path,
                type(error).__name__,
                error,
                exc_info=error,
            )
            failures.append((path, error))
    if failures:
        raise WorkerDiscoveryError(_failure_message(failures))
    if imported:
        logger.debug("Imported worker modules: %s", ", ".join(imported))
    return imported


def import_worker_modules(names: Iterable[str]) -> None:
    """Imports modules by name (``import_modules=[...]``), so their decorators register."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:
            logger.error("Cannot import worker module %r: %s", name, error, exc_info=error)
            raise WorkerDiscoveryError(
                f"cannot import worker module {name!r}: {type(error).__name__}: {error}"
            ) from error


def find_worker_files(root: Path) -> Iterator[Path]:
    """The ``.py`` files under ``root`` whose text applies the worker decorator."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not _skipped(Path(folder, d)))
        for name in sorted(files):
            if name.endswith(".py") and _declares_workers(Path(folder, name)):
                yield Path(folder, name)


def _skipped(folder: Path) -> bool:
    return (
        folder.name.startswith(".")
        or folder.name in SKIPPED_FOLDERS
        or (folder / "pyvenv.cfg").exists()
    )


def _declares_workers(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        logger.warning("Cannot read %s while scanning for workers: %s", path, error)
        return False
    return _DECORATOR.search(text) is not None


def _loaded_files() -> set[str]:
    files = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            files.add(os.path.realpath(file))
    return files


def _import_file(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    name = ".".join(parts)
    if parts and all(part.isidentifier() for part in parts):
        _ensure_on_path(root)
        module = importlib.import_module(name)
        if os.path.realpath(getattr(module, "__file__", "") or "") == os.path.realpath(path):
            return name
        # That name belongs to another module (an installed package, say): load the file itself.
    return _import_by_location(path, root)


def _import_by_location(path: Path, root: Path) -> str:
    """Loads a file whose path is no importable module name. Its workers run under ``fork``;
    under ``spawn``/``forkserver`` the worker process cannot import it again by name."""
    relative = path.relative_to(root).with_suffix("").as_posix()
    name = "_conductor_scanned_" + re.sub(r"\W", "_", relative)
    if name in sys.modules:
        return name
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return name


def _ensure_on_path(root: Path) -> None:
    resolved = {os.path.realpath(entry or os.getcwd()) for entry in sys.path}
    if os.path.realpath(root) not in resolved:
        sys.path.append(str(root))


def _failure_message(failures: list[tuple[Path, BaseException]]) -> str:
    lines = [f"{path}: {type(error).__name__}: {error}" for path, error in failures]
    return (
        "cannot import the following files, which declare workers (fix them, or move them "
        "out of the scanned folder):\n  " + "\n  ".join(lines)
    )
