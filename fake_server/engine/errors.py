"""Errors the engine raises; the HTTP layer turns each into Conductor's error body.

Each error has two texts. ``message`` is the fake's own, precise words (which field, what was
wrong, what fits): logs, task reasons and the ``fakeServerDetail`` of an answer use it.
``conductor_message`` is what Conductor answers for the same mistake, with its status code:

- a body its JSON reader cannot read (malformed JSON, a wrong type, an unknown enum value) or a
  query value it cannot convert: Spring's exception, which Conductor's
  ApplicationExceptionMapper answers with 500 (:class:`MalformedRequestError`);
- a constraint of a service method that fails (a missing id, a number out of range): its
  ValidationExceptionMapper's 400 "Validation failed, check below errors for detail." with the
  failed fields (:func:`invalid`);
- an IllegalArgumentException: 400 with its own words (:func:`illegal_argument`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VALIDATION_FAILED = "Validation failed, check below errors for detail."


@dataclass(frozen=True)
class ValidationError:
    """One entry of the ``validationErrors`` list of a 400 answer."""

    path: str
    message: str
    invalid_value: Any = None

    def to_json(self) -> dict[str, Any]:
        # Conductor leaves null fields out of its answers.
        entry: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.invalid_value is not None:
            entry["invalidValue"] = self.invalid_value
        return entry


class ConductorError(Exception):
    """An error with the HTTP status Conductor would answer."""

    status = 500
    retryable = False

    def __init__(self, message: str, *, conductor_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.conductor_message = message if conductor_message is None else conductor_message


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

    def __init__(
        self,
        message: str,
        errors: list[ValidationError] | None = None,
        *,
        conductor_message: str | None = None,
    ) -> None:
        super().__init__(message, conductor_message=conductor_message)
        self.errors = list(errors or [])

    @property
    def is_constraint_violation(self) -> bool:
        """Answered as Conductor's ValidationExceptionMapper answers a failed constraint."""
        return self.conductor_message == VALIDATION_FAILED


class MalformedRequestError(BadRequestError):
    """A client mistake Conductor cannot even read (Spring's HttpMessageNotReadableException,
    MethodArgumentTypeMismatchException, MethodArgumentNotValidException...), which its
    exception mapper answers with 500."""

    status = 500


class UnauthorizedError(ConductorError):
    """A missing, invalid or expired token; ``code`` goes to the body's ``error`` field."""

    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def invalid(path: str, message: str, value: Any = None) -> BadRequestError:
    """A 400 for one field that breaks a constraint, as Conductor's validation answers it."""
    return constraint_violations([ValidationError(path, message, value)])


def constraint_violations(errors: list[ValidationError]) -> BadRequestError:
    """A 400 for fields that break constraints, checked together as Conductor does."""
    detail = "; ".join(f"{error.path}: {error.message}" for error in errors)
    return BadRequestError(detail, errors, conductor_message=VALIDATION_FAILED)


def illegal_argument(message: str) -> BadRequestError:
    """A 400 with Conductor's own words (its IllegalArgumentException)."""
    return BadRequestError(message)


def malformed(path: str, message: str, value: Any = None) -> MalformedRequestError:
    """A 500 for a value Conductor's JSON reader rejects (a wrong type, an unknown enum)."""
    return MalformedRequestError(
        f"{path}: {message}",
        [ValidationError(path, message, value)],
        conductor_message=f"JSON parse error: {path}: {message}",
    )


def unsupported(path: str, what: str, value: Any = None) -> BadRequestError:
    """A 400 for a value the fake server would not honour (it refuses rather than ignore)."""
    message = f"not supported by the fake server: {what}"
    return BadRequestError(message, [ValidationError(path, message, value)])


def mismatched_parameter(
    name: str, value: str, java_type: str, wanted: str, cause: str | None = None
) -> MalformedRequestError:
    """A 500 for a query or path value Spring cannot convert to the parameter's type (its
    MethodArgumentTypeMismatchException); ``wanted`` says what fits, in the fake's words."""
    cause = cause or f'For input string: "{value}"'
    return MalformedRequestError(
        f"{name}: must be {wanted}, got '{value}'",
        [ValidationError(name, f"must be {wanted}", value)],
        conductor_message=(
            f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' to "
            f"required type '{java_type}'; {cause}"
        ),
    )


def missing_parameter(name: str, java_type: str = "String") -> MalformedRequestError:
    """A 500 for a required query parameter that is absent (Spring's
    MissingServletRequestParameterException)."""
    return MalformedRequestError(
        f"{name}: query parameter is required",
        [ValidationError(name, "query parameter is required")],
        conductor_message=(
            f"Required request parameter '{name}' for method parameter type {java_type} is not "
            "present"
        ),
    )
