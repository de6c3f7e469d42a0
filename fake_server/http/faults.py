"""Faults injected on purpose, to test workers against a server that misbehaves.

A test (through ``POST /fake/faults``, ``AdminClient.faults`` or ``conductor_server.faults``)
adds rules; each request to the Conductor API (never the admin API or the console) is matched
against them:

- ``error``: answer ``status`` (500, 502, 503, 429, ...) with Conductor's error body instead of
  handling the request; with ``"after": true`` the request is handled first and its answer
  lost (an update applied whose answer never came back).
- ``latency``: answer ``ms`` later.
- ``hang``: hold the answer for ``seconds`` (as a server that stopped answering), then answer.
- ``duplicate``: a task handed out by a poll is handed out again to the next poll of its queue
  (two polls receive the same task).

A rule applies to a route by name (``poll``, ``batch_poll``, ``update``, ``update_v2``, or
``*`` for every API route) or to paths matching a glob (``/api/metadata/*``); it fires on every
match, on a share of them (``probability``), and/or a number of times (``times``). Draws come
from a random generator per rule seeded from the plan's seed and the rule's id, so the n-th
matching request of a rule meets the same fate in every run.

The ``outage`` (connections refused, or reset) is not a rule: the server's sockets fail for a
while (see :mod:`fake_server.outage`); the plan only records it for the stats and the console.
"""

from __future__ import annotations

import fnmatch
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fake_server import outage
from fake_server.engine.domains import queue_name
from fake_server.engine.errors import BadRequestError, invalid
from fake_server.engine.validation import Fields
from fake_server.http.errors import error_body
from fake_server.http.wire import Reply, Request, domain_arg, json_reply
from fake_server.outage import OutageClock

if TYPE_CHECKING:
    from fake_server.http.routes import Route

KINDS = ("error", "latency", "hang", "duplicate")
ANY_ROUTE = "*"
DEFAULT_SEED = 0
MAX_LATENCY_MS = 60_000
MAX_HANG_SECONDS = 300
MAX_OUTAGE_SECONDS = 300


@dataclass
class FaultRule:
    id: int
    kind: str
    route: str | None
    path: str | None
    probability: float | None
    times: int | None  # fires left; None: no limit
    status: int = 503
    after: bool = False
    ms: int = 0
    seconds: float = 0.0
    matched: int = 0
    injected: int = 0
    random: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, route: str, path: str) -> bool:
        if self.path is not None:
            return fnmatch.fnmatchcase(path, self.path)
        return self.route in (ANY_ROUTE, route)

    def fire(self) -> bool:
        """Counts a match and says whether the fault happens this time."""
        self.matched += 1
        if self.times is not None and self.times <= 0:
            return False
        if self.probability is not None and self.random.random() >= self.probability:
            return False
        if self.times is not None:
            self.times -= 1
        self.injected += 1
        return True

    def describe(self) -> str:
        if self.kind == "error":
            return f"answer {self.status}" + (" after handling the request" if self.after else "")
        if self.kind == "latency":
            return f"answer {self.ms} ms late"
        if self.kind == "hang":
            return f"hold the answer {self.seconds:g} s"
        return "hand the same task out twice"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "description": self.describe(),
            "route": self.route,
            "path": self.path,
            "probability": self.probability,
            "timesLeft": self.times,
            "matched": self.matched,
            "injected": self.injected,
        }
        if self.kind == "error":
            body.update(status=self.status, after=self.after)
        elif self.kind == "latency":
            body["ms"] = self.ms
        elif self.kind == "hang":
            body["seconds"] = self.seconds
        return {key: value for key, value in body.items() if value is not None}


@dataclass(frozen=True)
class Outage:
    mode: str
    start: float  # epoch seconds
    end: float


@dataclass
class Decision:
    """What the faults do to one request."""

    delay_seconds: float = 0.0
    hang_seconds: float = 0.0
    error: FaultRule | None = None  # answer its status instead of (or after) handling


