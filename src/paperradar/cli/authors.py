"""Researcher commands: a profile like the captured page, identity fixes, and ``metrics refresh``."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup

from paperradar.analysis.ai_score import AIScore
from paperradar.analysis.cards import category_tag
from paperradar.analysis.profiles import Figure, Profile, ProfileWork, source_name
from paperradar.cli.app import (
    app,
    console,
    context_of,
    print_json,
    print_metrics_refresh,
    refresh_with_progress,
    refused,
)
from paperradar.services.profiles import Profiles
from paperradar.text import plural, printable


class _ShowByDefault(TyperGroup):
    """``paperradar author NAME`` means ``paperradar author show NAME``."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


author_app = typer.Typer(
    cls=_ShowByDefault,
    no_args_is_help=True,
    help="A researcher's profile, and fixing who is who.\n\n"
    'Example: [cyan]paperradar author "Natalie Mackraz"[/]   [cyan]paperradar author merge 12 40[/]',
)
app.add_typer(author_app, name="author")
metrics_app = typer.Typer(no_args_is_help=True, help="Paper novelty and author metrics, kept up to date.")
app.add_typer(metrics_app, name="metrics")


def one_author(ctx: typer.Context, name: str, as_json: bool) -> int:
    """The author the text names; lists the candidates and exits when several match."""
    with refused():
        matches = Profiles(context_of(ctx)).matches(name)
    if len(matches) == 1:
        return int(matches[0]["id"])
    if as_json:
        print_json({"query": name, "matches": matches})
        raise typer.Exit(0)
    console.print(f"{len(matches)} authors match {escape(name)!r}; choose one by id:")
    for m in matches:
        context = " · ".join(
            x
            for x in (
                category_tag(m["main_category"]),
                plural(m["papers"], "paper"),
                ", ".join(m["affiliations"]),
            )
            if x
        )
        console.print(
            f"  [bold]{m['id']:>7}[/]  {escape(printable(m['name'], newlines=False))} "
            f"[dim]{escape(printable(context, newlines=False))}[/]",
            highlight=False,
        )
    console.print(f"[dim]e.g.[/] paperradar author {matches[0]['id']}")
    raise typer.Exit(0)


def _shown(figure: Figure, fmt: str = "{:,}") -> str:
    return "—" if figure.value is None else fmt.format(figure.value)


def _score_text(score: AIScore) -> str:
    return "—" if score.value is None else str(score.value)


def _explain(label: str, figure: Figure, value: str) -> None:
    why = figure.basis if figure.value is not None else (figure.reason or figure.basis)
    as_of = f"as of {figure.as_of:%Y-%m-%d}: " if figure.as_of and figure.value is not None else ""
    console.print(f"  [bold]{label:<15}[/] {value:>8}  [dim]{as_of}{escape(why)}[/]", highlight=False)
    for rep in figure.reported:
        when = rep.as_of or rep.seen
        seen = f", as of {when:%Y-%m-%d}" if when else ""
        flags = ([rep.note or "differs from ours"] if rep.differs else []) + rep.problems
        colour = "red" if rep.problems else "yellow"
        flag = f" [{colour}]({escape('; '.join(flags))})[/]" if flags else ""
        console.print(
            f"  {'':<15} {rep.value:>8,}  [dim]reported by {escape(source_name(rep.source))}{seen}[/]{flag}",
            highlight=False,
        )


def _render(p: Profile, abstracts: bool) -> None:
    tag = category_tag(p.main_category.value) or "—"
    novelty = "—" if p.novelty.value is None else f"{p.novelty.value}%"
    console.print(
        f"[bold]{escape(printable(p.name, newlines=False))}[/]  [cyan]{escape(tag)}[/]  "
        f"[dim]author {p.author_id}[/]",
        highlight=False,
    )
    if p.affiliations:
        console.print(f"[dim]{escape(printable(', '.join(p.affiliations[:4]), newlines=False))}[/]")
    console.print(
        f"h-index {_shown(p.h_index)}   {plural(p.papers.value, 'paper')}   "
        f"citations {_shown(p.citations)}   "
        f"Novelty {novelty}   AI Score {_score_text(p.ai_score)}",
        highlight=False,
    )
    console.print()
    _explain("h-index", p.h_index, _shown(p.h_index))
    _explain("i10-index", p.i10_index, _shown(p.i10_index))
    _explain("papers", p.papers, _shown(p.papers))
    _explain("citations", p.citations, _shown(p.citations))
    _explain("citations/year", p.citations_per_year, _shown(p.citations_per_year, "{:,.1f}"))
    _explain("main category", p.main_category, tag)
    _explain("Novelty %", p.novelty, novelty)
    _render_ai_score(p.ai_score)
    console.print()
    console.print(f"[bold]{plural(p.papers.value, 'Paper')}[/]")
    for pw in p.works:
        _render_work(pw, abstracts)
    _render_more(p)


def _render_ai_score(score: AIScore) -> None:
    why = score.reason or f"among {plural(score.peers, 'peer')} in {score.category} with ≥ 3 works"
    console.print(
        f"  [bold]{'AI Score':<15}[/] {_score_text(score):>8}  [dim]{escape(why)}[/]", highlight=False
    )
    for part in score.parts:
        if part.points is None:
            detail = part.reason or ""
        elif part.percentile is None:
            detail = f"{part.value:.0%} of works → {part.points:.1f} points"
        else:
            detail = (
                f"{part.value:,.4g} → {part.percentile:.0f}th percentile of {plural(part.peers, 'peer')} "
                f"→ {part.points:.1f} points"
            )
        console.print(
            f"  {'':<15} {part.weight:>8.2f}  [dim]× {escape(part.label)}: {escape(detail)}[/]",
            highlight=False,
        )


