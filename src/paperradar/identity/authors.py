"""Author identity: when two author mentions are the same person.

Order of evidence: an external id (ORCID, OpenAlex, Semantic Scholar, Hugging Face user)
decides; otherwise the normalised name decides, with shared co-authors breaking ties
between several people of the same name; a candidate that carries a *different* id of
the same scheme is never the same person. The normalised name already absorbs case,
accents, LaTeX, hyphens and "Last, First" order; spellings that differ by initials
(``E. W. Dijkstra`` / ``Edsger W. Dijkstra``) are joined later, by
:mod:`paperradar.store.author_variants`, when the two also share a co-author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from paperradar.identity.ids import family_name, normalise_name
from paperradar.records import AuthorRef


@lru_cache(maxsize=1 << 17)  # a bulk import meets the same few hundred thousand names again and again
def name_key(name: str) -> str:
    return normalise_name(name)[:255]


def conflicts(ids: Mapping[str, str], known: Mapping[str, set[str]]) -> bool:
    """True when ``ids`` and a candidate's ``known`` ids disagree on some scheme."""
    return any(scheme in known and value not in known[scheme] for scheme, value in ids.items())


def choose(
    candidates: Iterable[int],
    ids: Mapping[str, str],
    known_ids: Mapping[int, Mapping[str, set[str]]],
    coauthors: Mapping[int, set[str]],
    my_coauthors: set[str],
) -> int | None:
    """Pick the candidate author for a mention, or ``None`` to create a new author.

    Among candidates without conflicting ids, the one sharing most co-authors wins;
    ties go to the oldest (smallest id), which keeps the choice deterministic.
    """
    eligible = [c for c in candidates if not conflicts(ids, known_ids.get(c, {}))]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (-len(coauthors.get(c, set()) & my_coauthors), c))


def align(displayed: list[AuthorRef], other: list[AuthorRef]) -> dict[int, int]:
    """Map positions of ``other`` (another source's list) onto ``displayed`` by family name.

    Used to carry a source's author ids (S2 authorId, OpenAlex A…) over to the displayed
    authorships of the same work. Returns ``{other_index: displayed_index}``.
    """
    families = [family_name(a.name) for a in displayed]
    mapping: dict[int, int] = {}
    for i, ref in enumerate(other):
        fam = family_name(ref.name)
        if i < len(families) and families[i] == fam:
            mapping[i] = i
            continue
        matches = [j for j, f in enumerate(families) if f == fam]
        if len(matches) == 1:
            mapping[i] = matches[0]
    return mapping


def _token_match(a: str, b: str) -> bool:
    return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))


def variant_of(a: str, b: str) -> bool:
    """May two normalised names be one person written two ways (``e w dijkstra`` / ``edsger w dijkstra``)?

    Same family name; the first given names agree (equal, or one is the other's initial); the
    other given names of the shorter form appear, in order, among the longer one's. Two full,
    different given names (``natalie`` / ``nathan``) never match, and neither does a bare family name.
    """
    if a == b:
        return True
    ta, tb = a.split(), b.split()
    if len(ta) < 2 or len(tb) < 2 or ta[-1] != tb[-1]:
        return False
    short, long = sorted((ta[:-1], tb[:-1]), key=len)
    if not _token_match(short[0], long[0]):
        return False
    rest = iter(long[1:])
    return all(any(_token_match(token, other) for other in rest) for token in short[1:])


def variant_key(name_key: str) -> tuple[str, str] | None:
    """(family name, first initial): names that may be variants of each other share it."""
    parts = name_key.split()
    return (parts[-1], parts[0][0]) if len(parts) >= 2 else None


def fullness(name_key: str) -> tuple[int, int]:
    """How spelled-out a name is: full given names first, then length (the kept spelling of a merge)."""
    given = name_key.split()[:-1]
    return sum(1 for g in given if len(g) > 1), len(name_key)


def initials_only(name_key: str) -> bool:
    """``e w dijkstra``: every given name is an initial."""
    given = name_key.split()[:-1]
    return bool(given) and all(len(g) == 1 for g in given)
