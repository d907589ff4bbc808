"""What a service can refuse with; the CLI prints the message, the web app maps the class to a status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from paperradar.store import database


class ServiceError(Exception):
    """A request the service cannot carry out; the message says what and why, for a person."""

    status = 400  # the HTTP status the web app answers with
    retry_after: int | None = None  # seconds after which the same request may succeed (Retry-After)


class NotFound(ServiceError):
    """The work, author, organisation or user named is not in the store."""

    status = 404


class OutOfRange(ServiceError):
    """A value the request may carry but this store cannot serve (a day in year 9999)."""

    status = 422


class Unavailable(ServiceError):
    """An upstream service (or the configuration to reach it) failed; nothing was written."""

    status = 502


class TooMuch(ServiceError):
    """A request over one of the bounds that keep each request's work small (a note's length,
    tags or papers at once); the message names the bound. Nothing was written."""

    status = 422


class Busy(ServiceError):
    """The store's write lock, or the password hashers, are taken by others just now; nothing
    was done, and the same request is worth trying again after ``retry_after`` seconds."""

    status = 503

    def __init__(self, message: str, retry_after: int = database.RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@contextmanager
def busy_refused() -> Iterator[None]:
    """The store's :class:`~paperradar.store.database.Busy` as the service refusal :class:`Busy`."""
    try:
        yield
    except database.Busy as exc:
        raise Busy(str(exc), exc.retry_after) from exc
