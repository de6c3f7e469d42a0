"""A schema carried inside a task definition (``inputSchema`` / ``outputSchema``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from conductor.client.http.models._wire import WireModel


class SchemaType(str, Enum):
    JSON = "JSON"
    AVRO = "AVRO"
    PROTOBUF = "PROTOBUF"

    def __str__(self) -> str:
        return self.value


@dataclass
class SchemaDef(WireModel):
    """A named, versioned schema; ``data`` holds the schema document itself (for ``JSON``,
    a JSON Schema)."""

    name: str | None = None
    version: int = 1
    type: SchemaType | None = None
    data: dict[str, Any] | None = None
    external_ref: str | None = None
    owner_app: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    created_by: str | None = None
    updated_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.type is not None and not isinstance(self.type, SchemaType):
            if self.type not in SchemaType.__members__:
                allowed = ", ".join(SchemaType.__members__)
                raise ValueError(f"SchemaDef: type={self.type!r} is not one of {allowed}")
            self.type = SchemaType[self.type]
