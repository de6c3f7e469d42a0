"""Which task types a workflow definition may use, and what each type requires at registration.

The checks and their messages are Conductor's (``WorkflowTaskTypeConstraint``). Types the fake
server does not execute are refused by name instead of being accepted and then ignored: a
workflow must not pass here and fail on the real server.
"""

from __future__ import annotations

from typing import Any

from fake_server.engine.durations import parse_duration_seconds, parse_until_ms
from fake_server.engine.errors import BadRequestError, ValidationError, invalid, malformed
from fake_server.engine.scripts import syntax_error
from fake_server.engine.validation import Fields

# What the engine executes: worker tasks, and one module of ``engine/tasks`` per system type.
SUPPORTED_TYPES = (
    "SIMPLE",
    "DYNAMIC",
    "FORK_JOIN",
    "FORK_JOIN_DYNAMIC",
    "JOIN",
    "EXCLUSIVE_JOIN",
    "SWITCH",
    "DECISION",
    "DO_WHILE",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "INLINE",
    "LAMBDA",
    "SET_VARIABLE",
    "JSON_JQ_TRANSFORM",
    "WAIT",
    "HUMAN",
    "TERMINATE",
    "NOOP",
    "HTTP",
    "EVENT",
)
# Conductor's other types: they need what a local fake has not (a broker, a model, an agent).
UNSUPPORTED_TYPES = (
    "KAFKA_PUBLISH",
    "LLM_TEXT_COMPLETE",
    "LLM_CHAT_COMPLETE",
    "LLM_INDEX_TEXT",
    "LLM_SEARCH_INDEX",
    "LLM_GENERATE_EMBEDDINGS",
    "LLM_STORE_EMBEDDINGS",
    "LLM_GET_EMBEDDINGS",
    "LIST_MCP_TOOLS",
    "CALL_MCP_TOOL",
    "PULL_WORKFLOW_MESSAGES",
    "AGENT",
    "GET_AGENT_CARD",
    "CANCEL_AGENT",
)
TERMINATION_STATUSES = ("COMPLETED", "FAILED", "TERMINATED")


def number_version_message(version: Any) -> str:
    """Why a ``forkTaskWorkflowVersion`` that is not a string is refused."""
    return (
        f'forkTaskWorkflowVersion must be a string ("{version}", not {version}): Conductor '
        "reads it as a string only and fails on any other value"
    )


def is_system_type(task_type: str) -> bool:
    """Whether tasks of ``task_type`` are run by the server (one module of ``engine/tasks``
    each) rather than by workers."""
    return task_type in SUPPORTED_TYPES and task_type != "SIMPLE"


def is_user_defined(task_type: str) -> bool:
    """Whether ``task_type`` is one Conductor has no mapper for, which TaskType.of reads as
    USER_DEFINED (``USER_DEFINED`` itself included): its tasks wait in the queue of that type
    for workers, as SIMPLE ones do in the queue of their name (UserDefinedTaskMapper)."""
    return task_type not in SUPPORTED_TYPES


def check_workflow_task(f: Fields, task_type: str) -> None:
    """Refuse an unsupported type by name, and a task that lacks what its type requires."""
    if task_type in UNSUPPORTED_TYPES:
        raise _unsupported(f.where("type"), task_type)
    for key in ("permissive", "cacheConfig", "onStateChange"):
        if f.data.get(key):  # false, null and {} are the defaults official clients send
            raise _unsupported(f.where(key), key)
    if task_type == "SUB_WORKFLOW":
        _check_sub_workflow_param_types(f)
    check = _CHECKS.get(task_type)
    if check is None:
        return
    name = f.data.get("name")
    problem = check(f.data, f.data.get("inputParameters") or {}, name)
    if problem:
        raise invalid(f.where("type"), problem, task_type)


def _unsupported(path: str, what: str) -> BadRequestError:
    message = f"not supported by the fake server: {what}"
    return BadRequestError(message, [ValidationError(path, message, what)])


def _required(field: str, task_type: str, name: Any) -> str:
    return f"{field} field is required for taskType: {task_type} taskName: {name}"


