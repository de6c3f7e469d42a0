"""Task and workflow definitions: parsing with Conductor's defaults, validation, JSON form."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fake_server.engine import boundary
from fake_server.engine.errors import invalid, malformed
from fake_server.engine.references import check_input_references
from fake_server.engine.validation import Fields, require_list

RETRY_LOGICS = ("FIXED", "LINEAR_BACKOFF", "EXPONENTIAL_BACKOFF")
TIMEOUT_POLICIES = ("RETRY", "TIME_OUT_WF", "ALERT_ONLY")
WORKFLOW_TIMEOUT_POLICIES = ("TIME_OUT_WF", "ALERT_ONLY")


@dataclass(frozen=True)
class TaskDef:
    name: str
    retry_count: int = 3
    retry_logic: str = "FIXED"
    retry_delay_seconds: int = 60
    backoff_scale_factor: int = 1
    max_retry_delay_seconds: int = 0  # 0: no cap
    timeout_seconds: int = 0  # 0: no overall timeout
    timeout_policy: str = "TIME_OUT_WF"
    response_timeout_seconds: int = 3600
    poll_timeout_seconds: int = 0  # 0: none
    concurrent_exec_limit: int = 0  # 0: unlimited
    rate_limit_per_frequency: int = 0  # 0: unlimited
    rate_limit_frequency_in_seconds: int = 1
    input_template: dict[str, Any] = field(default_factory=dict)
    total_timeout_seconds: int = 0  # 0: none; across all attempts and retry delays
    backoff_jitter_ms: int = 0  # up to this much added at random to each retry delay
    # Fields the engine does not use (description, ownerEmail, ...) are kept as sent.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body = dict(self.extra)
        body.update(
            name=self.name,
            retryCount=self.retry_count,
            retryLogic=self.retry_logic,
            retryDelaySeconds=self.retry_delay_seconds,
            backoffScaleFactor=self.backoff_scale_factor,
            timeoutSeconds=self.timeout_seconds,
            timeoutPolicy=self.timeout_policy,
            responseTimeoutSeconds=self.response_timeout_seconds,
            pollTimeoutSeconds=self.poll_timeout_seconds,
            concurrentExecLimit=self.concurrent_exec_limit,
            rateLimitPerFrequency=self.rate_limit_per_frequency,
            rateLimitFrequencyInSeconds=self.rate_limit_frequency_in_seconds,
            inputTemplate=copy.deepcopy(self.input_template),
            totalTimeoutSeconds=self.total_timeout_seconds,
            backoffJitterMs=self.backoff_jitter_ms,
        )
        if self.max_retry_delay_seconds:
            body["maxRetryDelaySeconds"] = self.max_retry_delay_seconds
        return body


_TASK_DEF_KEYS = {
    "totalTimeoutSeconds",
    "backoffJitterMs",
    "name",
    "retryCount",
    "retryLogic",
    "retryDelaySeconds",
    "backoffScaleFactor",
    "maxRetryDelaySeconds",
    "timeoutSeconds",
    "timeoutPolicy",
    "responseTimeoutSeconds",
    "pollTimeoutSeconds",
    "concurrentExecLimit",
    "rateLimitPerFrequency",
    "rateLimitFrequencyInSeconds",
    "inputTemplate",
}


def parse_task_def(data: Any, path: str = "taskDef", *, default_name: str | None = None) -> TaskDef:
    """A task definition; ``default_name`` names one that has no name (a workflow task's
    inline ``taskDefinition``, which Conductor does not validate: WorkflowTask has no @Valid
    on it)."""
    f = Fields(data, path)
    task_def = TaskDef(
        name=f.string("name", required=default_name is None) or str(default_name),
        retry_count=f.integer("retryCount", default=3, minimum=0),
        retry_logic=f.choice("retryLogic", RETRY_LOGICS, default="FIXED"),
        retry_delay_seconds=f.integer("retryDelaySeconds", default=60, minimum=0),
        backoff_scale_factor=f.integer("backoffScaleFactor", default=1, minimum=1),
        max_retry_delay_seconds=f.integer("maxRetryDelaySeconds", default=0, minimum=0),
        timeout_seconds=f.integer("timeoutSeconds", default=0, minimum=0),
        timeout_policy=f.choice("timeoutPolicy", TIMEOUT_POLICIES, default="TIME_OUT_WF"),
        response_timeout_seconds=f.integer("responseTimeoutSeconds", default=3600, minimum=1),
        poll_timeout_seconds=f.integer("pollTimeoutSeconds", default=0, minimum=0),
        concurrent_exec_limit=f.integer("concurrentExecLimit", default=0, minimum=0),
        rate_limit_per_frequency=f.integer("rateLimitPerFrequency", default=0, minimum=0),
        rate_limit_frequency_in_seconds=f.integer(
            "rateLimitFrequencyInSeconds", default=1, minimum=1
        ),
        input_template=f.obj("inputTemplate", default={}),
        total_timeout_seconds=f.integer("totalTimeoutSeconds", default=0, minimum=0),
        backoff_jitter_ms=f.integer("backoffJitterMs", default=0, minimum=0),
        extra={k: v for k, v in f.data.items() if k not in _TASK_DEF_KEYS and v is not None},
    )
    boundary.check_task_def(f)
    # TaskTimeoutConstraint's two rules, with its messages.
    name, timeout = task_def.name, task_def.timeout_seconds
    if timeout and task_def.response_timeout_seconds > timeout:
        raise invalid(
            f.where("responseTimeoutSeconds"),
            f"TaskDef: {name} responseTimeoutSeconds: {task_def.response_timeout_seconds} "
            f"must be less than timeoutSeconds: {timeout}",
            task_def.response_timeout_seconds,
        )
    if timeout and task_def.total_timeout_seconds and timeout > task_def.total_timeout_seconds:
        raise invalid(
            f.where("timeoutSeconds"),
            f"TaskDef: {name} timeoutSeconds: {timeout} must be less than or equal to "
            f"totalTimeoutSeconds: {task_def.total_timeout_seconds}",
            timeout,
        )
    return task_def


def default_task_def(name: str) -> TaskDef:
    """What a SIMPLE task without a registered definition runs with."""
    return TaskDef(name=name)


@dataclass(frozen=True)
class WorkflowTaskDef:
    """One task of a workflow definition; system task types carry their own fields (the
    ``type`` decides which are read: see :mod:`fake_server.engine.task_types`)."""

    name: str
    task_reference_name: str
    type: str = "SIMPLE"
    input_parameters: dict[str, Any] = field(default_factory=dict)
    optional: bool = False
    retry_count: int | None = None  # None: the TaskDef's retryCount
    start_delay: int = 0
    task_definition: TaskDef | None = None  # an inline definition wins over the registered one
    # SWITCH / DECISION
    decision_cases: dict[str, tuple[WorkflowTaskDef, ...]] = field(default_factory=dict)
    default_case: tuple[WorkflowTaskDef, ...] = ()
    evaluator_type: str | None = None
    expression: str | None = None
    case_value_param: str | None = None
    case_expression: str | None = None
    # FORK_JOIN / JOIN / EXCLUSIVE_JOIN / FORK_JOIN_DYNAMIC
    fork_tasks: tuple[tuple[WorkflowTaskDef, ...], ...] = ()
    join_on: tuple[str, ...] = ()
    default_exclusive_join_task: tuple[str, ...] = ()
    dynamic_fork_tasks_param: str | None = None
    dynamic_fork_tasks_input_param_name: str | None = None
    # DO_WHILE
    loop_condition: str | None = None
    loop_over: tuple[WorkflowTaskDef, ...] = ()
    items: str | None = None
    # DYNAMIC, SUB_WORKFLOW, EVENT, HTTP
    dynamic_task_name_param: str | None = None
    sub_workflow_param: dict[str, Any] | None = None
    sink: str | None = None
    async_complete: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def children(self) -> tuple[tuple[WorkflowTaskDef, ...], ...]:
        """The task lists nested in this one (cases, fork branches, loop body), in order."""
        if self.type in ("SWITCH", "DECISION"):
            return (*self.decision_cases.values(), self.default_case)
        if self.type == "FORK_JOIN":
            return self.fork_tasks
        if self.type == "DO_WHILE":
            return (self.loop_over,)
        return ()

    def walk(self) -> Iterator[WorkflowTaskDef]:
        """This task and every task nested in it, depth first."""
        yield self
        for branch in self.children():
            for task in branch:
                yield from task.walk()

    def with_changes(self, **changes: Any) -> WorkflowTaskDef:
        return dataclasses.replace(self, **changes)

    @functools.cached_property
    def json_of_tasks(self) -> dict[str, Any]:
        """:meth:`to_json`, built once and shared by every task scheduled from this task of
        the definition (their ``workflowTask``), as the engine's answers share their data:
        read-only. Building it for each task was a tenth of a workflow's start."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        body = dict(self.extra)
        body.update(
            name=self.name,
            taskReferenceName=self.task_reference_name,
            type=self.type,
            inputParameters=copy.deepcopy(self.input_parameters),
            optional=self.optional,
            startDelay=self.start_delay,
            asyncComplete=self.async_complete,
        )
        if self.retry_count is not None:
            body["retryCount"] = self.retry_count
        if self.task_definition is not None:
            body["taskDefinition"] = self.task_definition.to_json()
        if self.type in ("SWITCH", "DECISION"):
            body["decisionCases"] = {
                case: [t.to_json() for t in tasks] for case, tasks in self.decision_cases.items()
            }
            body["defaultCase"] = [t.to_json() for t in self.default_case]
        if self.fork_tasks:
            body["forkTasks"] = [[t.to_json() for t in branch] for branch in self.fork_tasks]
        if self.join_on:
            body["joinOn"] = list(self.join_on)
        if self.default_exclusive_join_task:
            body["defaultExclusiveJoinTask"] = list(self.default_exclusive_join_task)
        if self.loop_over:
            body["loopOver"] = [t.to_json() for t in self.loop_over]
        if self.sub_workflow_param is not None:
            body["subWorkflowParam"] = copy.deepcopy(self.sub_workflow_param)
        for key, value in (
            ("evaluatorType", self.evaluator_type),
            ("expression", self.expression),
            ("caseValueParam", self.case_value_param),
            ("caseExpression", self.case_expression),
            ("dynamicForkTasksParam", self.dynamic_fork_tasks_param),
            ("dynamicForkTasksInputParamName", self.dynamic_fork_tasks_input_param_name),
            ("loopCondition", self.loop_condition),
            ("items", self.items),
            ("dynamicTaskNameParam", self.dynamic_task_name_param),
            ("sink", self.sink),
        ):
            if value is not None:
                body[key] = value
        return body


