"""Workers written the way conductor-python 2.0.0's README and examples write them: typed
parameters filled by name, dataclasses in and out, 2.0.0's decorator keywords, an async
worker, and the task context."""

from typing import Union

from models import Address, OrderInfo, User

from conductor.client.context import TaskInProgress, get_task_context
from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="process_order")
def process_order(order_info: OrderInfo) -> str:
    total = order_info.quantity * order_info.sku_price
    return f"order {order_info.order_id}: {order_info.quantity} x {order_info.sku} = {total}"


@worker_task(task_definition_name="get_user_email")
def get_user_email(userid: str) -> str:
    return f"{userid}@example.com"


@worker_task(task_definition_name="send_email")
def send_email(email: str, subject: str, body: str):
    print(f"sending {subject!r} to {email}: {body}", flush=True)


@worker_task(
    task_definition_name="fetch_user",
    thread_count=4,
    poll_timeout=100,
    register_task_def=True,
)
def fetch_user(user_id: int) -> User:
    address = Address(street=f"{user_id} Main Street", city="Springfield", zipcode="12345")
    return User(
        id=user_id, name=f"user {user_id}", email=f"user{user_id}@example.com", address=address
    )


@worker_task(task_definition_name="update_user", thread_count=10, poll_timeout=100)
async def update_user(user: User) -> dict:
    ctx = get_task_context()
    ctx.add_log(f"updating {user.name} in {user.address.city}")
    return {"user_id": user.id, "city": user.address.city, "status": "updated"}


@worker_task(task_definition_name="long_job", lease_extend_enabled=False)
def long_job(job_id: str) -> Union[dict, TaskInProgress]:  # noqa: UP007  (as 2.0.0 writes it)
    ctx = get_task_context()
    polls = ctx.get_poll_count()
    ctx.add_log(f"job {job_id}, poll {polls}")
    if polls < 2:
        return TaskInProgress(callback_after_seconds=1, output={"job_id": job_id, "done": False})
    return {"job_id": job_id, "done": True, "polls": polls}