class FaultPlan:
    """The fault rules of one server, thread safe."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        # Set by the server that serves the app: makes an outage (mode, seconds).
        self.outage_handler: Callable[[str, float], None] | None = None
        self.outage_clock = OutageClock()
        self._lock = threading.Lock()
        self._released = threading.Event()  # set to end hung answers early (reset, stop)
        self._seed = seed
        self._next_id = 1
        self._rules: list[FaultRule] = []
        self._duplicates: dict[str, deque[dict[str, Any]]] = {}
        self._outages: list[Outage] = []

    # -- set-up (admin API) --------------------------------------------------------------------
    def add(self, spec: Any, routes: Iterable[str]) -> dict[str, Any]:
        """Adds a rule from its JSON form (see the module docstring); ``routes`` are the route
        names of the API. Returns the rule's JSON, with its id."""
        rule = _parse_rule(spec, list(routes), 0)
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            rule.random = random.Random(f"{self._seed}:{rule.id}")
            self._rules.append(rule)
            return rule.to_json()

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [rule for rule in self._rules if rule.id != rule_id]
            return len(self._rules) < before

    def clear(self, *, seed: int | None = None) -> None:
        """Drops every rule and pending duplicate, ends hung answers; a new ``seed`` applies to
        the rules added after."""
        with self._lock:
            self._rules.clear()
            self._duplicates.clear()
            self._outages.clear()
            self._next_id = 1
            if seed is not None:
                self._seed = seed
            released, self._released = self._released, threading.Event()
        released.set()

    def set_seed(self, seed: int) -> None:
        """Seeds the rules added from now on (each rule draws from its own generator)."""
        with self._lock:
            self._seed = seed

    def release(self) -> None:
        """Ends every hung answer now (the server is stopping)."""
        self._released.set()

    def begin_outage(self, mode: str, seconds: float) -> None:
        """Makes an outage through the server's handler (see :mod:`fake_server.outage`)."""
        handler = self.outage_handler
        if handler is None:
            raise BadRequestError(
                "not supported by the fake server: an outage on this server (it runs inside "
                "another program's HTTP server)"
            )
        now = time.time()
        handler(mode, seconds)
        with self._lock:
            self._outages.append(Outage(mode, now, now + seconds))

    @property
    def active(self) -> bool:
        """Whether any rule, pending duplicate or outage exists (else requests skip the
        faults)."""
        return bool(self._rules or self._duplicates or self.outage_clock.active)

    # -- per request ---------------------------------------------------------------------------
    def answer(
        self, route: Route, request: Request, params: Mapping[str, Any], handle: Callable[[], Reply]
    ) -> Reply:
        """The reply to a request under the faults: during a reset outage, none (every
        request waits while its connection is reset); for the API, delayed, hung, an error
        instead of (or after) ``handle()``, a task handed out again."""
        if self.outage_clock.active:
            self.outage_clock.hold()  # its connection is reset meanwhile: no answer arrives
            return json_reply(error_body(503, "the fake server is in an outage"), 503)
        if not route.is_api:
            return handle()
        return self._answer_api(route.name, request, params, handle)

    def _answer_api(
        self, route: str, request: Request, params: Mapping[str, Any], handle: Callable[[], Reply]
    ) -> Reply:
        decision = self.decide(route, request.path)
        if decision is not None:
            self.wait(decision.delay_seconds + decision.hang_seconds)
            if decision.error is not None and not decision.error.after:
                return _error_reply(decision.error, request)
        queue = _polled_queue(route, request, params)
        if queue is not None:
            again = self.take_duplicates(queue, _poll_count(route, request))
            if again:
                return json_reply(again if route == "batch_poll" else again[0])
        reply = handle()
        if decision is not None and decision.error is not None:
            return _error_reply(decision.error, request)
        handed_out = _tasks_in(route, reply)
        if handed_out and self.duplicates(route, request.path):
            for task in handed_out:
                self.remember_duplicates(queue_name(task["taskType"], task.get("domain")), [task])
        return reply

    def decide(self, route: str, path: str) -> Decision | None:
        """The faults for a request to ``route`` at ``path``; None when there are none (the
        common case costs one check of an empty list)."""
        if not self._rules:
            return None
        decision = Decision()
        with self._lock:
            for rule in self._rules:
                if rule.kind == "duplicate" or not rule.applies_to(route, path):
                    continue
                if not rule.fire():
                    continue
                if rule.kind == "latency":
                    decision.delay_seconds += rule.ms / 1000
                elif rule.kind == "hang":
                    decision.hang_seconds = max(decision.hang_seconds, rule.seconds)
                elif decision.error is None:
                    decision.error = rule
        return decision

    def duplicates(self, route: str, path: str) -> bool:
        """Whether the tasks a poll of ``route`` just handed out go out once more (asked only
        when it handed some out, so ``times`` counts real duplicates)."""
        if not self._rules:
            return False
        with self._lock:
            rules = [r for r in self._rules if r.kind == "duplicate" and r.applies_to(route, path)]
            return any([rule.fire() for rule in rules])

    def wait(self, seconds: float) -> None:
        """Sleeps for a latency or a hang, ended early by :meth:`clear` or :meth:`release`."""
        if seconds > 0:
            self._released.wait(seconds)

    def remember_duplicates(self, queue: str, tasks: list[dict[str, Any]]) -> None:
        with self._lock:
            self._duplicates.setdefault(queue, deque()).extend(tasks)

    def take_duplicates(self, queue: str, count: int) -> list[dict[str, Any]]:
        """Tasks already handed out that the next poll of ``queue`` receives again."""
        if not self._duplicates:
            return []
        with self._lock:
            pending = self._duplicates.get(queue)
            taken: list[dict[str, Any]] = []
            while pending and len(taken) < count:
                taken.append(pending.popleft())
            return taken

    # -- reporting -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            current = [o for o in self._outages if o.start <= now < o.end]
            return {
                "seed": self._seed,
                "rules": [rule.to_json() for rule in self._rules],
                "outages": len(self._outages),
                "outage": (
                    {"mode": current[-1].mode, "until": int(current[-1].end * 1000)}
                    if current
                    else None
                ),
                "pendingDuplicates": sum(len(q) for q in self._duplicates.values()),
            }


