"""Task definitions through Conductor's metadata API (``/api/metadata/taskdefs``).

The calls go through a ``TaskClient``'s ``ApiConnection`` (a worker process shares the one it
polls with): same server, same token, same timeouts and error reporting
(``ConductorApiError``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._api_connection import ApiConnection
from conductor.client.http._encoding import json_bytes
from conductor.client.http._transport import transport_for
from conductor.client.http.errors import ConductorApiError, json_body
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.task_client import TaskClient

TASK_DEFS = "/metadata/taskdefs"


class MetadataClient:
    """Registers, updates and reads task definitions.

    Arguments:
        configuration: the server and credentials (default ``Configuration()``).
        client: the ``TaskClient`` whose connection to use (default: one of its own, closed
            by ``close()``).
    """

    def __init__(
        self, configuration: Configuration | None = None, *, client: TaskClient | None = None
    ) -> None:
        self._own_connection = client is None
        if client is not None:
            self._connection = client.connection
        else:
            configuration = configuration or Configuration()
            transport = transport_for(configuration, pool_maxsize=1)
            self._connection = ApiConnection(configuration, transport)

    def register_task_def(self, task_def: TaskDef | list[TaskDef]) -> None:
        """Creates the definitions, or replaces those that exist (``POST``)."""
        defs = task_def if isinstance(task_def, list) else [task_def]
        self._send("POST", TASK_DEFS, [d.to_json() for d in defs])

    def update_task_def(self, task_def: TaskDef) -> None:
        """Replaces an existing definition (``PUT``); ``ConductorApiError`` 404 when unknown."""
        self._send("PUT", TASK_DEFS, task_def.to_json())

    def get_task_def(self, name: str) -> TaskDef | None:
        """The definition of ``name``, or ``None`` when the server has none."""
        try:
            response = self._connection.call("GET", f"{TASK_DEFS}/{quote(name, safe='')}")
        except ConductorApiError as error:
            if error.status == 404:
                return None
            raise
        body = json_body(response)
        return TaskDef.from_json(body) if isinstance(body, dict) else None

    def get_all_task_defs(self) -> list[TaskDef]:
        body = json_body(self._connection.call("GET", TASK_DEFS))
        return [TaskDef.from_json(item) for item in body or [] if isinstance(item, dict)]

    def unregister_task_def(self, name: str) -> None:
        self._connection.call("DELETE", f"{TASK_DEFS}/{quote(name, safe='')}")

    def close(self) -> None:
        if self._own_connection:
            self._connection.close()

    def __enter__(self) -> MetadataClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, method: str, path: str, body: Any) -> None:
        self._connection.call(method, path, data=json_bytes(body))
