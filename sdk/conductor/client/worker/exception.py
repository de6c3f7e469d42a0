"""Exceptions a worker raises to tell the SDK how a failure should be reported."""

from __future__ import annotations


class NonRetryableException(Exception):
    """Raised by a worker when retrying cannot help (bad input, a rejected request, ...).

    The task is reported ``FAILED_WITH_TERMINAL_ERROR``: the server does not retry it, whatever
    its retry settings. Any other exception reports ``FAILED``, which the server retries while
    retries remain.
    """
