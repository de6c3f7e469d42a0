"""Optional token authentication over HTTP, with token expiry driven by a manual clock."""

import pytest

from fake_server.http import create_app
from fake_server.http.auth import TokenAuthority
from fake_server.http.routes import ROUTES


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


def test_only_health_the_token_route_and_signing_in_need_no_token(secured):
    assert secured.get("/health").status_code == 200
    assert secured.get("/api/health").status_code == 200
    assert secured.get("/signin").status_code == 200
    assert secured.get("/static/console.css").status_code == 200
    open_paths = {"/health", "/api/health", "/api/token", "/signin", "/static/<filename>"}
    assert {route.path for route in ROUTES if not route.needs_token} == open_paths


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/fake/state", None),
        ("POST", "/fake/reset", None),
        ("POST", "/fake/tasks", {"taskType": "a"}),
        ("GET", "/fake/stats", None),
        ("POST", "/fake/faults", {"kind": "error", "route": "poll"}),
        ("DELETE", "/fake/faults", None),
        ("POST", "/fake/faults/outage", {"seconds": 1, "mode": "reset"}),
        ("POST", "/start", None),
    ],
)
def test_the_admin_api_and_the_consoles_form_need_a_token(secured, engine, method, path, body):
    engine.enqueue_tasks("kept")
    answer = secured.open(path, method=method, json=body)
    assert answer.status_code == 401
    assert answer.json["error"] == "INVALID_TOKEN"
    assert engine.all_queue_sizes() == {"kept": 1}  # nothing was reset or changed
    token = {"X-Authorization": get_token(secured)}
    assert secured.get("/fake/stats", headers=token).status_code == 200


def test_a_console_page_sends_a_browser_to_sign_in_and_back(secured):
    answer = secured.get("/queues?sort=name")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/signin?next=%2Fqueues%3Fsort%3Dname"
    page = secured.get(answer.headers["Location"])
    assert 'name="next" value="/queues?sort=name"' in page.text


def test_signing_in_keeps_the_token_in_a_cookie_that_opens_pages_and_the_admin_api(secured):
    form = {"keyId": "key", "keySecret": "secret", "next": "/queues"}
    answer = secured.post("/signin", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/queues"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=60" in cookie
    assert secured.get("/queues").status_code == 200  # the test client keeps the cookie
    assert secured.get("/fake/stats").status_code == 200
    secured.post("/signout")
    assert secured.get("/queues").status_code == 303


@pytest.mark.parametrize("next_page", ["https://elsewhere.example/", "//elsewhere.example/"])
def test_signing_in_goes_back_to_this_server_only(secured, next_page):
    form = {"keyId": "key", "keySecret": "secret", "next": next_page}
    assert secured.post("/signin", data=form).headers["Location"] == "/"


def test_a_wrong_secret_shows_the_form_again_with_the_reason(secured):
    answer = secured.post("/signin", data={"keyId": "key", "keySecret": "nope", "next": "/"})
    assert answer.status_code == 401
    assert "Invalid keyId or keySecret" in answer.text
    assert "Set-Cookie" not in answer.headers
    assert secured.get("/queues").status_code == 303


def test_without_auth_everything_is_open_and_signing_in_just_goes_back(engine):
    client = create_app(engine).test_client()
    assert client.get("/fake/state").status_code == 200
    assert client.get("/queues").status_code == 200
    assert client.post("/signin", data={"next": "/queues"}).headers["Location"] == "/queues"


def test_authority_rejects_a_bad_setup(clock):
    with pytest.raises(ValueError, match="both"):
        TokenAuthority("key", "", clock)
    with pytest.raises(ValueError, match="positive"):
        TokenAuthority("key", "secret", clock, ttl_seconds=0)
