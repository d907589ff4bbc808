"""The library in the browser: saved papers with tags, notes and reading status; import and export.

Same rules as every change: the visitor must be signed in (or be the local user), forms carry
the CSRF token, the API the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from paperradar.analysis.cards import Card, cards
from paperradar.library_files import import_file, to_bibtex, to_json_lines
from paperradar.records import UnreadableInput
from paperradar.store import library
from paperradar.store.library import LibraryError, LibraryItem
from paperradar.web.routing import CheckedForm, SiteDep, Uploads, work_id_of
from paperradar.web.security import CSRF_HEADER, safe_next
from paperradar.web.site import Site, plain

MAX_UPLOAD = 20 * 1024 * 1024  # a 20 MB .bib holds ~50k entries

router = APIRouter()


class LibraryChange(BaseModel):
    """A change to one saved paper; fields left out stay as they are."""

    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    note: str | None = None
    read: bool | None = None


@contextmanager
def unprocessable() -> Iterator[None]:
    """A library refusal (a bad tag, say) as a 422 saying why."""
    try:
        yield
    except LibraryError as exc:
        raise HTTPException(422, str(exc)) from exc


def owner(site: Site, request: Request) -> str:
    name = site.security.visitor(request).name
    if name is None:
        raise HTTPException(401, "sign in to use your library")
    return name


def listing(site: Site, user: str, tag: str | None, unread: bool) -> list[tuple[Card, LibraryItem]]:
    with unprocessable(), site.reading() as conn:
        found = library.items(conn, user, tag=tag or None, unread=True if unread else None)
        shown = cards(conn, [i.work_id for i in found], dt.date.today())
    return [(shown[i.work_id], i) for i in found if i.work_id in shown]


def apply(site: Site, user: str, ident: str, change: LibraryChange) -> dict[str, Any]:
    with unprocessable(), site.writing() as conn:
        work_id = work_id_of(conn, ident)
        if change.add_tags or change.remove_tags:
            library.tag(conn, user, work_id, add=change.add_tags, remove=change.remove_tags)
        if change.note is not None:
            library.set_note(conn, user, work_id, change.note)
        if change.read is not None:
            library.mark_read(conn, user, work_id, change.read)
        item = library.item(conn, user, work_id)
    return plain(item) if item else {"work_id": work_id}


# -------------------------------------------------------------------- API
@router.get("/api/v1/library", tags=["library"])
def api_library(
    request: Request, site: SiteDep, tag: str | None = None, unread: bool = False
) -> dict[str, Any]:
    """The signed-in user's saved papers, most recently saved first, with tags, note and
    reading status; ``tag`` and ``unread`` filter."""
    user = owner(site, request)
    found = listing(site, user, tag, unread)
    return {
        "user": user,
        "total": len(found),
        "items": [{**plain(c), **plain(i)} for c, i in found],
    }


@router.patch("/api/v1/library/{ident:path}", tags=["library"])
def api_change(request: Request, site: SiteDep, ident: str, change: LibraryChange) -> dict[str, Any]:
    """Tag, untag, note or mark read one paper (saving it if needed). Needs ``X-CSRF-Token``."""
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    user = owner(site, request)
    site.security.votes.check(user, "library changes")
    return apply(site, user, ident, change)


# -------------------------------------------------------------------- pages
@router.get("/library", response_class=HTMLResponse, include_in_schema=False)
def library_page(
    request: Request, site: SiteDep, tag: str | None = Query(None, max_length=100), unread: bool = False
) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse("/login?next=/library", 303)
    found = listing(site, user, tag, unread)
    with site.reading() as conn:
        marks = site.marks(conn, user, [c.work_id for c, _ in found])
        tags = library.tag_counts(conn, user)
    return site.page(
        request, "library.html", user=user, found=found, tags=tags, tag=tag, unread=unread, marks=marks
    )


@router.post("/library/{ident:path}/edit", include_in_schema=False)
def edit_form(request: Request, site: SiteDep, form: CheckedForm, ident: str) -> Response:
    user = site.security.visitor(request).name
    back = safe_next(form.get("next"), "/library")
    if user is None:
        return RedirectResponse("/login?next=/library", 303)
    site.security.votes.check(user, "library changes")
    change = LibraryChange(
        add_tags=[x for x in form.get("add_tags", "").split(",") if x.strip()],
        remove_tags=[form["remove_tag"]] if form.get("remove_tag") else [],
        note=form.get("note"),
        read={"1": True, "0": False}.get(form.get("read", "")),
    )
    apply(site, user, ident, change)
    return RedirectResponse(back, 303)


@router.post("/library/import", response_class=HTMLResponse, include_in_schema=False)
def import_form(request: Request, site: SiteDep, _csrf: CheckedForm, files: Uploads) -> Response:
    user = owner(site, request)
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise HTTPException(400, "choose a BibTeX (.bib) or CSL-JSON (.json) file to import")
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, f"the file is over {MAX_UPLOAD // 2**20} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.filename).name
        path.write_bytes(data)
        try:
            with site.writing() as conn:
                report = import_file(conn, user, path)
        except UnreadableInput as exc:
            raise HTTPException(400, str(exc).replace(str(path), path.name)) from exc
    return site.page(request, "library_import.html", report=report, filename=path.name)


@router.get("/library/export.{form}", include_in_schema=False)
def export(request: Request, site: SiteDep, form: str, tag: str | None = None) -> Response:
    user = owner(site, request)
    with site.reading() as conn:
        if form == "bib":
            body, kind = to_bibtex(conn, user, tag), "application/x-bibtex"
        elif form == "jsonl":
            body, kind = "".join(f"{line}\n" for line in to_json_lines(conn, user, tag)), "application/jsonl"
        else:
            raise HTTPException(404, "the library exports as .bib or .jsonl")
    name = f"paperradar-library{'-' + re.sub(r'[^A-Za-z0-9_-]+', '_', tag) if tag else ''}.{form}"
    return Response(body, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})