_WORKFLOW_TASK_KEYS = {
    "name",
    "taskReferenceName",
    "type",
    "inputParameters",
    "optional",
    "retryCount",
    "startDelay",
    "taskDefinition",
    "decisionCases",
    "defaultCase",
    "evaluatorType",
    "expression",
    "caseValueParam",
    "caseExpression",
    "forkTasks",
    "joinOn",
    "defaultExclusiveJoinTask",
    "dynamicForkTasksParam",
    "dynamicForkTasksInputParamName",
    "loopCondition",
    "loopOver",
    "items",
    "dynamicTaskNameParam",
    "subWorkflowParam",
    "sink",
    "asyncComplete",
}


def parse_workflow_task(data: Any, path: str) -> WorkflowTaskDef:
    """One workflow task, its nested tasks included; type-specific rules are checked by
    :func:`fake_server.engine.task_types.check_workflow_task`."""
    from fake_server.engine.task_types import check_workflow_task

    f = Fields(data, path)
    inline = f.data.get("taskDefinition")
    # Any text: a type Conductor has no mapper for is a user-defined task (TaskType.of).
    task_type = f.string("type", default="SIMPLE")
    check_workflow_task(f, task_type)
    cases = f.obj("decisionCases", default={})
    name = f.string("name", required=True)
    return WorkflowTaskDef(
        name=name,
        task_reference_name=f.string("taskReferenceName", required=True),
        type=task_type,
        input_parameters=f.obj("inputParameters", default={}),
        optional=f.boolean("optional"),
        retry_count=f.integer("retryCount", minimum=0),
        start_delay=f.integer("startDelay", default=0, minimum=0),
        task_definition=None
        if inline is None
        else parse_task_def(inline, f.where("taskDefinition"), default_name=name),
        decision_cases={
            str(case): _task_list(tasks, f"{f.where('decisionCases')}.{case}")
            for case, tasks in cases.items()
        },
        default_case=_task_list(f.items("defaultCase"), f.where("defaultCase")),
        evaluator_type=f.string("evaluatorType"),
        expression=f.string("expression"),
        case_value_param=f.string("caseValueParam"),
        case_expression=f.string("caseExpression"),
        fork_tasks=tuple(
            _task_list(branch, f"{f.where('forkTasks')}[{i}]")
            for i, branch in enumerate(f.items("forkTasks"))
        ),
        join_on=_strings(f, "joinOn"),
        default_exclusive_join_task=_strings(f, "defaultExclusiveJoinTask"),
        dynamic_fork_tasks_param=f.string("dynamicForkTasksParam"),
        dynamic_fork_tasks_input_param_name=f.string("dynamicForkTasksInputParamName"),
        loop_condition=f.string("loopCondition"),
        loop_over=_task_list(f.items("loopOver"), f.where("loopOver")),
        items=f.string("items"),
        dynamic_task_name_param=f.string("dynamicTaskNameParam"),
        sub_workflow_param=f.obj("subWorkflowParam"),
        sink=f.string("sink"),
        async_complete=f.boolean("asyncComplete"),
        extra={k: v for k, v in f.data.items() if k not in _WORKFLOW_TASK_KEYS and v is not None},
    )


