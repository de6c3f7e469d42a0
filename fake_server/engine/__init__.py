"""The fake Conductor's engine: state and rules, no HTTP (it never imports Flask).

Where to look:

- :mod:`.facade`: :class:`Engine`, every public operation (what the HTTP handlers call).
- :mod:`.state`: what an engine holds, and the bookkeeping every task change goes through.
- :mod:`.scheduling`: where a task is created, given its input and domain, and queued.
- :mod:`.decider`: the decider, starting a workflow, moving on after a task, ending it.
- :mod:`.polling`: handing tasks out to workers; poll data; concurrency and rate limits.
- :mod:`.results`: applying a worker's TaskResult.
- :mod:`.retries`: what follows a failure: a retry, or giving up.
- :mod:`.timeouts`: deadlines, and the checks that time tasks and workflows out.
- :mod:`.timers`: what the engine waits for (work under way, the next timer of each kind);
  :mod:`.skipping`: time skipping, which jumps the clock to that timer when nothing is under way.
- :mod:`.inspection`: queue sizes, poll data, the admin API's stats and state.
- :mod:`.definitions`, :mod:`.models`: task and workflow definitions, task and workflow records.
- :mod:`.expressions` (``${...}`` inputs), :mod:`.domains` (task-to-domain routing),
  :mod:`.queues`, :mod:`.stats`, :mod:`.clock`, :mod:`.errors`, :mod:`.validation`.
- :mod:`.tasks`: system task types, one module each.
"""

from typing import TYPE_CHECKING, Any

from fake_server.engine.clock import ManualClock, SkippingClock, SystemClock

if TYPE_CHECKING:
    from fake_server.engine.facade import Engine

__all__ = ["Engine", "ManualClock", "SkippingClock", "SystemClock"]


def __getattr__(name: str) -> Any:
    # Imported on first use: a module of the engine (errors, clock...) imported alone loads
    # itself and what it imports, not the whole engine through this package.
    if name == "Engine":
        from fake_server.engine.facade import Engine

        return Engine
    raise AttributeError(f"module 'fake_server.engine' has no attribute {name!r}")
