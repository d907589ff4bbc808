"""People on a shared server: organisations (a lab or reading group, its members and the papers
they file under it), accounts (adding and managing users, signing in and out) and the first run
(how an empty store gets papers; the local user's library offered to the first account).

``paperradar org``/``user``/``serve`` and the web app's admin, sign-in and "file under your
organisation" forms do these; what the store refuses (a taken handle, the last admin, a short
password) comes back as a :class:`~paperradar.services.errors.ServiceError` with its reason.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from paperradar.services.context import AppContext
from paperradar.services.errors import NotFound, ServiceError, busy_refused
from paperradar.services.library import work_of
from paperradar.store import accounts, community, queries
from paperradar.store.accounts import AccountError, LocalData, User
from paperradar.store.community import OrganisationError
from paperradar.store.database import describe

ROLES = ("member", "admin")
ENV_LOCAL = "PAPERRADAR_LOCAL"  # "1": the web app listens on loopback only (set by `paperradar serve`)


class NotAllowed(ServiceError):
    """The user may not do this (e.g. file a paper under an organisation they are not in)."""

    status = 403


@contextmanager
def refusing(*errors: type[Exception], kind: type[ServiceError] = ServiceError) -> Iterator[None]:
    """The store's refusals (``errors``) as a service's, with the same reason."""
    try:
        yield
    except errors as exc:
        raise kind(str(exc)) from exc


class Community:
    """Organisations over one store."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def organisations(self) -> list[tuple[str, str, str, int]]:
        """Every organisation: (handle, name, source, members)."""
        with self.context.reading() as conn:
            return community.organisations(conn)

    def create(self, handle: str, name: str, admin: str) -> None:
        """A new organisation (named ``name``, else its handle) with ``admin`` as its admin."""
        with refusing(OrganisationError), self.context.writing() as conn:
            community.create_organisation(conn, handle, name or handle, admin)

    def add_member(self, handle: str, member: str, role: str = "member") -> bool:
        """Add ``member`` to the organisation; ``False`` when they were already in it."""
        with self.context.writing() as conn:
            org_id = community.organisation_id(conn, handle)
            if org_id is None:
                raise NotFound(f"no organisation {handle!r}")
            if role not in ROLES:
                raise ServiceError(f"a role is member or admin, not {role!r}")
            if not member:
                raise ServiceError("name the member to add")
            return community.add_member(conn, org_id, member, role)

    def tag(self, handle: str, ident: str, member: str) -> bool:
        """A member files a paper under the organisation; ``False`` when it already was.
        Refused (:class:`NotAllowed`) for an unknown organisation or someone not in it."""
        with refusing(OrganisationError, kind=NotAllowed), self.context.writing() as conn:
            org_id = community.organisation_id(conn, handle)
            if org_id is None:
                raise OrganisationError(f"no organisation {handle!r}")
            return community.tag(conn, org_id, work_of(conn, ident), member)


@dataclass(frozen=True)
class NewAccount:
    user: User
    first: bool  # the first account: an admin, and sign-in is now on
    adopted: LocalData | None = None  # what it took over from the local user, when asked to


