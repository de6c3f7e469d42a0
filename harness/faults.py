"""Scripting the fake server's faults from a test: ``conductor_server.faults`` (or
``AdminClient(url).faults``).

::

    faults = conductor_server.faults
    faults.error("update", status=503, probability=0.2)   # a fifth of updates answer 503
    faults.error("batch_poll", status=500, times=3)       # the next three batch polls fail
    faults.latency("batch_poll", ms=2000)                 # every batch poll answers 2 s late
    faults.hang("update", seconds=20, times=1)            # one update gets no answer for 20 s
    faults.duplicate(times=1)                             # one task is handed out twice
    faults.outage(seconds=5)                              # connections refused for 5 s
    faults.outage(seconds=5, mode="reset")                # connections reset for 5 s
    faults.clear()

Routes are named as the fake server's routing table names them: ``poll``, ``batch_poll``,
``update``, ``update_v2``, or ``"*"`` for every API route; ``path="/api/metadata/*"`` picks
routes by a glob on their path instead. Draws are seeded (``faults.seed(7)`` before adding
rules): the n-th request a rule matches meets the same fate in every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from harness.waiting import wait_until

if TYPE_CHECKING:
    from harness.admin import AdminClient


class FaultsClient:
    def __init__(self, admin: AdminClient) -> None:
        self._admin = admin

    # -- rules ----------------------------------------------------------------------------------
    def error(
        self,
        route: str | None = None,
        status: int = 503,
        *,
        path: str | None = None,
        probability: float | None = None,
        times: int | None = None,
        after: bool = False,
    ) -> dict[str, Any]:
        """Answer ``status`` instead of handling the request; ``after=True`` handles it first
        and loses the answer (an update applied that the worker believes failed)."""
        return self._add("error", route, path, probability, times, status=status, after=after)

    def latency(
        self,
        route: str | None = None,
        ms: int = 1000,
        *,
        path: str | None = None,
        probability: float | None = None,
        times: int | None = None,
    ) -> dict[str, Any]:
        """Answer ``ms`` milliseconds late."""
        return self._add("latency", route, path, probability, times, ms=ms)

    def hang(
        self,
        route: str | None = None,
        seconds: float = 30.0,
        *,
        path: str | None = None,
        probability: float | None = None,
        times: int | None = None,
    ) -> dict[str, Any]:
        """Hold the answer ``seconds`` (a server that stopped answering), then answer."""
        return self._add("hang", route, path, probability, times, seconds=seconds)

    def duplicate(
        self,
        route: str = "*",
        *,
        probability: float | None = None,
        times: int | None = None,
    ) -> dict[str, Any]:
        """Hand the tasks of a poll (or an update-v2's next task) out once more, to the next
        poll of the same queue."""
        return self._add("duplicate", route, None, probability, times)

    def _add(
        self,
        kind: str,
        route: str | None,
        path: str | None,
        probability: float | None,
        times: int | None,
        **fields: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, **fields}
        if path is not None:
            body["path"] = path
        else:
            body["route"] = route or "*"
        if probability is not None:
            body["probability"] = probability
        if times is not None:
            body["times"] = times
        rule: dict[str, Any] = self._admin.fake("POST", "/faults", json=body).json()
        return rule

    # -- outages ----------------------------------------------------------------------------------
    def outage(self, seconds: float, *, mode: str = "refuse", wait: bool = True) -> None:
        """Fail the server's connections for ``seconds``: new ones are refused
        (``mode="refuse"``: the port stops listening) or accepted and reset (``"reset"``), and
        open ones are reset; the same on every backend. With ``wait`` (default), returns once
        the outage has begun."""
        self._admin.fake("POST", "/faults/outage", json={"seconds": seconds, "mode": mode})
        if wait:
            wait_until(
                lambda: not self._answers(),
                timeout=10,
                message=f"the {mode} outage of the fake server to begin",
            )

    def wait_for_recovery(self, timeout: float = 60.0) -> None:
        """Returns once the server answers again after an outage."""
        wait_until(self._answers, timeout=timeout, message="the fake server to answer again")

    def _answers(self) -> bool:
        try:
            requests.get(self._admin.api_url + "/health", timeout=1)
        except requests.RequestException:
            return False
        return True

    # -- the plan ---------------------------------------------------------------------------------
    def seed(self, seed: int) -> None:
        """Seeds the rules added from now on."""
        self._admin.fake("POST", "/faults/seed", json={"seed": seed})

    def clear(self) -> None:
        """Removes every rule (hung answers end now)."""
        self._admin.fake("DELETE", "/faults")

    def remove(self, rule_id: int) -> None:
        self._admin.fake("DELETE", f"/faults/{rule_id}")

    def plan(self) -> dict[str, Any]:
        """``{"seed", "rules": [{..., "matched", "injected"}], "outages", "outage"}``."""
        plan: dict[str, Any] = self._admin.fake("GET", "/faults").json()
        return plan

    def injected(self) -> int:
        """How many times the rules fired, all together."""
        return sum(rule["injected"] for rule in self.plan()["rules"])
