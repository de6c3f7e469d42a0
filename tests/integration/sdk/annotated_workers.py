"""A decorated worker, imported by name with TaskHandler(import_modules=[...])."""

from __future__ import annotations

from conductor.client.worker.worker_task import WorkerTask


@WorkerTask(task_definition_name="it_annotated", worker_id="annotated-worker", poll_interval=50)
def annotated(input: dict) -> dict:
    return {"style": "annotated", "got": input.get("word")}
