"""Task-to-domain routing: which domain (queue) a newly scheduled task goes to.

- ``taskToDomain`` maps task types to domains; ``"*"`` applies to every task, an entry for the
  task's own type overrides it.
- A value may be a comma-separated fallback list such as ``"gpu,cpu,NO_DOMAIN"``: entries are
  trimmed, ``NO_DOMAIN`` is skipped, and the first domain with an active worker wins (a poll for
  that task type and domain within the last 10 seconds).
- When no listed domain has an active worker: if the last entry is ``NO_DOMAIN`` the task gets
  no domain, otherwise it gets the last entry anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

NO_DOMAIN = "NO_DOMAIN"
ACTIVE_WORKER_WINDOW_MS = 10_000


def queue_name(task_type: str, domain: str | None) -> str:
    """Conductor's queue name: the task type, prefixed by ``domain:`` when there is one."""
    return f"{domain}:{task_type}" if domain else task_type


def resolve_domain(
    task_to_domain: Mapping[str, str] | None,
    task_type: str,
    has_active_worker: Callable[[str, str], bool],
) -> str | None:
    """The domain for a task of ``task_type``; ``has_active_worker(task_type, domain)`` says
    whether a worker polled that domain recently."""
    if not task_to_domain:
        return None
    mapping = task_to_domain.get(task_type) or task_to_domain.get("*")
    if not mapping:
        return None
    entries = [entry.strip() for entry in mapping.split(",") if entry.strip()]
    if not entries:
        return None
    candidates = [entry for entry in entries if entry != NO_DOMAIN]
    for domain in candidates:
        if has_active_worker(task_type, domain):
            return domain
    if entries[-1] == NO_DOMAIN:
        return None
    return entries[-1]
