"""System task types (SWITCH, FORK_JOIN, DO_WHILE, SUB_WORKFLOW, INLINE, WAIT, ...): one module
per type, each a :class:`~fake_server.engine.tasks.base.SystemTask` (its interface is described
there: ``map``, ``start``, ``execute``, ``cancel``).

A system task is run by the server instead of a worker. ``SYSTEM_TASKS`` maps each task type
to its implementation; a type that is not in it runs as a worker task (SIMPLE).
"""

from __future__ import annotations

from fake_server.engine.tasks import (
    do_while,
    dynamic,
    event,
    exclusive_join,
    fork_join,
    fork_join_dynamic,
    http,
    human,
    inline,
    jq,
    noop,
    set_variable,
    start_workflow,
    sub_workflow,
    switch,
    terminate,
    wait,
)
from fake_server.engine.tasks.base import SystemTask

SYSTEM_TASKS: dict[str, SystemTask] = {
    task.task_type: task
    for task in (
        switch.Switch(),
        switch.Decision(),
        fork_join.ForkJoin(),
        fork_join.Fork(),
        fork_join.Join(),
        fork_join_dynamic.ForkJoinDynamic(),
        exclusive_join.ExclusiveJoin(),
        do_while.DoWhile(),
        sub_workflow.SubWorkflow(),
        start_workflow.StartWorkflow(),
        inline.Inline(),
        inline.Lambda(),
        set_variable.SetVariable(),
        jq.JsonJqTransform(),
        wait.Wait(),
        human.Human(),
        terminate.Terminate(),
        noop.Noop(),
        dynamic.Dynamic(),
        http.Http(),
        event.Event(),
    )
}

__all__ = ["SYSTEM_TASKS", "SystemTask"]
