"""An I/O-bound worker to size: each task waits 20 ms, as a call to another service would.

python -m harness size io_bound:fetch_price --inputs inputs.json --rate 400
"""

import time

from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="fetch_price")
def fetch_price(sku: str, quantity: int = 1) -> dict:
    time.sleep(0.020)  # the remote service's answer
    return {"sku": sku, "price": 9.5 * quantity}
