"""Accounts: users with argon2id password hashes, signed-in sessions, and the app's own secret.

A shared server has users; a laptop has none and the web app then acts as one local user (see
:mod:`paperradar.web.security`). Session cookies are random tokens of which only the SHA-256 is
stored, so reading the database does not let anyone sign in, and signing out really ends them.
A new password has at least :data:`MIN_PASSWORD` characters, is not only spaces and is not one of
the 10,000 most common passwords (``common_passwords.txt``, beside this module). Removing an
account removes its private data and anonymises what it gave the community (votes, submissions).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t

ENV_USER = "PAPERRADAR_USER"
SESSION_DAYS = 30
MIN_PASSWORD = 10
COMMON_PASSWORDS = "common_passwords.txt"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so a wrong name takes as long as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """An account operation that cannot be done, with the reason for the user."""


@dataclass(frozen=True)
class User:
    name: str
    email: str | None
    is_admin: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_user() -> str:
    """Who acts when there are no accounts: ``$PAPERRADAR_USER``, else the login name (as in the CLI)."""
    return os.environ.get(ENV_USER) or getpass.getuser()


@cache
def _common_passwords() -> frozenset[str]:
    text = files("paperradar.store").joinpath(COMMON_PASSWORDS).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_password(password: str) -> None:
    """Refuse (:class:`AccountError`, saying why) a password that is only spaces, too short or common."""
    if not password.strip():
        raise AccountError("a password cannot be empty or only spaces")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if password.casefold() in _common_passwords():
        raise AccountError("that password is one of the 10,000 most common ones: choose another")


def any_users(conn: Connection) -> bool:
    return bool(conn.execute(select(exists().select_from(t.users))).scalar())


def add_user(
    conn: Connection, name: str, password: str, *, email: str | None = None, admin: bool = False
) -> User:
    if not _NAME.match(name):
        raise AccountError(f"{name!r} is not a user name: up to 64 letters, digits, '.', '_' or '-'")
    check_password(password)
    user = User(name, email or None, admin, _now(), None)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(t.users).values(
                    name=name,
                    email=user.email,
                    password_hash=_hasher.hash(password),
                    is_admin=admin,
                    created_at=user.created_at,
                )
            )
    except IntegrityError:
        raise AccountError(f"there is already a user {name!r}") from None
    return user


def get_user(conn: Connection, name: str) -> User | None:
    u = t.users.c
    row = conn.execute(
        select(u.name, u.email, u.is_admin, u.created_at, u.last_login_at).where(u.name == name)
    ).first()
    return User(*row) if row else None


def list_users(conn: Connection) -> list[User]:
    u = t.users.c
    rows = conn.execute(select(u.name, u.email, u.is_admin, u.created_at, u.last_login_at).order_by(u.name))
    return [User(*r) for r in rows]


def _existing(conn: Connection, name: str) -> None:
    if get_user(conn, name) is None:
        raise AccountError(f"there is no user {name!r}")


def set_password(conn: Connection, name: str, password: str) -> None:
    """A new password; every session of the user ends."""
    _existing(conn, name)
    check_password(password)
    conn.execute(update(t.users).where(t.users.c.name == name).values(password_hash=_hasher.hash(password)))
    conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))


def set_admin(conn: Connection, name: str, admin: bool) -> None:
    _existing(conn, name)
    if not admin and _last_admin(conn, name):
        raise AccountError(f"{name!r} is the only admin: make someone else admin first")
    conn.execute(update(t.users).where(t.users.c.name == name).values(is_admin=admin))


def _last_admin(conn: Connection, name: str) -> bool:
    u = t.users.c
    admins = list(conn.execute(select(u.name).where(u.is_admin.is_(True))).scalars())
    return admins == [name]


def remove_user(conn: Connection, name: str) -> str:
    """Remove the account with its private data, in the caller's transaction: sessions, library
    (saved papers, notes, tags), "not for me" marks, subscriptions and their send log, and
    organisation memberships. Its votes, submissions and organisation tags stay, under a label
    that no account can have (returned), so counts do not change and a new account of the same
    name inherits nothing."""
    _existing(conn, name)
    if _last_admin(conn, name) and len(list_users(conn)) > 1:
        raise AccountError(f"{name!r} is the only admin: make someone else admin first")
    _delete_private_data(conn, name)
    label = f"(removed user {secrets.token_hex(4)})"  # spaces and brackets: never a user name
    conn.execute(update(t.votes).where(t.votes.c.voter == name).values(voter=label))
    conn.execute(update(t.submissions).where(t.submissions.c.submitter == name).values(submitter=label))
    wo = t.work_organisations.c
    conn.execute(update(t.work_organisations).where(wo.tagged_by == name).values(tagged_by=label))
    conn.execute(delete(t.users).where(t.users.c.name == name))
    return label


def _delete_private_data(conn: Connection, name: str) -> None:
    """Every row of the user's own data (the tables keyed by a user name that are theirs alone)."""
    subscribed = select(t.subscriptions.c.id).where(t.subscriptions.c.owner == name)
    conn.execute(delete(t.digest_sends).where(t.digest_sends.c.subscription_id.in_(subscribed)))
    conn.execute(delete(t.subscriptions).where(t.subscriptions.c.owner == name))
    for table in (t.library_tags, t.library, t.dislikes):
        conn.execute(delete(table).where(table.c.owner == name))
    conn.execute(delete(t.organisation_members).where(t.organisation_members.c.member == name))
    conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))


def authenticate(conn: Connection, name: str, password: str) -> User | None:
    """The user when the password is right; rehashes when argon2's parameters have moved on."""
    stored = conn.execute(select(t.users.c.password_hash).where(t.users.c.name == name)).scalar()
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None:
        return None
    values: dict[str, object] = {"last_login_at": _now()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    conn.execute(update(t.users).where(t.users.c.name == name).values(values))
    return get_user(conn, name)


# ------------------------------------------------------------------------------ sessions
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: Connection, name: str) -> str:
    """A new session for the user; returns the cookie value (not stored anywhere). Sessions are
    only ever added here, so the ones that ran out go here too: the table holds the live ones."""
    end_expired_sessions(conn)
    token = secrets.token_urlsafe(32)
    now = _now()
    conn.execute(
        insert(t.sessions).values(
            token_hash=_digest(token),
            user_name=name,
            created_at=now,
            expires_at=now + dt.timedelta(days=SESSION_DAYS),
        )
    )
    return token


def session_user(conn: Connection, token: str) -> User | None:
    s = t.sessions.c
    row = conn.execute(select(s.user_name, s.expires_at).where(s.token_hash == _digest(token))).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires <= _now():
        return None
    return get_user(conn, row.user_name)


def end_session(conn: Connection, token: str) -> None:
    conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == _digest(token)))


def end_expired_sessions(conn: Connection) -> int:
    """Delete the sessions that ran out (:func:`session_user` already refuses them); how many."""
    return int(conn.execute(delete(t.sessions).where(t.sessions.c.expires_at <= _now())).rowcount)


# ------------------------------------------------------------------------------ the app's secret
def secret(conn: Connection, key: str = "signing-key") -> bytes:
    """A random key made on first use and kept in the store (shared by every worker process)."""
    found = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar()
    if found is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(t.settings).values(key=key, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first: use theirs
        found = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar_one()
    return bytes.fromhex(found)
