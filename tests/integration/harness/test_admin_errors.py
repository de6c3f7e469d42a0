"""A refused harness call says what the server refused, in the server's own words."""

from __future__ import annotations

from typing import Any

import pytest

from harness.admin import AdminClient, AdminError

KAFKA = {
    "name": "publish",
    "version": 1,
    "tasks": [{"name": "send", "taskReferenceName": "send", "type": "KAFKA_PUBLISH"}],
}


def test_a_refused_definition_names_the_field_and_why(conductor_server: Any) -> None:
    with pytest.raises(AdminError) as raised:
        conductor_server.admin.register_workflow(KAFKA)

    message = str(raised.value)
    assert "-> 400: " in message
    assert "tasks[0].type: not supported by the fake server: KAFKA_PUBLISH" in message
    assert '{"status"' not in message  # the body is read, not dumped
    assert raised.value.status == 400


def test_a_url_without_api_is_named_in_the_error(conductor_server: Any) -> None:
    root = conductor_server.url.removesuffix("/api")
    with AdminClient(root) as admin, pytest.raises(AdminError) as raised:
        admin.register_workflow(KAFKA)

    assert raised.value.status == 404
    assert f"AdminClient's URL {root} does not end in /api" in str(raised.value)


def test_an_unknown_admin_route_is_named(conductor_server: Any) -> None:
    with pytest.raises(AdminError) as raised:
        conductor_server.admin.fake("GET", "/no-such-thing")

    assert "-> 404: No route for GET /fake/no-such-thing" in str(raised.value)
