"""Finding the worker to size and its sample inputs from what the user typed.

Only the public API that this SDK and conductor-python 2.0.0 share is used
(``conductor.client.worker.worker.Worker`` and
``conductor.client.automator.task_handler.get_registered_workers``), so this module also runs
in the worker side's processes under either SDK.
"""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class LoadError(ValueError):
    """What the user gave cannot be loaded; the message says which value and why."""


@dataclass(frozen=True)
class SizedWorker:
    """One worker to size: its own task name, the function that runs a task, and where from."""

    task_name: str
    function: Callable[..., Any]
    source: str  # MODULE:NAME, for the messages


def _import(module_name: str, what: str) -> Any:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # the user's modules, as `python -m` would find them
    try:
        return importlib.import_module(module_name)
    except Exception as error:  # the user's module failing to import is reported as such
        raise LoadError(
            f"{what}: cannot import {module_name}: {type(error).__name__}: {error}"
        ) from error


def _registered() -> list[Any]:
    from conductor.client.automator.task_handler import get_registered_workers

    return list(get_registered_workers())


def _is_worker(value: Any) -> bool:
    return hasattr(value, "execute_function") and hasattr(value, "task_definition_name")


def _task_name(worker: Any) -> str:
    name = worker.task_definition_name
    return str(name[0] if isinstance(name, list | tuple) else name)


def _decorated(function: Any) -> Any | None:
    """The registered worker of a decorated function (2.0.0 keeps a wrapper in the module,
    registered as its ``__wrapped__``; this SDK keeps the function itself)."""
    inner = getattr(function, "__wrapped__", None)
    for worker in _registered():
        if worker.execute_function is function or (inner and worker.execute_function is inner):
            return worker
    return None


def load_workers(spec: str) -> list[SizedWorker]:
    """``MODULE:NAME`` (a ``Worker``, a function, a decorated function) or ``MODULE`` (every
    function decorated in it) -> the workers to size."""
    module_name, _, attribute = spec.partition(":")
    if not module_name:
        raise LoadError(f"worker {spec!r}: give MODULE:NAME or MODULE (e.g. myapp.workers:greet)")
    module = _import(module_name, f"worker {spec!r}")
    if not attribute:
        found = [
            SizedWorker(_task_name(w), w.execute_function, f"{module_name}:{_task_name(w)}")
            for w in _registered()
            if getattr(w.execute_function, "__module__", None) == module.__name__
        ]
        if not found:
            raise LoadError(
                f"worker {spec!r}: {module_name} has no function decorated with @worker_task "
                "or @WorkerTask; name one with MODULE:NAME"
            )
        return found
    try:
        value = getattr(module, attribute)
    except AttributeError:
        raise LoadError(f"worker {spec!r}: {module_name} has no attribute {attribute!r}") from None
    if _is_worker(value):
        return [SizedWorker(_task_name(value), value.execute_function, spec)]
    if callable(value):
        registered = _decorated(value)
        name = _task_name(registered) if registered is not None else attribute
        function = registered.execute_function if registered is not None else value
        return [SizedWorker(name, function, spec)]
    raise LoadError(
        f"worker {spec!r} is a {type(value).__name__}: give a Worker, a function or a "
        "@worker_task function"
    )


def load_inputs(spec: str) -> Callable[[int], list[dict[str, Any]]]:
    """``FILE`` (a JSON list of task inputs, used round robin) or ``MODULE:FUNC`` (a function
    that returns an iterable of inputs, called again when it runs out) -> ``take(n)``, the
    next ``n`` inputs."""
    path = Path(spec)
    if path.is_file() or ":" not in spec:
        try:
            values = json.loads(path.read_text())
        except OSError as error:
            raise LoadError(f"--inputs {spec}: cannot read it: {error.strerror}") from None
        except ValueError as error:
            raise LoadError(f"--inputs {spec}: not JSON: {error}") from None
        if not isinstance(values, list) or not values:
            raise LoadError(f"--inputs {spec}: expected a non-empty JSON list of task inputs")
        return _taker(lambda: iter(values), f"--inputs {spec}")
    module_name, _, attribute = spec.partition(":")
    module = _import(module_name, f"--inputs {spec}")
    function = getattr(module, attribute, None)
    if not callable(function):
        raise LoadError(f"--inputs {spec}: {module_name} has no function {attribute!r}")
    return _taker(lambda: iter(function()), f"--inputs {spec}")


def _taker(
    restart: Callable[[], Iterator[Any]], what: str
) -> Callable[[int], list[dict[str, Any]]]:
    source = restart()

    def take(count: int) -> list[dict[str, Any]]:
        nonlocal source
        taken: list[dict[str, Any]] = []
        while len(taken) < count:
            batch = list(itertools.islice(source, count - len(taken)))
            if not batch:
                source = restart()
                batch = list(itertools.islice(source, count - len(taken)))
                if not batch:
                    raise LoadError(f"{what}: gave no inputs")
            for value in batch:
                if not isinstance(value, dict):
                    raise LoadError(f"{what}: an input is a {type(value).__name__}, not an object")
            taken += batch
        return taken

    return take
