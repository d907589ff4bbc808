"""What a service can refuse with; the CLI prints the message, the web app maps the class to a status."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service cannot carry out; the message says what and why, for a person."""

    status = 400  # the HTTP status the web app answers with


class NotFound(ServiceError):
    """The work, author, organisation or user named is not in the store."""

    status = 404


class Unavailable(ServiceError):
    """An upstream service (or the configuration to reach it) failed; nothing was written."""

    status = 502
