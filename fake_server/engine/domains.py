"""Task-to-domain routing: which domain (queue) a newly scheduled task goes to, as Conductor's
``WorkflowExecutorOps.setTaskDomains`` and ``getActiveDomain`` decide it.

- ``taskToDomain`` maps task types to domains. A ``"*"`` entry that is not blank applies to
  every task; an entry for the task's own type, when present (even empty), overrides it.
- A value is a comma-separated fallback list such as ``"gpu,cpu,NO_DOMAIN"``: the first entry
  (trimmed) with an active worker wins (a poll for that task type and domain within the last
  10 seconds); entries that are ``NO_DOMAIN`` in any case are skipped.
- When no entry has an active worker: if the last one is ``NO_DOMAIN`` the task gets no domain,
  otherwise it gets the last entry anyway, even an empty one.
- A domain is part of the queue's name (``domain:type``); an empty domain is a domain too, so a
  task with domain ``""`` sits in the queue ``":type"``, which only a poll with a blank
  ``domain=`` reaches (as on Conductor, where such a worker starves for plain tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

NO_DOMAIN = "NO_DOMAIN"
ACTIVE_WORKER_WINDOW_MS = 10_000


def queue_name(task_type: str, domain: str | None) -> str:
    """Conductor's queue name: the task type, prefixed by ``domain:`` when there is one."""
    return task_type if domain is None else f"{domain}:{task_type}"


def resolve_domain(
    task_to_domain: Mapping[str, str] | None,
    task_type: str,
    has_active_worker: Callable[[str, str], bool],
) -> str | None:
    """The domain for a task of ``task_type``; ``has_active_worker(task_type, domain)`` says
    whether a worker polled that domain recently."""
    if not task_to_domain:
        return None
    mapping = task_to_domain.get(task_type)
    if mapping is None:
        mapping = task_to_domain.get("*")
        if mapping is None or not mapping.strip():
            return None
    entries = mapping.split(",")
    for entry in entries:
        if entry.upper() != NO_DOMAIN and has_active_worker(task_type, entry.strip()):
            return entry.strip()
    last = entries[-1].strip()
    return None if last.upper() == NO_DOMAIN else last
