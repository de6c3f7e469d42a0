"""Registering a worker's task definition when it starts (``register_task_def``).

The definition is the worker's ``task_def_template`` (its name set to the task's), or just the
name, so that the server applies its defaults. With ``register_schema``, JSON Schemas of the
function's input and output travel inside it as ``inputSchema`` / ``outputSchema`` (Conductor's
``SchemaDef``, type ``JSON``, named ``<task>_input`` / ``<task>_output``), which every
Conductor server accepts through the metadata API.

With ``overwrite_task_def`` (the default) the definition replaces the server's (``PUT``, or
``POST`` when the server has none yet); without it, an existing definition is left as it is.
A server that refuses is logged as a warning: the worker polls all the same.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.errors import ConductorApiError
from conductor.client.http.metadata_client import MetadataClient
from conductor.client.http.models.schema_def import SchemaDef, SchemaType
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.task_client import TaskClient
from conductor.client.worker._json_schema import input_schema, output_schema
from conductor.client.worker.worker_config import WorkerSettings
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)


def task_definition(
    worker: WorkerInterface, settings: WorkerSettings, configuration: Configuration
) -> TaskDef:
    """The definition to register for ``worker`` (see the module doc)."""
    template = getattr(worker, "task_def_template", None)
    task_def = copy.deepcopy(template) if isinstance(template, TaskDef) else TaskDef()
    task_def.name = settings.task_name
    function = getattr(worker, "execute_function", None)
    if function is not None and _registers_schema(settings, configuration):
        strict = settings.strict_schema
        for side, schema in (
            ("input", input_schema(function, strict)),
            ("output", output_schema(function, strict)),
        ):
            if schema is not None:
                schema_def = SchemaDef(
                    name=f"{settings.task_name}_{side}",
                    version=1,
                    type=SchemaType.JSON,
                    data=schema,
                )
                setattr(task_def, f"{side}_schema", schema_def)
    return task_def


def register_task_definition(
    worker: WorkerInterface,
    settings: WorkerSettings,
    configuration: Configuration,
    client: TaskClient | None = None,
) -> bool:
    """Registers the worker's task definition; ``False`` (and a warning) when it could not."""
    task_def = task_definition(worker, settings, configuration)
    name = settings.task_name
    with MetadataClient(configuration, client=client) as metadata:
        try:
            if not settings.overwrite_task_def and metadata.get_task_def(name) is not None:
                logger.info(
                    "Task definition %s exists already: kept as it is (overwrite_task_def is off)",
                    name,
                )
                return True
            _put_or_post(metadata, task_def, settings.overwrite_task_def)
        except ConductorApiError as error:
            logger.warning("Could not register the task definition of %s: %s", name, error)
            return False
    schemas = [s.name for s in (task_def.input_schema, task_def.output_schema) if s is not None]
    logger.info(
        "Registered task definition %s%s",
        name,
        f" with JSON schemas {', '.join(str(s) for s in schemas)}" if schemas else "",
    )
    return True


def _put_or_post(metadata: MetadataClient, task_def: TaskDef, overwrite: bool) -> None:
    if not overwrite:
        metadata.register_task_def(task_def)
        return
    try:
        metadata.update_task_def(task_def)
    except ConductorApiError as error:
        if error.status != 404:
            raise
        metadata.register_task_def(task_def)


def _registers_schema(settings: WorkerSettings, configuration: Any) -> bool:
    """The worker's ``register_schema``; when nothing set it for the worker, the
    configuration's (``Configuration(register_schema=...)``, ``CONDUCTOR_REGISTER_SCHEMAS``)."""
    if settings.sources.get("register_schema", "default") == "default":
        fallback = getattr(configuration, "register_schema", None)
        if fallback is not None:
            return bool(fallback)
    return settings.register_schema