def _switch(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("evaluatorType") is None:
        return _required("evaluatorType", "SWITCH", name)
    if data.get("expression") is None:
        return _required("expression", "SWITCH", name)
    if data.get("evaluatorType") not in ("value-param", "javascript", "graaljs"):
        return f"not supported by the fake server: SWITCH evaluatorType {data['evaluatorType']}"
    problem = _cases("SWITCH", data, name)
    if problem is None and data.get("evaluatorType") == "javascript":
        problem = _script_problem(data.get("expression"), "SWITCH", name)
    return problem


def _decision(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("caseValueParam") is None and data.get("caseExpression") is None:
        return _required("caseValueParam or caseExpression", "DECISION", name)
    return _cases("DECISION", data, name) or _script_problem(
        data.get("caseExpression"), "DECISION", name
    )


def _script_problem(script: Any, task_type: str, name: Any) -> str | None:
    """WorkflowTaskTypeConstraint's syntax check of a SWITCH (javascript) or DECISION script,
    in its words (the engine's own description of the mistake)."""
    if not isinstance(script, str):
        return None
    error = syntax_error(script)
    if error is None:
        return None
    return f"Expression is not well formatted: {error}, taskType: {task_type} taskName {name}"


def _cases(task_type: str, data: dict[str, Any], name: Any) -> str | None:
    cases = data.get("decisionCases")
    if cases is None:
        return _required("decisionCases", task_type, name)
    if not cases:
        return (
            f"decisionCases should have atleast one task for taskType: {task_type} taskName: {name}"
        )
    return None


def _fork_join(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    branches = data.get("forkTasks")
    if branches is not None and len(branches) == 0:
        return f"forkTasks should have atleast one task for taskType: FORK_JOIN taskName: {name}"
    for branch in branches or ():
        if isinstance(branch, list) and not branch:
            # Conductor fails such a workflow when it runs; refusing it here says why.
            return f"every branch of forkTasks must hold at least one task, taskName: {name}"
    return None


def _fork_join_dynamic(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    version = params.get("forkTaskWorkflowVersion")
    if version is not None and not isinstance(version, str):
        return number_version_message(version)
    if "forkTaskInputs" in params:
        return None
    if data.get("dynamicForkJoinTasksParam") is not None:
        return "not supported by the fake server: dynamicForkJoinTasksParam"
    if data.get("dynamicForkTasksParam") is None:
        return _required("dynamicForkTasksParam", "FORK_JOIN_DYNAMIC", name)
    if data.get("dynamicForkTasksInputParamName") is None:
        return _required("dynamicForkTasksInputParamName", "FORK_JOIN_DYNAMIC", name)
    return None


def _do_while(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("loopCondition") is None:
        return _required("loopCondition", "DO_WHILE", name)
    if not data.get("loopOver"):
        return _required("loopOver", "DO_WHILE", name)
    return None


def _dynamic(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("dynamicTaskNameParam") is None:
        return _required("dynamicTaskNameParam", "DYNAMIC", name)
    return None


def _sub_workflow(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    param = data.get("subWorkflowParam")
    if param is None:
        return _required("subWorkflowParam", "SUB_WORKFLOW", name)
    if not isinstance(param, dict):
        return "subWorkflowParam must be a JSON object"
    if not param.get("name") and param.get("workflowDefinition") is None:
        return "subWorkflowParam needs a name or a workflowDefinition"
    for key in ("idempotencyKey", "idempotencyStrategy"):
        if param.get(key) is not None:
            return f"not supported by the fake server: subWorkflowParam.{key}"
    return None


def _check_sub_workflow_param_types(f: Fields) -> None:
    """SubWorkflowParams reads ``version`` as an Integer and ``taskToDomain`` as a map of
    strings: anything else, an expression included, is a body Conductor cannot read."""
    param = f.data.get("subWorkflowParam")
    if not isinstance(param, dict):
        return
    where = f.where("subWorkflowParam")
    version = param.get("version")
    readable = isinstance(version, int) and not isinstance(version, bool)
    if version is not None and not readable and not str(version).strip().isdigit():
        raise malformed(
            f"{where}.version",
            "must be a whole number: Conductor reads it as an Integer, so an expression "
            "cannot give it (leave it out for the latest version)",
            version,
        )
    domains = param.get("taskToDomain")
    if domains is not None and not (
        isinstance(domains, dict) and all(isinstance(v, str) for v in domains.values())
    ):
        raise malformed(
            f"{where}.taskToDomain",
            "must be an object of task names to domains: Conductor reads it as a map of "
            "strings, so an expression cannot give it",
            domains,
        )


def _http(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if not ({"http_request", "uri", "method"} & params.keys()):
        return _required("inputParameters.http_request or inputParameters.uri", "HTTP", name)
    return None


def _terminate(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("optional"):
        return f"terminate task cannot be optional, taskName: {name}"
    status = params.get("terminationStatus")
    if status is None or str(status) not in TERMINATION_STATUSES:
        return (
            "terminate task must have an terminationStatus parameter and must be set to "
            f"COMPLETED or FAILED, taskName: {name}"
        )
    return None


def _inline(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    evaluator = params.get("evaluatorType")
    if isinstance(evaluator, str) and evaluator == "python":
        return "not supported by the fake server: INLINE evaluatorType python"
    return None


def _json_jq(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if "queryExpression" not in params:
        return _required("inputParameters.queryExpression", "JSON_JQ_TRANSFORM", name)
    return None


def _event(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    if data.get("sink") is None:
        return _required("sink", "EVENT", name)
    return None


def _wait(data: dict[str, Any], params: dict[str, Any], name: Any) -> str | None:
    duration = str(params.get("duration") or "").strip()
    until = str(params.get("until") or "").strip()
    if duration and until:
        return "Both 'duration' and 'until' specified. Please provide only one input"
    try:
        if duration and not duration.startswith("${"):
            parse_duration_seconds(duration)
        elif until and not until.startswith("${"):
            parse_until_ms(until)
    except ValueError:
        return "Unable to parse date " if until else "Wait time specified is invalid."
    return None


_CHECKS = {
    "SWITCH": _switch,
    "DECISION": _decision,
    "FORK_JOIN": _fork_join,
    "FORK_JOIN_DYNAMIC": _fork_join_dynamic,
    "DO_WHILE": _do_while,
    "DYNAMIC": _dynamic,
    "SUB_WORKFLOW": _sub_workflow,
    "HTTP": _http,
    "TERMINATE": _terminate,
    "JSON_JQ_TRANSFORM": _json_jq,
    "INLINE": _inline,
    "EVENT": _event,
    "WAIT": _wait,
}
