"""How a function worker's function is called: what each of its parameters receives.

Decided once per function, from its signature:

- no parameter (``*args`` aside): called without arguments;
- one positional parameter that is annotated ``Task``, annotated ``object``, or not annotated:
  the ``Task`` itself (as every conductor-python release does). When such a parameter is not
  annotated and the input has a key of its name (``def greet(name)``), that is most likely a
  mistake: it is warned about once per worker, with the fix;
- one positional parameter annotated ``dict`` (``Dict[...]``, ``Mapping[...]``): the input of
  its name when the input has that key, else the whole ``input_data``;
- one positional-only parameter otherwise: the whole ``input_data``;
- anything else: each parameter gets the input of its name, converted to its annotation
  (see ``convert``). A missing input gets the parameter's default, else ``None``. A parameter
  annotated ``Task`` gets the Task, ``**kwargs`` gets the inputs no parameter names, and
  positional-only parameters are passed by position.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import datetime
import decimal
import functools
import inspect
import logging
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from conductor.client.http.models.task import Task

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_EMPTY = inspect.Parameter.empty
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SEQUENCES = (
    list,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Collection,
    collections.abc.Iterable,
)
# Classes that a dict is never turned into: values of these annotations are passed as they are.
_NOT_BUILT_FROM_DICTS = (
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    list,
    tuple,
    set,
    frozenset,
    dict,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
    Enum,
    collections.abc.Mapping,
    collections.abc.Collection,
    Task,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Parameter:
    name: str
    kind: inspect._ParameterKind
    annotation: Any
    default: Any  # inspect.Parameter.empty when there is none

    @property
    def has_default(self) -> bool:
        return self.default is not _EMPTY

    @property
    def wants_task(self) -> bool:
        return _is_task_annotation(self.annotation)

    def describe(self) -> str:
        if self.kind is inspect.Parameter.VAR_KEYWORD:
            return "the other inputs"
        if self.wants_task:
            return "the Task"
        target = _type_name(self.annotation)
        return f'input["{self.name}"]' + (f" as {target}" if target else "")


@dataclass(frozen=True)
class CallPlan:
    """How one function is called: ``style`` is ``task``, ``input``, ``mapping``, ``nothing``
    or ``named`` (see the module doc)."""

    function_name: str
    style: str
    parameters: tuple[_Parameter, ...] = ()
    # The lone unannotated parameter that gets the Task, until its name is seen among the
    # inputs (then warned about once: emptied).
    unannotated: list[str] = field(default_factory=list, compare=False)

    def call(self, function: Callable[..., Any], task: Task) -> Any:
        inputs = task.input_data or {}
        if self.style == "task":
            if self.unannotated and self.unannotated[0] in inputs:
                self._warn_task_not_input(task, self.unannotated.pop())
            return function(task)
        if self.style == "input":
            return function(inputs)
        if self.style == "nothing":
            return function()
        if self.style == "mapping":
            (parameter,) = self.parameters
            if parameter.name in inputs:
                return function(convert(parameter.annotation, inputs[parameter.name]))
            return function(inputs)
        args, kwargs = self._arguments(task, inputs)
        return function(*args, **kwargs)

    def _warn_task_not_input(self, task: Task, name: str) -> None:
        function = self.function_name.rsplit(".", 1)[-1]  # as it is written in its def
        logger.warning(
            "Worker %s: %s(%s) receives the Task (a lone parameter without annotation), but "
            'the input has a key %r: to receive input["%s"], annotate it (%s(%s: str), or its '
            "type); to keep the Task, say so (%s(task: Task))",
            task.task_def_name or task.task_type,
            function,
            name,
            name,
            name,
            function,
            name,
            function,
        )

    def _arguments(self, task: Task, inputs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        named = {p.name for p in self.parameters}
        for parameter in self.parameters:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                kwargs.update((k, v) for k, v in inputs.items() if k not in named)
                continue
            if parameter.wants_task:
                value: Any = task
            elif parameter.name in inputs:
                value = convert(parameter.annotation, inputs[parameter.name])
            elif parameter.has_default:
                if parameter.kind is not inspect.Parameter.POSITIONAL_ONLY:
                    continue
                value = parameter.default  # by position: the ones after it may be given
            else:
                value = None
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[parameter.name] = value
        return args, kwargs

    def describe(self) -> str:
        """One line for the log, e.g. ``greet(name) <- input["name"]``."""
        names = ", ".join(
            ("**" if p.kind is inspect.Parameter.VAR_KEYWORD else "") + p.name
            for p in self.parameters
        )
        head = f"{self.function_name}({names})"
        if self.style == "task":
            return f"{head} <- the Task"
        if self.style == "input":
            return f"{head} <- the whole input"
        if self.style == "nothing":
            return f"{head} <- nothing"
        if self.style == "mapping":
            (parameter,) = self.parameters
            return f'{head} <- input["{parameter.name}"] if present, else the whole input'
        return f"{head} <- " + ", ".join(p.describe() for p in self.parameters)


def plan_call(function: Callable[..., Any]) -> CallPlan:
    """Works out once how ``function`` is called (see the module doc)."""
    name = getattr(function, "__qualname__", None) or type(function).__name__
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: pass the input
        return CallPlan(name, "input")
    hints = _annotations(function, signature)
    parameters = tuple(
        _Parameter(p.name, p.kind, hints.get(p.name, _EMPTY), p.default)
        for p in signature.parameters.values()
        if p.kind is not inspect.Parameter.VAR_POSITIONAL
    )
    if not parameters:
        return CallPlan(name, "nothing")
    if len(parameters) == 1 and parameters[0].kind in _POSITIONAL:
        (parameter,) = parameters
        if _takes_task_alone(parameter.annotation):
            unannotated = [parameter.name] if parameter.annotation is _EMPTY else []
            return CallPlan(name, "task", parameters, unannotated)
        if _is_mapping_annotation(parameter.annotation):
            return CallPlan(name, "mapping", parameters)
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            return CallPlan(name, "input", parameters)
    return CallPlan(name, "named", parameters)


# -- converting inputs to annotations ------------------------------------------------------


def convert(annotation: Any, value: Any) -> Any:
    """``value`` (from the task's JSON input) as ``annotation`` asks for it.

    Dicts become dataclasses (nested ones too, missing fields get their default, else
    ``None``; unknown keys are ignored), pydantic models (``model_validate``) or other
    classes (through their ``__init__`` parameters); lists, dicts, ``Optional[...]`` and
    ``X | None`` are followed into. Anything else, simple types included, is passed as it is.
    """
    if value is None or annotation in (_EMPTY, Any, object):
        return value
    origin = typing.get_origin(annotation)
    if origin is not None:
        return _convert_generic(annotation, origin, value)
    if not isinstance(annotation, type) or isinstance(value, annotation):
        return value
    if not isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(annotation):
        return _build_dataclass(annotation, value)
    validate = getattr(annotation, "model_validate", None)
    if callable(validate):
        return validate(value)
    if _may_build_from_dict(annotation):
        return _build_from_init(annotation, value)
    return value


def _convert_generic(annotation: Any, origin: Any, value: Any) -> Any:
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        candidates = [a for a in args if a is not type(None)]
        return convert(candidates[0], value) if len(candidates) == 1 else value
    if origin is typing.Annotated:
        return convert(args[0], value)
    if origin in _MAPPINGS and isinstance(value, dict):
        item = args[1] if len(args) == 2 else Any
        return {key: convert(item, entry) for key, entry in value.items()}
    if not isinstance(value, list):
        return value
    if origin in _SEQUENCES:
        return [convert(args[0] if args else Any, entry) for entry in value]
    if origin in (set, frozenset, collections.abc.Set, collections.abc.MutableSet):
        items = [convert(args[0] if args else Any, entry) for entry in value]
        return frozenset(items) if origin is frozenset else set(items)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(convert(args[0], entry) for entry in value)
        if len(args) == len(value):
            return tuple(convert(a, entry) for a, entry in zip(args, value, strict=True))
        return tuple(value)
    return value


def _build_dataclass(cls: type, data: dict[str, Any]) -> Any:
    hints = _class_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in data:
            kwargs[f.name] = convert(hints.get(f.name, Any), data[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kwargs[f.name] = None
    return cls(**kwargs)


def _build_from_init(cls: type, data: dict[str, Any]) -> Any:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return data
    hints = _class_hints(getattr(cls, "__init__"))  # noqa: B009  (mypy: no instance access)
    kwargs: dict[str, Any] = {}
    named = set(signature.parameters)
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            kwargs.update((k, v) for k, v in data.items() if k not in named)
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        elif parameter.name in data:
            kwargs[parameter.name] = convert(hints.get(parameter.name, Any), data[parameter.name])
        elif parameter.default is _EMPTY:
            kwargs[parameter.name] = None
    return cls(**kwargs)


def _may_build_from_dict(cls: type) -> bool:
    return cls.__module__ not in ("builtins", "typing", "collections.abc") and not issubclass(
        cls, _NOT_BUILT_FROM_DICTS
    )


# -- annotations ---------------------------------------------------------------------------


def _annotations(function: Callable[..., Any], signature: inspect.Signature) -> dict[str, Any]:
    """Each parameter's annotation, resolved from text (``from __future__ import annotations``)
    where that is possible; an annotation that cannot be resolved stays text."""
    target = function
    while isinstance(target, functools.partial):
        target = target.func
    if not inspect.isroutine(target) and callable(target):
        target = type(target).__call__  # an instance with __call__
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # an unresolvable name: resolve each annotation on its own
        hints = {}
    resolved: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        annotation = hints.get(parameter.name, parameter.annotation)
        if isinstance(annotation, str):
            annotation = _evaluate(annotation, target)
        resolved[parameter.name] = annotation
    return resolved


def _evaluate(text: str, function: Any) -> Any:
    namespace: dict[str, Any] = dict(getattr(function, "__globals__", {}))
    with contextlib.suppress(TypeError, ValueError):
        namespace.update(inspect.getclosurevars(function).nonlocals)
    try:
        return eval(text, namespace)  # noqa: S307  (the function's own annotation)
    except Exception:  # a name not importable here: the annotation stays text, not a type
        return text


def _class_hints(target: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:  # any annotation it cannot resolve fails them all: then none is known
        return {}


def _is_task_annotation(annotation: Any) -> bool:
    """Annotated ``Task`` (or a subclass, or the text ``Task`` that could not be resolved)."""
    if isinstance(annotation, type):
        return issubclass(annotation, Task)
    return isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "Task"


def _takes_task_alone(annotation: Any) -> bool:
    """A lone parameter gets the Task when annotated ``Task`` or ``object``, or not at all."""
    return (
        annotation in (_EMPTY, object)
        or _is_task_annotation(annotation)
        or (isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "object")
    )


def _is_mapping_annotation(annotation: Any) -> bool:
    return annotation in _MAPPINGS or typing.get_origin(annotation) in _MAPPINGS


def _type_name(annotation: Any) -> str:
    """The annotation's name when the input is converted to it, else ``""``."""
    if annotation in (_EMPTY, Any, object) or isinstance(annotation, str):
        return ""
    if isinstance(annotation, type):
        converted = dataclasses.is_dataclass(annotation) or (
            _may_build_from_dict(annotation) or hasattr(annotation, "model_validate")
        )
        return annotation.__name__ if converted else ""
    if typing.get_origin(annotation) is not None:
        inner = [_type_name(a) for a in typing.get_args(annotation)]
        return str(annotation).replace("typing.", "") if any(inner) else ""
    return ""
