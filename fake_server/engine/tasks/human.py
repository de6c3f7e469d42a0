"""HUMAN: wait for a person; the task is completed (or failed) by an update from outside,
``POST /tasks`` with its task id and workflow id, as a worker would."""

from __future__ import annotations

from fake_server.engine.tasks.base import SystemTask


class Human(SystemTask):
    task_type = "HUMAN"
