"""What every route of the web app shares: the services' context, the templates, the guard, the
visitor's marks on the cards shown, JSON shaping."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperradar import __version__
from paperradar.analysis import profiles
from paperradar.analysis.cards import category_tag
from paperradar.search.hybrid import Searcher
from paperradar.services.context import AppContext
from paperradar.services.submissions import Marks, Submissions
from paperradar.text import safe_url
from paperradar.web.security import CSRF_FIELD, Security

HERE = Path(__file__).parent
PER_PAGE = 30  # cards on a page of results, and entries in a feed


def plain(value: Any) -> Any:
    """Dataclasses, dates and the like as JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


class Site:
    """One per app, made by ``create_app`` and handed to routes by :data:`~paperradar.web.routing.SiteDep`."""

    def __init__(self, context: AppContext, security: Security) -> None:
        self.context = context  # what the services work over
        self.security = security
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals |= {
            "delta": lambda days: dt.timedelta(days=days),
            "source_name": profiles.source_name,
            "tag": category_tag,
            "csrf_field": CSRF_FIELD,
        }
        self.templates.env.filters["safe_url"] = safe_url  # imported links: http(s) only

    @property
    def searcher(self) -> Searcher:
        return self.context.searcher

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        visitor = self.security.visitor(request)
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "version": __version__,
                "visitor": visitor,
                "csrf": self.security.csrf_token(request),
                "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                "marks": Marks(set(), set()),
                **context,
            },
            status_code=status,
        )

    def marks_of(self, request: Request, work_ids: list[int]) -> Marks:
        """Which of the shown works the visitor has upvoted and saved (to draw the buttons)."""
        return Submissions(self.context).marks(self.security.visitor(request).name, work_ids)
