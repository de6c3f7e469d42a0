"""The fake server's one HTTP layer, over the engine (which knows nothing of HTTP).

- :mod:`.routes`: the routing table, every route once with its handler.
- Handlers per resource: :mod:`.tasks` (polls, updates, logs, queues), :mod:`.workflows`,
  :mod:`.metadata`, :mod:`.admin` (the test-only ``/fake`` API, documented there),
  :mod:`.system` (health, token).
- :mod:`.app`: the Flask app built from the table, and the one place a request is answered
  (token check, handler, error mapping, access log).
- :mod:`.errors`: Conductor's error body for every error; :mod:`.auth`: tokens;
  :mod:`.wire`: request values and the :class:`~.wire.Reply`.
"""

from fake_server.extras import missing_extra

try:
    from fake_server.http.app import create_app
except ModuleNotFoundError as missing:  # the SDK alone was installed
    raise missing_extra(missing) from missing

__all__ = ["create_app"]
