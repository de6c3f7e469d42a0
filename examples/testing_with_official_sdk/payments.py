"""A worker author's workers, written for conductor-python 2.0.0's API (they run unchanged on
this repository's SDK too)."""

from conductor.client.http.models import Task
from conductor.client.worker.worker import Worker


def charge(card: str, amount: float) -> dict:
    """Inputs by name, as conductor-python fills them; a raise fails the attempt."""
    if card.startswith("0000"):
        raise ValueError(f"card declined {card}")
    return {"charged": amount}


def send_receipt(task: Task) -> dict:
    """The Task itself (a lone parameter annotated Task). The mail server is down on the
    first attempt: the task definition's retry, an hour later, delivers it."""
    if task.retry_count == 0:
        raise ConnectionError("the mail server is down")
    return {"sent_to": task.input_data["email"]}


def workers() -> list:
    return [Worker("charge", execute_function=charge), Worker("send_receipt", send_receipt)]
