"""The demo's workers, one per style of the guide: function, class and annotation.

They live in an importable module (not in ``__main__``) so that they pickle by reference and run
under every multiprocessing start method. No ``from __future__ import annotations``:
conductor-python 2.0.0 recognises a ``Task`` parameter only by the annotation object itself.
"""

from typing import Any

from conductor.client.http.models import Task, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface
from conductor.client.worker.worker_task import WorkerTask

PRICES = {"book": 12.5, "lamp": 30.0, "mug": 8.0, "plant": 15.0}


def validate_order(task: Task) -> TaskResult:
    """Function style: receives the Task, returns a TaskResult."""
    order = task.input_data
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id="validator",
    )
    items = order.get("items") or []
    unknown = [item for item in items if item not in PRICES]
    if not items or unknown:
        result.status = TaskResultStatus.FAILED_WITH_TERMINAL_ERROR
        result.reason_for_incompletion = f"unknown items: {unknown}" if unknown else "no items"
        return result
    result.add_output_data("total", sum(PRICES[item] for item in items))
    result.status = TaskResultStatus.COMPLETED
    return result


class ChargePaymentWorker(WorkerInterface):
    """Class style. The payment gateway 'times out' on a task's first attempt, so every
    charge fails once and the server retries it (the task definition allows retries)."""

    def execute(self, task: Task) -> TaskResult:
        result = self.get_task_result_from_task(task)
        if not task.retry_count:
            result.status = TaskResultStatus.FAILED
            result.reason_for_incompletion = "payment gateway timed out"
            return result
        result.add_output_data("charged", task.input_data.get("amount"))
        result.add_output_data("attempt", task.retry_count + 1)
        result.status = TaskResultStatus.COMPLETED
        return result


@WorkerTask(
    task_definition_name="demo_reserve_inventory",
    domain="warehouse",
    worker_id="inventory",
    poll_interval=100,
)
def reserve_inventory(items: list[str]) -> dict[str, Any]:
    """Annotation style, polling the ``warehouse`` domain: the workflow routes this task there.
    Its parameter is filled from the task's input key of the same name."""
    return {"reserved": list(items or []), "warehouse": "north"}


def ship_order(orderId: str) -> dict[str, Any]:  # the input key's own name
    """Function style with the task's input by name; the return value is the output."""
    return {"trackingNumber": f"TRK-{orderId or 'unknown'}"}


def demo_workers() -> list[WorkerInterface]:
    """The workers of the demo; the annotated one is added by scanning its registration."""
    return [
        Worker(task_definition_name="demo_validate_order", execute_function=validate_order),
        _identified(ChargePaymentWorker("demo_charge_payment"), "payments"),
        # Two instances of one worker: two processes sharing its queue.
        Worker("demo_ship_order", execute_function=ship_order, worker_id="shipping-1"),
        Worker("demo_ship_order", execute_function=ship_order, worker_id="shipping-2"),
    ]


def _identified(worker: WorkerInterface, worker_id: str) -> WorkerInterface:
    """``worker`` polling as ``worker_id``. Set as an attribute, which both SDKs accept: the
    keyword ``WorkerInterface(worker_id=...)`` is this repository's SDK's (the guide's), and
    conductor-python 2.0.0's class workers poll with the host name whatever is set."""
    worker.worker_id = worker_id
    return worker
