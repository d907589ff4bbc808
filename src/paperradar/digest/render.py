"""A digest as an email body: HTML (styles inline, as mail clients want) and plain text, from the
Jinja2 templates in ``templates/``. Each paper is a card like the web's: category tag, date,
Code badge, the title linked to its page here, the first authors then "et al.", the abstract.
The email that asks an address's owner to confirm a subscription is rendered here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from paperradar.analysis.cards import Card
from paperradar.digest.compose import Digest
from paperradar.text import safe_url

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["safe_url"] = safe_url  # imported links: http(s) only
    return env


_ENV = _environment()


def paper_url(base_url: str, card: Card) -> str:
    return f"{base_url.rstrip('/')}/papers/{card.arxiv_id or card.work_id}"


def render(digest: Digest, *, base_url: str, unsubscribe_url: str, what: str | None = None) -> Rendered:
    """The subject and both bodies; ``what`` names the subscription in the footer."""
    base = base_url.rstrip("/")
    context = {
        "digest": digest,
        "base_url": base,
        "unsubscribe_url": unsubscribe_url,
        "what": what or digest.heading,
        "paper_url": lambda card: paper_url(base, card),
    }
    text = _ENV.get_template("digest.txt").render(context)
    html = _ENV.get_template("digest.html").render(context)
    return Rendered(subject=digest.title, text=text, html=html)


def render_confirmation(*, what: str, email: str, owner: str, base_url: str, confirm_url: str) -> Rendered:
    """The email asking ``email``'s owner to confirm the ``what`` digest that ``owner`` asked for."""
    context = {
        "what": what,
        "email": email,
        "owner": owner,
        "base_url": base_url.rstrip("/"),
        "confirm_url": confirm_url,
    }
    text = _ENV.get_template("confirm.txt").render(context)
    html = _ENV.get_template("confirm.html").render(context)
    return Rendered(subject=f"Confirm your paperradar digest: {what}", text=text, html=html)
