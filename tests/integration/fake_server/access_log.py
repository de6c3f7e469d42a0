"""The fake server's access log, collected while a test runs a client nobody here wrote: the
log says which routes the client called and what each answered."""

from __future__ import annotations

import logging


class AccessLog(logging.Handler):
    """Collects the server's access log lines ("GET /api/... -> 200") while in use; the server
    must run in this process (``FakeServer``, or ``ServerHandle`` in thread mode)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._access = logging.getLogger("fake_server.access")
        self._level = self._access.level

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> AccessLog:
        self._level = self._access.level
        self._access.addHandler(self)
        self._access.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self._access.removeHandler(self)
        self._access.setLevel(self._level)

    def failures(self) -> list[str]:
        """The requests answered with a 4xx or 5xx."""
        return [line for line in self.lines if " -> 4" in line or " -> 5" in line]

    def routes(self) -> set[str]:
        """``"METHOD /path"`` of every request, query left out."""
        return {" ".join(line.split(" ")[:2]).split("?")[0] for line in self.lines}
