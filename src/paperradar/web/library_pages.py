"""The library in the browser: saved papers with tags, notes and reading status; import and export.

Same rules as every change: the visitor must be signed in (or be the local user), forms carry
the CSRF token, the API the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from paperradar.services.library import Change, ExportFormat, Library, Shelf
from paperradar.store.library import LibraryError
from paperradar.web.limits import check_import, check_write
from paperradar.web.routing import CheckedForm, SiteDep, Uploads, refusals
from paperradar.web.security import CSRF_HEADER, safe_next
from paperradar.web.site import Site, plain

EXPORTS: dict[str, tuple[ExportFormat, str]] = {  # the file's extension: its format and media type
    "bib": ("bibtex", "application/x-bibtex"),
    "jsonl": ("jsonl", "application/jsonl"),
}

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


def shelf(site: Site, user: str, tag: str | None, unread: bool) -> Shelf:
    with unprocessable():
        return Library(site.context).shelf(user, tag or None, unread)


def apply(site: Site, user: str, ident: str, change: LibraryChange) -> dict[str, Any]:
    with unprocessable():
        done = Library(site.context).change(user, ident, Change(**change.model_dump()))
    return plain(done.item) if done.item else {"work_id": done.work_id}


# -------------------------------------------------------------------- API
@router.get("/api/v1/library", tags=["library"], responses=refusals(401))
def api_library(
    request: Request, site: SiteDep, tag: str | None = None, unread: bool = False
) -> dict[str, Any]:
    """The signed-in user's saved papers, most recently saved first, with tags, note and
    reading status; ``tag`` and ``unread`` filter."""
    user = owner(site, request)
    found = shelf(site, user, tag, unread).entries
    return {
        "user": user,
        "total": len(found),
        "items": [{**plain(c), **plain(i)} for c, i in found],
    }


@router.patch(
    "/api/v1/library/{ident:path}", tags=["library"], responses=refusals(400, 401, 403, 404, 413, 429, 503)
)
def api_change(request: Request, site: SiteDep, ident: str, change: LibraryChange) -> dict[str, Any]:
    """Tag, untag, note or mark read one paper (saving it if needed). Needs ``X-CSRF-Token``."""
    site.security.check_csrf(request, request.headers.get(CSRF_HEADER))
    user = owner(site, request)
    site.security.votes.check(user, "library changes")
    check_write(request, user, len(change.add_tags) + len(change.remove_tags))
    return apply(site, user, ident, change)


# -------------------------------------------------------------------- pages
@router.get("/library", response_class=HTMLResponse, include_in_schema=False)
def library_page(
    request: Request, site: SiteDep, tag: str | None = Query(None, max_length=100), unread: bool = False
) -> Response:
    user = site.security.visitor(request).name
    if user is None:
        return RedirectResponse("/login?next=/library", 303)
    saved = shelf(site, user, tag, unread)
    found, tags = saved.entries, saved.tags
    marks = site.marks_of(request, [c.work_id for c, _ in found])
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
    check_write(request, user, len(change.add_tags) + len(change.remove_tags))
    apply(site, user, ident, change)
    return RedirectResponse(back, 303)


@router.post("/library/import", response_class=HTMLResponse, include_in_schema=False)
def import_form(request: Request, site: SiteDep, _csrf: CheckedForm, files: Uploads) -> Response:
    user = owner(site, request)
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise HTTPException(400, "choose a BibTeX (.bib) or CSL-JSON (.json) file to import")
    check_import(request, user)
    data = upload.file.read()  # within the upload limit of the whole body (web.limits)
    report = Library(site.context).import_upload(user, upload.filename, data)
    filename = PurePath(upload.filename).name
    return site.page(request, "library_import.html", report=report, filename=filename)


@router.get("/library/export.{form}", include_in_schema=False)
def export(request: Request, site: SiteDep, form: str, tag: str | None = None) -> Response:
    user = owner(site, request)
    if form not in EXPORTS:
        raise HTTPException(404, "the library exports as .bib or .jsonl")
    which, kind = EXPORTS[form]
    body = Library(site.context).export(user, which, tag)
    name = f"paperradar-library{'-' + re.sub(r'[^A-Za-z0-9_-]+', '_', tag) if tag else ''}.{form}"
    return Response(body, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})
