"""Accounts: users with argon2id password hashes, signed-in sessions, and the app's own secret.

A shared server has users; a laptop has none and the web app then acts as one local user (see
:mod:`paperradar.web.security`). Session cookies are random tokens of which only the SHA-256 is
stored, so reading the database does not let anyone sign in, and signing out really ends them.
A new password has at least :data:`MIN_PASSWORD` characters, is not only spaces and is not one of
the 10,000 most common passwords (``common_passwords.txt``, beside this module). Removing an
account removes its private data and anonymises what it gave the community (votes, submissions).

An argon2 hash takes a core for about 0.2 s and 64 MiB, so at most :data:`HASHERS` (one per
core but one) are made at once in a process; one that finds them all taken for :data:`HASH_WAIT`
seconds is refused as :class:`~paperradar.store.database.Busy`, so a burst of sign-ins is
answered at once instead of queueing without bound. A sign-in checks its password outside any
transaction (:func:`verify_password`): it holds neither a connection nor the write lock meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Table, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperradar.store import schema as t
from paperradar.store.database import RETRY_AFTER, Busy

ENV_USER = "PAPERRADAR_USER"
SESSION_DAYS = 30
MIN_PASSWORD = 10
COMMON_PASSWORDS = "common_passwords.txt"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
HASHERS = max(1, _CORES - 1)  # hashes at once: a core is always left for pages
HASH_WAIT = 2.0  # seconds a password check waits for a free hasher before it is refused
_hashers = threading.BoundedSemaphore(HASHERS)


@contextmanager
def _hashing() -> Iterator[None]:
    """One of the :data:`HASHERS` slots for an argon2 hash, or :class:`Busy` after :data:`HASH_WAIT`."""
    if not _hashers.acquire(timeout=HASH_WAIT):
        raise Busy(f"too many passwords are being checked at once; try again in {RETRY_AFTER} s")
    try:
        yield
    finally:
        _hashers.release()


def _hash(password: str) -> str:
    with _hashing():
        return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so a wrong name takes as long as a wrong password."""
    return _hash(secrets.token_hex(16))


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
                    password_hash=_hash(password),
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
    conn.execute(update(t.users).where(t.users.c.name == name).values(password_hash=_hash(password)))
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


# ------------------------------------------------------------------------------ the local library
@dataclass(frozen=True)
class LocalData:
    """What one name has made in the store: before accounts, the local user's library and the rest."""

    name: str
    saved: int  # papers in the library
    notes: int  # of those, with a note
    tags: int  # distinct tags
    dislikes: int  # "not for me" marks
    votes: int
    submissions: int
    subscriptions: int  # digests
    memberships: int  # organisations joined
    filed: int  # papers filed under an organisation

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f) for f in _LOCAL_COUNTS)

    def summary(self) -> str:
        """``3 saved papers (1 with a note), 2 tags, 1 vote`` — the counts that are not zero."""
        parts = [
            f"{n:,} {one if n == 1 else many}"
            + (f" ({self.notes:,} with a note)" if field == "saved" and self.notes else "")
            for field, one, many in _LOCAL_WORDS
            if (n := getattr(self, field))
        ]
        return ", ".join(parts) or "nothing"


_LOCAL_WORDS = (
    ("saved", "saved paper", "saved papers"),
    ("tags", "tag", "tags"),
    ("dislikes", "“not for me” mark", "“not for me” marks"),
    ("votes", "vote", "votes"),
    ("submissions", "submission", "submissions"),
    ("subscriptions", "digest", "digests"),
    ("memberships", "organisation membership", "organisation memberships"),
    ("filed", "paper filed under an organisation", "papers filed under an organisation"),
)
_LOCAL_COUNTS = [field for field, _one, _many in _LOCAL_WORDS]


def local_data(conn: Connection, name: str) -> LocalData:
    """What ``name`` has in the store (for the local user: what turning accounts on would strand)."""

    def count(column: ColumnElement[Any], *where: ColumnElement[bool]) -> int:
        return int(conn.execute(select(func.count(column)).where(*where)).scalar_one())

    lib, tags = t.library.c, t.library_tags.c
    return LocalData(
        name,
        saved=count(lib.work_id, lib.owner == name),
        notes=count(lib.work_id, lib.owner == name, lib.note.is_not(None), lib.note != ""),
        tags=count(func.distinct(tags.tag), tags.owner == name),
        dislikes=count(t.dislikes.c.work_id, t.dislikes.c.owner == name),
        votes=count(t.votes.c.work_id, t.votes.c.voter == name),
        submissions=count(t.submissions.c.work_id, t.submissions.c.submitter == name),
        subscriptions=count(t.subscriptions.c.id, t.subscriptions.c.owner == name),
        memberships=count(t.organisation_members.c.member, t.organisation_members.c.member == name),
        filed=count(t.work_organisations.c.work_id, t.work_organisations.c.tagged_by == name),
    )


# Rows that belong to a user name: (table, its user column). Where the name is part of a key, a row
# the new owner already has wins, and the old row is the same fact (a save, a tag, a vote…).
_NAMED: tuple[tuple[Table, str], ...] = (
    (t.library, "owner"),
    (t.library_tags, "owner"),
    (t.dislikes, "owner"),
    (t.votes, "voter"),
    (t.organisation_members, "member"),
    (t.subscriptions, "owner"),
    (t.submissions, "submitter"),
    (t.work_organisations, "tagged_by"),
)


