"""What a running worker can learn about its task, and how it reports long-running work."""

from conductor.client.context.task_context import TaskContext, TaskInProgress, get_task_context

__all__ = ["TaskContext", "TaskInProgress", "get_task_context"]