def _error_reply(rule: FaultRule, request: Request) -> Reply:
    message = f"fault injected by the fake server (rule {rule.id}): {rule.describe()}"
    body = error_body(rule.status, message)
    body["retryable"] = rule.status >= 500 or rule.status == 429
    return json_reply(body, rule.status)


def _polled_queue(route: str, request: Request, params: Mapping[str, Any]) -> str | None:
    if route not in ("poll", "batch_poll"):
        return None
    return queue_name(str(params.get("task_type")), domain_arg(request))


def _poll_count(route: str, request: Request) -> int:
    if route != "batch_poll":
        return 1
    try:
        return max(1, int(request.arg("count") or "1"))
    except ValueError:
        return 1


def _tasks_in(route: str, reply: Reply) -> list[dict[str, Any]]:
    """The tasks a poll or an update-v2 handed out in ``reply``."""
    if route not in ("poll", "batch_poll", "update_v2") or reply.status != 200 or not reply.body:
        return []
    value = json.loads(reply.body)
    tasks = value if isinstance(value, list) else [value]
    return [task for task in tasks if isinstance(task, dict) and "taskType" in task]


def _parse_rule(spec: Any, routes: list[str], rule_id: int) -> FaultRule:
    f = Fields(spec, "fault")
    kind = f.choice("kind", KINDS)
    if kind is None:
        raise invalid("fault.kind", f"is required, one of {', '.join(KINDS)}")
    route = f.choice("route", [*routes, ANY_ROUTE])
    path = f.string("path")
    if (route is None) == (path is None):
        raise invalid(
            "fault",
            f"give exactly one of 'route' (one of {', '.join([*routes, ANY_ROUTE])}) or 'path' "
            "(a glob such as /api/metadata/*)",
        )
    if path is not None and not path.startswith("/api/"):
        raise invalid("fault.path", "must start with /api/ (faults apply to the API only)", path)
    probability = f.number("probability", default=-1.0, minimum=0)
    if probability > 1:
        raise invalid("fault.probability", "must be between 0 and 1", probability)
    rule = FaultRule(
        id=rule_id,
        kind=kind,
        route=route,
        path=path,
        probability=None if probability < 0 else probability,
        times=f.integer("times", minimum=1),
    )
    if kind == "error":
        rule.status = f.integer("status", default=503, minimum=400, maximum=599)
        rule.after = f.boolean("after")
    elif kind == "latency":
        rule.ms = f.integer("ms", minimum=1, maximum=MAX_LATENCY_MS)
        if rule.ms is None:
            raise invalid("fault.ms", "is required for a latency fault (milliseconds)")
    elif kind == "hang":
        rule.seconds = f.number("seconds", default=30.0, minimum=0)
        if rule.seconds > MAX_HANG_SECONDS:
            raise invalid("fault.seconds", f"must be <= {MAX_HANG_SECONDS}", rule.seconds)
    _reject_unknown(f.data, kind)
    return rule


_COMMON_KEYS = {"kind", "route", "path", "probability", "times"}
_KEYS = {
    "error": {"status", "after"},
    "latency": {"ms"},
    "hang": {"seconds"},
    "duplicate": set(),
}


def _reject_unknown(data: Mapping[str, Any], kind: str) -> None:
    allowed = _COMMON_KEYS | _KEYS[kind]
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid(
            f"fault.{unknown[0]}",
            f"is not a field of a {kind} fault (fields: {', '.join(sorted(allowed))})",
            data[unknown[0]],
        )


def parse_outage(spec: Any) -> tuple[str, float]:
    f = Fields(spec, "outage")
    seconds = f.number("seconds", default=-1.0, minimum=0)
    if seconds <= 0 or seconds > MAX_OUTAGE_SECONDS:
        raise invalid(
            "outage.seconds", f"is required, more than 0 and at most {MAX_OUTAGE_SECONDS}"
        )
    mode = f.choice("mode", outage.MODES, default="refuse")
    return mode, seconds