def adopt(conn: Connection, old: str, new: str) -> LocalData:
    """Give everything of ``old`` (the local user's library, tags, notes, marks, votes, submissions,
    digests, memberships) to the account ``new``, in the caller's transaction; returns what moved.
    Where ``new`` already has the same row, theirs is kept (with the old note or read mark when
    theirs has none, and the stronger role) and the old duplicate goes; a digest ``new`` already
    has of the same kind stays under ``old``, so no address loses a digest it asked for."""
    if old == new:
        return local_data(conn, new)
    before = local_data(conn, old)
    _merge_duplicates(conn, old, new)
    for table, column in _NAMED:
        user = table.c[column]
        stmt = update(table).where(user == old).values({column: new})
        key = _key_besides(table, column)
        if key:
            alias = table.alias()
            stmt = stmt.where(
                ~exists().where(alias.c[column] == new, *[alias.c[c] == table.c[c] for c in key])
            )
        conn.execute(stmt)
        if key and table is not t.subscriptions:
            conn.execute(delete(table).where(user == old))  # the duplicates of rows new has
    left = local_data(conn, old)
    return dataclasses.replace(
        before, **{f: getattr(before, f) - getattr(left, f) for f in (*_LOCAL_COUNTS, "notes")}, name=new
    )


def _key_besides(table: Table, column: str) -> list[str]:
    """The other columns of the key that holds the user column (none: the name is no part of one)."""
    if table is t.subscriptions:
        return ["kind", "target", "period"]
    key = [c.name for c in table.primary_key.columns]
    return [c for c in key if c != column] if column in key else []


def _merge_duplicates(conn: Connection, old: str, new: str) -> None:
    """Before the old duplicates go: a saved paper keeps the old note and read mark where the new
    owner's copy has none, and a membership the stronger role."""
    lib, olds = t.library, t.library.alias()
    for field in ("note", "read_at"):
        given = select(olds.c[field]).where(
            olds.c.owner == old, olds.c.work_id == lib.c.work_id, olds.c[field].is_not(None)
        )
        conn.execute(
            update(lib)
            .where(lib.c.owner == new, lib.c[field].is_(None), exists(given))
            .values({field: given.scalar_subquery()})
        )
    om, old_om = t.organisation_members, t.organisation_members.alias()
    was_admin = exists().where(
        old_om.c.member == old, old_om.c.organisation_id == om.c.organisation_id, old_om.c.role == "admin"
    )
    conn.execute(update(om).where(om.c.member == new, was_admin).values(role="admin"))


def _delete_private_data(conn: Connection, name: str) -> None:
    """Every row of the user's own data (the tables keyed by a user name that are theirs alone)."""
    subscribed = select(t.subscriptions.c.id).where(t.subscriptions.c.owner == name)
    conn.execute(delete(t.digest_sends).where(t.digest_sends.c.subscription_id.in_(subscribed)))
    conn.execute(delete(t.subscriptions).where(t.subscriptions.c.owner == name))
    for table in (t.library_tags, t.library, t.dislikes):
        conn.execute(delete(table).where(table.c.owner == name))
    conn.execute(delete(t.organisation_members).where(t.organisation_members.c.member == name))
    conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))


@dataclass(frozen=True)
class Verified:
    """A password found right, to be recorded by :func:`record_sign_in`."""

    name: str
    checked: str  # the stored hash it was checked against
    rehashed: str | None  # a new hash, when argon2's parameters have moved on


def password_hash(conn: Connection, name: str) -> str | None:
    """The user's stored hash (``None``: no such user), for :func:`verify_password`."""
    found: str | None = conn.execute(select(t.users.c.password_hash).where(t.users.c.name == name)).scalar()
    return found


def verify_password(name: str, stored: str | None, password: str) -> Verified | None:
    """Whether ``password`` is the one ``stored`` hashes; a missing user (``stored`` is ``None``)
    takes as long as a wrong password. Needs no connection: call it outside transactions."""
    dummy = _dummy_hash()  # made once, before taking a hasher: it takes one itself
    with _hashing():
        if not _verify(stored or dummy, password) or stored is None:
            return None
        rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
    return Verified(name, stored, rehashed)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def record_sign_in(conn: Connection, verified: Verified) -> User | None:
    """Note the sign-in (and keep the new hash); ``None`` when the password changed, or the user
    went, since it was checked."""
    values: dict[str, object] = {"last_login_at": _now()}
    if verified.rehashed:
        values["password_hash"] = verified.rehashed
    u = t.users.c
    done = conn.execute(
        update(t.users).where(u.name == verified.name, u.password_hash == verified.checked).values(values)
    )
    return get_user(conn, verified.name) if done.rowcount else None


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
ENV_SECRET = "PAPERRADAR_SECRET_KEY"  # the signing key from the environment rather than the store


def secret(conn: Connection, key: str = "signing-key") -> bytes:
    """The app's signing key (CSRF tokens, unsubscribe and confirmation links): from
    ``$PAPERRADAR_SECRET_KEY`` when set — then the store never holds one — else a random key made
    on first use and kept in the store (shared by every worker process)."""
    if key == "signing-key" and (given := os.environ.get(ENV_SECRET, "").strip()):
        return hashlib.sha256(given.encode()).digest()
    found = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar()
    if found is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(t.settings).values(key=key, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first: use theirs
        found = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar_one()
    return bytes.fromhex(found)
