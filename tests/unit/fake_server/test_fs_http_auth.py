"""Optional token authentication over HTTP, with token expiry driven by a manual clock."""

import pytest

from fake_server.http import create_app
from fake_server.http.auth import TokenAuthority


@pytest.fixture
def secured(engine, clock):
    authority = TokenAuthority("key", "secret", clock, ttl_seconds=60)
    return create_app(engine, authority).test_client()


def get_token(client):
    response = client.post("/api/token", json={"keyId": "key", "keySecret": "secret"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json["token"]


def test_a_token_opens_the_api(secured):
    token = get_token(secured)
    assert token.count(".") == 2  # JWT-shaped
    response = secured.get("/api/tasks/queue/all", headers={"X-Authorization": token})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"X-Authorization": "garbage"}, {"X-Authorization": "a.b.c"}]
)
def test_without_a_valid_token_the_api_answers_401_invalid_token(secured, headers):
    response = secured.get("/api/tasks/queue/all", headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "INVALID_TOKEN"
    assert response.json["message"]


def test_a_token_expires_with_the_clock(secured, clock):
    token = get_token(secured)
    clock.advance_seconds(59)
    assert (
        secured.get("/api/tasks/queue/all", headers={"X-Authorization": token}).status_code == 200
    )
    clock.advance_seconds(1)
    response = secured.get("/api/tasks/queue/all", headers={"X-Authorization": token})
    assert response.status_code == 401
    assert response.json["error"] == "EXPIRED_TOKEN"
    fresh = get_token(secured)
    assert (
        secured.get("/api/tasks/queue/all", headers={"X-Authorization": fresh}).status_code == 200
    )


def test_a_token_from_another_server_is_invalid(engine, clock, secured):
    other = create_app(engine, TokenAuthority("key", "secret", clock)).test_client()
    response = secured.get("/api/tasks/queue/all", headers={"X-Authorization": get_token(other)})
    assert (response.status_code, response.json["error"]) == (401, "INVALID_TOKEN")


WRONG_CREDENTIALS = [
    {"keyId": "key", "keySecret": "wrong"},
    {"keyId": "other", "keySecret": "secret"},
    {"keyId": 1, "keySecret": ["secret"]},
    {},
]


@pytest.mark.parametrize("credentials", WRONG_CREDENTIALS)
def test_wrong_credentials_get_no_token(secured, credentials):
    response = secured.post("/api/token", json=credentials)
    assert response.status_code == 401
    assert response.json["error"] == "INVALID_CREDENTIALS"


def test_health_and_admin_need_no_token(secured):
    assert secured.get("/health").status_code == 200
    assert secured.get("/api/health").status_code == 200
    assert secured.post("/fake/tasks", json={"taskType": "a"}).status_code == 200
    assert secured.get("/fake/stats").status_code == 200


def test_authority_rejects_a_bad_setup(clock):
    with pytest.raises(ValueError, match="both"):
        TokenAuthority("key", "", clock)
    with pytest.raises(ValueError, match="positive"):
        TokenAuthority("key", "secret", clock, ttl_seconds=0)
