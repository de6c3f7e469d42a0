"""A CPU-bound worker to size: each task computes for about 5 ms of one CPU.

python -m harness size cpu_bound:checksum --inputs inputs.json --rate 400
"""

import hashlib
import time

from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="checksum")
def checksum(sku: str, quantity: int = 1) -> dict:
    digest = sku.encode()
    until = time.thread_time() + 0.005  # 5 ms of this thread's CPU, whatever the machine
    while time.thread_time() < until:
        digest = hashlib.sha256(digest).digest()
    return {"sku": sku, "checksum": digest.hex()[:16], "quantity": quantity}
