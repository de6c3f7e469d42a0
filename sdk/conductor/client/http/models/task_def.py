"""A task definition: the retry, timeout and rate-limit rules of a task type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import Choice, WireModel
from conductor.client.http.models.schema_def import SchemaDef

TIMEOUT_POLICIES = ("RETRY", "TIME_OUT_WF", "ALERT_ONLY")
RETRY_LOGICS = ("FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF")


@dataclass
class TaskDef(WireModel):
    """A task definition as the metadata API takes it. Fields are in conductor-python's order;
    unset fields are left out of the JSON, so the server applies its own defaults."""

    owner_app: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    created_by: str | None = None
    updated_by: str | None = None
    name: str | None = None
    description: str | None = None
    retry_count: int | None = None
    timeout_seconds: int | None = None
    input_keys: list[str] | None = None
    output_keys: list[str] | None = None
    timeout_policy: Choice = Choice(*TIMEOUT_POLICIES)
    retry_logic: Choice = Choice(*RETRY_LOGICS)
    retry_delay_seconds: int | None = None
    response_timeout_seconds: int | None = None
    concurrent_exec_limit: int | None = None
    input_template: dict[str, Any] | None = None
    rate_limit_per_frequency: int | None = None
    rate_limit_frequency_in_seconds: int | None = None
    isolation_group_id: str | None = None
    execution_name_space: str | None = None
    owner_email: str | None = None
    poll_timeout_seconds: int | None = None
    backoff_scale_factor: int | None = None
    input_schema: SchemaDef | None = None
    output_schema: SchemaDef | None = None
    enforce_schema: bool = False
    base_type: str | None = None
    total_timeout_seconds: int | None = None
    runtime_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in ("input_schema", "output_schema"):
            value = getattr(self, name)
            if isinstance(value, dict):
                setattr(self, name, SchemaDef.from_json(value))