def _render_work(pw: ProfileWork, abstracts: bool) -> None:
    card = pw.card
    head = " · ".join(x for x in (card.tag, card.date) if x)
    code = "  [green]Code[/]" if card.has_code else ""
    console.print()
    console.print(f"[cyan]{escape(head)}[/]{code}", highlight=False)
    console.print(f"[bold]{escape(printable(card.title, newlines=False))}[/]", highlight=False)
    console.print(escape(printable(card.byline(), newlines=False)), highlight=False)
    if abstracts and card.abstract:
        abstract = textwrap.shorten(printable(card.abstract), 600, placeholder=" …")
        console.print(f"[dim]{escape(abstract)}[/]", highlight=False)
    nv = pw.novelty
    if nv.percentile is not None:
        against = plural(nv.neighbours, "earlier work")
        note = (
            f"novelty {nv.percentile:.0f}th percentile among {plural(nv.graded_among, 'paper')} of "
            f"{nv.category}, {nv.month} (N = {nv.novelty:.2f} against {against})"
        )
    else:
        note = f"novelty — ({nv.reason})"
    cites = (
        ""
        if pw.citations is None
        else f" · {plural(pw.citations, 'citation')} ({source_name(pw.citation_source or '')})"
    )
    console.print(f"[dim]{escape(note + cites)}[/]", highlight=False)


def _render_more(p: Profile) -> None:
    """What follows the cards: how many more, the co-authors, citations per year."""
    shown_to = (p.page - 1) * (p.per_page or 0) + len(p.works)
    if p.per_page and p.papers.value > shown_to:
        more = p.papers.value - shown_to
        console.print(f"\n[dim]… and {more:,} more (--page {p.page + 1}, or --limit 0 for all)[/]")
    if p.coauthors:
        console.print()
        console.print(
            "[bold]Co-authors[/]  "
            + escape(printable(", ".join(f"{c.name} ({c.works})" for c in p.coauthors[:12]), newlines=False))
        )
    console.print()
    if p.series:
        years = "  ".join(f"{year} {n:,}" for year, n in p.series.items())
        console.print(f"[bold]Citations per year[/]  {years}", highlight=False)
    else:
        console.print(f"[bold]Citations per year[/]  — [dim]{escape(p.citations_per_year.basis)}[/]")


@author_app.command("show")
def show_author(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME_OR_ID", help='"Natalie Mackraz", "Mackraz, N.", 1072, s2:1723755')
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Every field with its provenance, as JSON.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Paper cards per page (0: all).")] = 20,
    page: Annotated[int, typer.Option(min=1, help="Which page of paper cards.")] = 1,
    abstracts: Annotated[
        bool, typer.Option("--abstracts/--no-abstracts", help="Print the abstracts.")
    ] = True,
) -> None:
    """A researcher's profile: metrics with their sources, then the papers as cards, newest first.

    Names are matched forgivingly (case, accents, initials, "Last, First"); when several people
    match, they are listed to choose from.

    Example: [cyan]paperradar author "Natalie Mackraz"[/]   [cyan]paperradar author s2:1723755 --json[/]
    """
    author_id = one_author(ctx, name, as_json)
    with refused():
        profile = Profiles(context_of(ctx)).profile(author_id, page=page, per_page=limit or None)
    if as_json:
        print_json(profile.as_dict())
    else:
        _render(profile, abstracts)


@author_app.command("merge")
def merge_authors(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The author to keep (name or id).")],
    others: Annotated[list[str], typer.Argument(help="Authors who are the same person (names or ids).")],
) -> None:
    """Declare several author records one person. Sticks through every later import.

    Example: [cyan]paperradar author merge 1072 4410[/]
    """
    target = one_author(ctx, keep, False)
    dropped = [one_author(ctx, other, False) for other in others]
    with refused():
        Profiles(context_of(ctx)).merge(target, dropped)
    console.print(
        f"merged {len(others)} into author {target}; "
        "run [cyan]paperradar metrics refresh[/] to update the metrics"
    )


@author_app.command("split")
def split_author(
    ctx: typer.Context,
    author: Annotated[str, typer.Argument(help="The author whose works are mixed up (name or id).")],
    works: Annotated[
        list[str],
        typer.Option("--works", "-w", help="Works that belong to someone else (arXiv id, DOI or id)."),
    ],
    into: Annotated[str | None, typer.Option(help="Give them to this author instead of a new one.")] = None,
) -> None:
    """Split works off an author onto another person (new, or --into). Sticks through every later import.

    Example: [cyan]paperradar author split 1072 --works 2310.17722 --works 2402.17975[/]
    """
    source = one_author(ctx, author, False)
    target = one_author(ctx, into, False) if into else None
    with refused():
        moved, new = Profiles(context_of(ctx)).split(source, works, target)
    console.print(f"moved {plural(moved, 'work')} from author {source} to author {new}")


@metrics_app.command("refresh")
def refresh(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Recompute every author and every paper's novelty, not only what changed."
        ),
    ] = False,
    novelty: Annotated[
        bool, typer.Option("--novelty/--no-novelty", help="Score paper novelty first.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
) -> None:
    """Score new papers' novelty, then recompute the authors touched since the last run.

    Example: [cyan]paperradar metrics refresh[/]   [cyan]paperradar metrics refresh --full[/]
    """
    done = refresh_with_progress(context_of(ctx), full=full, novelty=novelty)
    if as_json:
        print_json(done.as_dict())
        return
    print_metrics_refresh(done)