def _task_list(items: Any, path: str) -> tuple[WorkflowTaskDef, ...]:
    return tuple(
        parse_workflow_task(task, f"{path}[{i}]")
        for i, task in enumerate(require_list(items, path))
    )


def _strings(f: Fields, key: str) -> tuple[str, ...]:
    values = f.items(key)
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise malformed(f"{f.where(key)}[{i}]", "must be a string", value)
    return tuple(values)


@dataclass(frozen=True)
class WorkflowDef:
    name: str
    version: int
    tasks: tuple[WorkflowTaskDef, ...]
    input_parameters: tuple[str, ...] = ()
    output_parameters: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: int = 0
    timeout_policy: str = "ALERT_ONLY"  # Conductor's default for a workflow
    schema_version: int = 2
    # Started when the decider ends a workflow of this definition without success.
    failure_workflow: str | None = None
    failure_workflow_version: int | None = None
    restartable: bool = True  # False: a COMPLETED workflow cannot be restarted
    # Fills the keys a workflow's input lacks, when it starts.
    input_template: dict[str, Any] = field(default_factory=dict)
    # A workflow's variables when it starts (${workflow.variables.x}, SET_VARIABLE).
    variables: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def walk(self) -> Iterator[WorkflowTaskDef]:
        """Every task of the definition, nested ones included, depth first."""
        for task in self.tasks:
            yield from task.walk()

    def find(self, reference_name: str) -> WorkflowTaskDef | None:
        return next((t for t in self.walk() if t.task_reference_name == reference_name), None)

    @functools.cached_property
    def json_of_workflows(self) -> dict[str, Any]:
        """:meth:`to_json`, built once and shared by the JSON of every workflow that runs on
        this definition (their ``workflowDefinition``): read-only, as the engine's answers
        share their data. Building it for each answer cost more than the rest of the
        workflow's JSON."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        body = dict(self.extra)
        body.update(
            name=self.name,
            version=self.version,
            tasks=[task.to_json() for task in self.tasks],
            inputParameters=list(self.input_parameters),
            outputParameters=copy.deepcopy(self.output_parameters),
            timeoutSeconds=self.timeout_seconds,
            timeoutPolicy=self.timeout_policy,
            schemaVersion=self.schema_version,
            restartable=self.restartable,
            inputTemplate=copy.deepcopy(self.input_template),
            variables=copy.deepcopy(self.variables),
        )
        if self.failure_workflow is not None:
            body["failureWorkflow"] = self.failure_workflow
        if self.failure_workflow_version is not None:
            body["failureWorkflowVersion"] = self.failure_workflow_version
        return body


_WORKFLOW_KEYS = {
    "failureWorkflow",
    "failureWorkflowVersion",
    "restartable",
    "inputTemplate",
    "variables",
    "name",
    "version",
    "tasks",
    "inputParameters",
    "outputParameters",
    "timeoutSeconds",
    "timeoutPolicy",
    "schemaVersion",
}


def _schema_version(f: Fields) -> int:
    """WorkflowDef's schemaVersion must be 2 (its @Min/@Max, with Conductor's message)."""
    version = f.integer("schemaVersion", default=2)
    if version != 2:
        raise invalid(
            f.where("schemaVersion"),
            f"workflowDef schemaVersion: {version} is only supported",
            version,
        )
    return int(version)


def parse_workflow_def(data: Any, path: str = "workflowDef") -> WorkflowDef:
    f = Fields(data, path)
    boundary.check_workflow_def(f)
    raw_tasks = f.items("tasks", required=True)
    if not raw_tasks:
        raise invalid(f.where("tasks"), "must hold at least one task", raw_tasks)
    tasks = tuple(
        parse_workflow_task(task, f"{f.where('tasks')}[{i}]") for i, task in enumerate(raw_tasks)
    )
    seen: set[str] = set()
    for where, task in _with_paths(tasks, f.where("tasks")):
        if task.task_reference_name in seen:
            raise invalid(
                f"{where}.taskReferenceName",
                "must be unique within the workflow (nested tasks included)",
                task.task_reference_name,
            )
        seen.add(task.task_reference_name)
    input_parameters = f.items("inputParameters")
    definition = WorkflowDef(
        name=f.string("name", required=True),
        version=f.integer("version", default=1, minimum=1),
        tasks=tasks,
        input_parameters=tuple(str(p) for p in input_parameters),
        output_parameters=f.obj("outputParameters", default={}),
        timeout_seconds=f.integer("timeoutSeconds", default=0, minimum=0),
        timeout_policy=f.choice("timeoutPolicy", WORKFLOW_TIMEOUT_POLICIES, default="ALERT_ONLY"),
        schema_version=_schema_version(f),
        failure_workflow=f.string("failureWorkflow") or None,
        failure_workflow_version=f.integer("failureWorkflowVersion", minimum=1),
        restartable=f.boolean("restartable", default=True),
        input_template=f.obj("inputTemplate", default={}),
        variables=f.obj("variables", default={}),
        extra={k: v for k, v in f.data.items() if k not in _WORKFLOW_KEYS and v is not None},
    )
    check_input_references(definition, path)
    return definition


def _with_paths(
    tasks: tuple[WorkflowTaskDef, ...], path: str
) -> Iterator[tuple[str, WorkflowTaskDef]]:
    """Every task with the path that names it in errors, nested tasks included."""
    for i, task in enumerate(tasks):
        where = f"{path}[{i}]"
        yield where, task
        for key, branch in _branches(task, where):
            yield from _with_paths(branch, key)


def _branches(
    task: WorkflowTaskDef, where: str
) -> Iterator[tuple[str, tuple[WorkflowTaskDef, ...]]]:
    for case, branch in task.decision_cases.items():
        yield f"{where}.decisionCases.{case}", branch
    yield f"{where}.defaultCase", task.default_case
    for i, branch in enumerate(task.fork_tasks):
        yield f"{where}.forkTasks[{i}]", branch
    yield f"{where}.loopOver", task.loop_over


def is_workflow_def(data: Any) -> bool:
    """Decide a definition's kind by its shape: only a workflow definition has ``tasks``."""
    return isinstance(data, dict) and "tasks" in data


def retry_delay_seconds(task_def: TaskDef, retry_count: int) -> int:
    """Delay before retry number ``retry_count + 1`` of a task that has been retried
    ``retry_count`` times so far."""
    base = task_def.retry_delay_seconds
    if task_def.retry_logic == "LINEAR_BACKOFF":
        delay = base * task_def.backoff_scale_factor * (retry_count + 1)
    elif task_def.retry_logic == "EXPONENTIAL_BACKOFF":
        delay = base * 2**retry_count
    else:
        delay = base
    if task_def.max_retry_delay_seconds:
        delay = min(delay, task_def.max_retry_delay_seconds)
    return delay