class Accounts:
    """The accounts of a shared server over one store (a laptop's store has none)."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def any(self) -> bool:
        """Whether any account exists (with none, a server on localhost acts as the local user)."""
        with self.context.reading() as conn:
            return accounts.any_users(conn)

    def users(self) -> list[User]:
        """Every account, by name."""
        with self.context.reading() as conn:
            return accounts.list_users(conn)

    def add(
        self,
        name: str,
        password: str,
        email: str | None = None,
        admin: bool = False,
        adopt_local: bool = False,
    ) -> NewAccount:
        """Add an account; the first one is always an admin. With ``adopt_local``, the first account
        also takes over what the local user made before accounts (see :meth:`local_offer`), in the
        same transaction: with accounts on, nobody acts as the local user any more."""
        with refusing(AccountError), self.context.writing() as conn:
            first = not accounts.any_users(conn)
            user = accounts.add_user(conn, name, password, email=email, admin=admin or first)
            local = accounts.local_user()
            adopted = accounts.adopt(conn, local, name) if first and adopt_local and local != name else None
            return NewAccount(user, first, adopted)

    def local_offer(self, name: str | None = None) -> LocalData | None:
        """What the first account is offered: the library, tags, notes, marks, votes, submissions,
        digests and memberships made as the local user while there were no accounts; ``None`` when
        accounts exist, the local user has made nothing, or ``name`` is the local user's own."""
        local = accounts.local_user()
        if name == local:
            return None
        with self.context.reading() as conn:
            if accounts.any_users(conn):
                return None
            made = accounts.local_data(conn, local)
        return None if made.empty else made

    def set_password(self, name: str, password: str) -> None:
        """A new password; the user's sessions end."""
        with refusing(AccountError), self.context.writing() as conn:
            accounts.set_password(conn, name, password)

    def set_admin(self, name: str, admin: bool) -> None:
        """Make a user an admin, or no longer one (refused for the last admin)."""
        with refusing(AccountError), self.context.writing() as conn:
            accounts.set_admin(conn, name, admin)

    def remove(self, name: str, by: str | None = None) -> None:
        """Remove an account with its private data in one transaction; its votes stay, anonymised
        (``by``: the admin doing it, who cannot remove themself)."""
        if name == by:
            raise ServiceError("you cannot remove yourself")
        with refusing(AccountError), self.context.writing() as conn:
            accounts.remove_user(conn, name)

    def sign_in(self, name: str, password: str) -> str | None:
        """A new session's token, or ``None`` for a wrong name or password (the same, in the same time)."""
        if not (name and password):
            return None
        with self.context.reading() as conn:
            stored = accounts.password_hash(conn, name)
        with busy_refused():  # the hash is checked holding no connection and no lock
            verified = accounts.verify_password(name, stored, password)
        if verified is None:
            return None
        with self.context.writing() as conn:
            user = accounts.record_sign_in(conn, verified)
            return accounts.start_session(conn, user.name) if user else None

    def sign_out(self, token: str) -> None:
        """End the session of ``token``."""
        with self.context.writing() as conn:
            accounts.end_session(conn, token)

    def server_starting(self) -> bool:
        """Whether accounts exist; if so, the sessions that ran out while no server was up are deleted."""
        if not self.any():
            return False  # no accounts, no sessions: a laptop's store is not written to here
        with self.context.writing() as conn:
            accounts.end_expired_sessions(conn)
        return True


@dataclass(frozen=True)
class Step:
    """One way to get papers into a store: what it does, and the command that does it."""

    what: str
    command: str


class FirstRun:
    """What an empty store needs: papers, and the exact commands that bring them in."""

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def empty(self) -> bool:
        """Whether the store holds no work yet."""
        with self.context.reading() as conn:
            return not queries.any_works(conn)

    def steps(self) -> list[Step]:
        """The demo, an import and a sync, as commands for this very store (``--db``)."""
        url = self.context.engine.url
        store = (
            url.database
            if url.get_backend_name() == "sqlite" and url.database
            else describe(self.context.engine)
        )
        db = f"paperradar --db {shlex.quote(store)}"
        since = (dt.date.today() - dt.timedelta(days=7)).isoformat()
        return [
            Step(
                "The demo: a sample of real records in a database of its own (it prints how to serve it)",
                "paperradar demo --no-serve",
            ),
            Step(
                "Files you have: the arXiv snapshot, Hugging Face daily papers, BibTeX, CSL-JSON, OpenAlex "
                "or Semantic Scholar answers (paperradar formats lists them)",
                f"{db} import FILE...",
            ),
            Step("The past week of Hugging Face daily papers", f"{db} sync hf --from {since}"),
            Step(
                "arXiv's new papers in an archive (cs here) since a day",
                f"{db} sync arxiv --set cs --from {since}",
            ),
        ]
