"""Errors the engine raises; the HTTP layer turns each into Conductor's error body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ValidationError:
    """One entry of the ``validationErrors`` list of a 400 answer."""

    path: str
    message: str
    invalid_value: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "invalidValue": self.invalid_value}


class ConductorError(Exception):
    """An error with the HTTP status Conductor would answer."""

    status = 500
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalStateError(ConductorError):
    """Conductor's IllegalStateException: not mapped by its exception mapper, so a 500."""

    status = 500


class NotFoundError(ConductorError):
    status = 404


class ConflictError(ConductorError):
    status = 409


class BadRequestError(ConductorError):
    """A client mistake; carries the field-level details when there are any."""

    status = 400

    def __init__(self, message: str, errors: list[ValidationError] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


class UnauthorizedError(ConductorError):
    """A missing, invalid or expired token; ``code`` goes to the body's ``error`` field."""

    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def invalid(path: str, message: str, value: Any = None) -> BadRequestError:
    """A 400 for one bad field, with a message that names the field."""
    return BadRequestError(f"{path}: {message}", [ValidationError(path, message, value)])


def unsupported(path: str, what: str, value: Any = None) -> BadRequestError:
    """A 400 for a value the fake server would not honour (it refuses rather than ignore)."""
    message = f"not supported by the fake server: {what}"
    return BadRequestError(message, [ValidationError(path, message, value)])
