"""Import benchmark: a realistic synthetic arXiv snapshot, then three ways of loading it.

1. A seeded generator writes ``<workdir>/snapshot-<N>.jsonl`` in the Kaggle
   ``arxiv-metadata-oai-snapshot.json`` format. Every distribution is sampled from the real
   fixtures in ``tests/fixtures`` (see :func:`load_corpus`); the file is cached per N.
2. Measurements on that file, each in its own fresh Python process (so its peak RSS is
   its own): ``baseline`` (``json.loads`` + stdlib ``sqlite3`` ``executemany``), ``parse``
   (paperradar's ``arxiv-snapshot`` parser only) and ``e2e`` (parse + store + lexical
   index, exactly as ``paperradar import`` runs them).

Run ``python bench/import_bench.py --help``.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import cProfile
import gzip
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SNAPSHOT_FIXTURE = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
DEFAULT_WORKDIR = ROOT / "bench" / "data"
DEFAULT_SEED = 20260612
GENERATOR_VERSION = 2  # bump when the generated content changes (stored in the stats sidecar)

# Rates the brief fixes (the 2007 fixture lines are not representative of the whole archive here).
DOI_RATE = 0.40
JOURNAL_REF_RATE = 0.30  # overall; far likelier when the paper has a DOI, as on arXiv
AFFILIATION_RATE = 0.09  # papers whose authors carry "(Affiliation)" (18 of the 200 real lines)
DISTINCT_AUTHORS_PER_PAPER = 0.30  # ~300k people for 1M papers
TEAM_REUSE = 0.5  # chance a co-author is drawn from the lead author's recent co-authors
TAIL_AUTHORS_RATE = 0.005  # papers drawn from the large-collaboration tail (16 … 3000 authors)
TAIL_TOKEN_RATE = 0.05  # share of text pieces replaced by a rare token (acronym, number, CamelCase)
MIDDLE_INITIAL_RATE = 0.3  # "Tracy" → "Tracy L.", "J." → "J. K.", as real names often read
FLAT_NAME_RATE = 0.3  # names drawn uniformly over distinct names, else by frequency: ~10% homonyms at 1M
CAREER_MONTHS = 60  # preferential attachment only over the last ~5 years of authorships
FIRST_MONTH, LAST_MONTH = (2007, 4), (2026, 6)
WRAP = 78  # arXiv hard-wraps abstracts near 80 columns

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SUFFIXES = {"Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"}
_TEX = {
    "á": "\\'a", "é": "\\'e", "í": "\\'i", "ó": "\\'o", "ú": "\\'u", "ý": "\\'y", "ć": "\\'c", "ń": "\\'n",
    "à": "\\`a", "è": "\\`e", "ò": "\\`o", "â": "\\^a", "ê": "\\^e", "ô": "\\^o", "î": "\\^i",
    "ä": '\\"a', "ë": '\\"e', "ï": '\\"i', "ö": '\\"o', "ü": '\\"u', "Ö": '\\"O', "Ü": '\\"U',
    "ã": "\\~a", "õ": "\\~o", "ñ": "\\~n", "ç": "\\c{c}", "ø": "{\\o}", "å": "\\aa", "š": "\\v{s}",
    "č": "\\v{c}", "ž": "\\v{z}", "ř": "\\v{r}", "ł": "{\\l}", "ß": "{\\ss}", "É": "\\'E", "Š": "\\v{S}",
}  # fmt: skip
_TEX_TABLE = str.maketrans(_TEX)
_RUN: dict[str, str] = {}  # the source fingerprint the header printed
_DANGLING = {"of", "and", "the", "a", "an", "for", "in", "with", "to", "on", "by", "from", "via", "at"}
_DIGITS = re.compile(r"(\d+)")
_NAME_OK = re.compile(r"^[^\W\d_][\w.'\- ]*$")


# =============================================================================================
# Fixture corpus: everything the generator samples from


@dataclass
class Corpus:
    """Real material from the fixtures: text streams, names, and per-paper distributions."""

    abstract_tokens: list[str] = field(default_factory=list)
    title_tokens: list[str] = field(default_factory=list)
    alpha_words: list[str] = field(default_factory=list)
    first_names: Counter[str] = field(default_factory=Counter)
    last_names: Counter[str] = field(default_factory=Counter)
    suffixes: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    title_lengths: list[int] = field(default_factory=list)  # words, real snapshot lines
    abstract_lengths: list[int] = field(default_factory=list)  # words, real snapshot lines
    paragraph_rate: float = 0.0
    author_counts: dict[str, int] = field(default_factory=dict)  # paper key → authors
    categories: dict[str, list[str]] = field(default_factory=dict)  # paper key → categories
    primary_only: list[str] = field(default_factory=list)  # seed cards: primary category only
    version_counts: dict[str, int] = field(default_factory=dict)
    and_rate: float = 0.0  # author strings joining the last two with " and "
    dois: set[str] = field(default_factory=set)
    journal_refs: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)
    comment_rate: float = 0.0
    report_nos: set[str] = field(default_factory=set)
    report_rate: float = 0.0
    two_doi_rate: float = 0.0
    licenses: list[str | None] = field(default_factory=list)
    documents: int = 0
    _titles: set[str] = field(default_factory=set)
    _abstracts: set[str] = field(default_factory=set)
    _people: set[tuple[str, str]] = field(default_factory=set)

    # ----------------------------------------------------------------- adding material
    def add_title(self, text: str) -> None:
        text = " ".join(text.split())
        if len(text) > 3 and text not in self._titles:
            self._titles.add(text)
            self.title_tokens.extend(text.split())

    def add_abstract(self, text: str) -> None:
        words = text.split()
        text = " ".join(words)
        if len(words) >= 20 and text not in self._abstracts:
            self._abstracts.add(text)
            self.abstract_tokens.extend(words)

    def add_person(self, last: str, first: str, suffix: str = "") -> None:
        last, first = " ".join(last.split()), " ".join(first.split())
        if not last or not first or not _NAME_OK.match(last) or not _NAME_OK.match(first):
            return
        if (first, last) in self._people:
            return
        self._people.add((first, last))
        self.first_names[first] += 1
        self.last_names[last] += 1
        if suffix:
            self.suffixes.append(suffix)

    def add_full_name(self, name: str) -> None:
        parts = name.split()
        suffix = parts.pop() if len(parts) > 2 and parts[-1] in _SUFFIXES else ""
        if len(parts) >= 2:
            self.add_person(parts[-1], " ".join(parts[:-1]), suffix)

    def add_affiliation(self, text: str) -> None:
        text = " ".join(text.split())
        if 3 < len(text) < 120 and not text.replace(" and ", ",").replace(",", "").strip().isdigit():
            self.affiliations.append(text)

    def finish(self) -> None:
        self.documents = len(self._abstracts)
        self.alpha_words = sorted({w.lower() for w in self.abstract_tokens if w.isalpha() and len(w) > 3})
        self.affiliations = sorted(set(self.affiliations))


def _reconstruct_inverted(index: dict[str, list[int]]) -> str:
    """OpenAlex ``abstract_inverted_index`` → the abstract text."""
    slots = {pos: word for word, positions in index.items() for pos in positions}
    return " ".join(slots[i] for i in sorted(slots))


def _walk_json(obj: Any, corpus: Corpus) -> None:
    """Collect titles, abstracts, names and counts from any fixture JSON (S2, OpenAlex, HF, seeds)."""
    if isinstance(obj, list):
        for value in obj:
            _walk_json(value, corpus)
        return
    if not isinstance(obj, dict):
        return
    if "authors_parsed" in obj:  # a snapshot-shaped object: handled by _snapshot_line
        return
    if isinstance(obj.get("title"), str):
        corpus.add_title(obj["title"])
    for key in ("abstract", "summary"):
        if isinstance(obj.get(key), str):
            corpus.add_abstract(obj[key])
    if isinstance(obj.get("abstract_inverted_index"), dict):
        corpus.add_abstract(_reconstruct_inverted(obj["abstract_inverted_index"]))
    authors = obj.get("authors")
    if isinstance(authors, list):
        for author in authors:
            if isinstance(author, dict) and isinstance(author.get("name"), str):
                corpus.add_full_name(author["name"])
    for name in obj.get("authors_shown") or ():
        if isinstance(name, str):
            corpus.add_full_name(name)
    for authorship in obj.get("authorships") or ():
        if isinstance(authorship, dict):
            who = authorship.get("author") or {}
            if isinstance(who.get("display_name"), str):
                corpus.add_full_name(who["display_name"])
            for inst in authorship.get("institutions") or ():
                if isinstance(inst, dict) and isinstance(inst.get("display_name"), str):
                    corpus.add_affiliation(inst["display_name"])
    external = obj.get("externalIds")
    if isinstance(external, dict) and isinstance(external.get("DOI"), str):
        corpus.dois.add(external["DOI"])
    if isinstance(obj.get("doi"), str) and "10." in obj["doi"]:
        corpus.dois.add(obj["doi"][obj["doi"].index("10.") :])
    # Hugging Face daily paper: arXiv id + full author list.
    paper = obj.get("paper")
    if (
        isinstance(paper, dict)
        and isinstance(paper.get("id"), str)
        and isinstance(paper.get("authors"), list)
    ):
        corpus.author_counts.setdefault(paper["id"], len(paper["authors"]))
    # Seed daily listing: real author count of an HF/arXiv paper.
    if isinstance(obj.get("n_authors"), int) and isinstance(obj.get("title_norm"), str):
        corpus.author_counts.setdefault("t:" + obj["title_norm"], obj["n_authors"])
    if isinstance(obj.get("category"), str) and "authors_shown" in obj and obj["category"].isupper():
        corpus.primary_only.append(f"cs.{obj['category']}")  # seed cards show arXiv cs.* codes
    for value in obj.values():
        if isinstance(value, dict | list):
            _walk_json(value, corpus)


def _snapshot_line(obj: dict[str, Any], corpus: Corpus, stats: Counter[str]) -> None:
    """A real snapshot line: text, names, and the per-paper distributions."""
    key = obj["id"]
    corpus.add_title(obj["title"])
    corpus.add_abstract(obj["abstract"])
    corpus.title_lengths.append(len(obj["title"].split()))
    corpus.abstract_lengths.append(len(obj["abstract"].split()))
    stats["paragraphs"] += "\n  " in obj["abstract"].strip()
    for parsed in obj["authors_parsed"]:
        corpus.add_person(parsed[0], parsed[1], parsed[2] if len(parsed) > 2 else "")
        if len(parsed) > 3 and parsed[3]:
            corpus.add_affiliation(parsed[3])
    corpus.author_counts[key] = len(obj["authors_parsed"])
    stats["and"] += " and " in obj["authors"] and len(obj["authors_parsed"]) > 1
    stats["multi"] += len(obj["authors_parsed"]) > 1
    corpus.categories[key] = obj["categories"].split()
    corpus.version_counts[key] = len(obj["versions"])
    if obj.get("doi"):
        corpus.dois.update(obj["doi"].split())
        stats["two_doi"] += len(obj["doi"].split()) > 1
        stats["doi"] += 1
    if obj.get("journal-ref"):
        corpus.journal_refs.add(obj["journal-ref"])
    if obj.get("comments"):
        corpus.comments.add(obj["comments"])
        stats["comments"] += 1
    if obj.get("report-no"):
        corpus.report_nos.add(obj["report-no"])
        stats["report"] += 1
    corpus.licenses.append(obj.get("license"))
    stats["lines"] += 1


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_records(path: Path, corpus: Corpus) -> None:
    """arXiv API Atom entries and OAI-PMH arXiv / arXivRaw records."""
    from lxml import etree

    try:
        tree = etree.parse(str(path))
    except etree.XMLSyntaxError:
        return
    for record in tree.iter():
        kind = _local(record.tag)
        if kind not in ("entry", "arXiv", "arXivRaw"):
            continue
        fields: dict[str, list[Any]] = {}
        for el in record.iter():
            fields.setdefault(_local(el.tag), []).append(el)

        def text(name: str, fields: dict[str, list[Any]] = fields) -> list[str]:
            return [el.text for el in fields.get(name, ()) if el.text and el.text.strip()]

        ident = (text("id") or ["?"])[0].rsplit("/abs/", 1)[-1].split("v")[0]
        for title in text("title"):
            corpus.add_title(title)
        for abstract in text("summary") + text("abstract"):
            corpus.add_abstract(abstract)
        for value in text("journal_ref") + text("journal-ref"):
            corpus.journal_refs.add(value)
        for value in text("comment") + text("comments"):
            corpus.comments.add(value)
        for value in text("report-no"):
            corpus.report_nos.add(value)
        for value in text("doi"):
            corpus.dois.update(value.split())
        for value in text("affiliation"):
            corpus.add_affiliation(value)
        count = 0
        if kind == "entry":  # API: <author><name>
            for name in text("name"):
                corpus.add_full_name(name)
                count += 1
            terms = [el.get("term") for el in fields.get("category", ())]
            primary = [el.get("term") for el in fields.get("primary_category", ())]
            cats = primary + [c for c in terms if c not in primary]
        else:
            for author in fields.get("author", ()):  # OAI arXiv: keyname / forenames
                parts = {_local(el.tag): el.text or "" for el in author}
                corpus.add_person(
                    parts.get("keyname", ""), parts.get("forenames", ""), parts.get("suffix", "")
                )
                count += 1
            for authors in text("authors"):  # arXivRaw: one string
                if "\\" not in authors:
                    names = [n for n in re.split(r",\s*|\s+and\s+", " ".join(authors.split())) if n]
                    for name in names:
                        corpus.add_full_name(name)
                    count = len(names)
            cats = (text("categories") or [""])[0].split()
            if kind == "arXivRaw" and fields.get("version"):
                corpus.version_counts.setdefault(ident, len(fields["version"]))
            for value in text("license"):
                corpus.licenses.append(value)
        if count:
            corpus.author_counts.setdefault(ident, count)
        if cats:
            corpus.categories.setdefault(ident, cats)


def load_corpus(fixtures: Path = FIXTURES) -> Corpus:
    """Read every fixture once: the real snapshot lines, arXiv XML, S2/OpenAlex/HF JSON, seed pages."""
    corpus = Corpus()
    stats: Counter[str] = Counter()
    with SNAPSHOT_FIXTURE.open("rb") as fh:
        for line in fh:
            if line.strip():
                _snapshot_line(orjson.loads(line), corpus, stats)
    for path in sorted(fixtures.rglob("*")):
        if not path.is_file() or path == SNAPSHOT_FIXTURE or path.suffix == ".md":
            continue
        if path.suffix == ".xml":
            _xml_records(path, corpus)
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        try:
            docs: Iterable[Any] = [orjson.loads(data)]
        except orjson.JSONDecodeError:
            try:
                docs = [orjson.loads(line) for line in data.splitlines() if line.strip()]
            except orjson.JSONDecodeError:
                continue  # manifests, .bib, …
        for doc in docs:
            _walk_json(doc, corpus)
    corpus.paragraph_rate = stats["paragraphs"] / stats["lines"]
    corpus.and_rate = stats["and"] / max(1, stats["multi"])
    corpus.comment_rate = stats["comments"] / stats["lines"]
    corpus.report_rate = stats["report"] / stats["lines"]
    corpus.two_doi_rate = stats["two_doi"] / max(1, stats["doi"])
    corpus.finish()
    return corpus


# =============================================================================================
# Generator


class _Template:
    """A real string whose digit runs are re-drawn: ``'12 pages, 3 figures'`` → ``'9 pages, 5 figures'``."""

    __slots__ = ("keep", "parts")

    def __init__(self, text: str, keep: int = 0) -> None:
        self.parts = _DIGITS.split(text)
        self.keep = keep  # leading digit runs left as they are (a DOI's "10" and registrant)

    def fill(self, rand: Callable[[], float], year: int, near: bool) -> str:
        out = list(self.parts)
        for i in range(1 + 2 * self.keep, len(out), 2):
            digits = out[i]
            size = len(digits)
            if size == 4 and digits[:2] in ("19", "20"):
                out[i] = str(year)
            elif near:  # counts (pages, figures): stay within a factor of two
                out[i] = str(max(1, int(int(digits) * (0.5 + 1.5 * rand()))))
            elif digits[0] != "0":  # same length, no leading zero: "76" → "43", never "04"
                out[i] = str(int(10 ** (size - 1) * (1 + 9 * rand())))
            else:
                out[i] = str(int(rand() * 10**size)).zfill(size)
        return "".join(out)


def _stream(tokens: list[str]) -> tuple[str, list[int]]:
    """Tokens joined by spaces, and where each token starts: a run is then one string slice."""
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token) + 1
    offsets.append(position)
    return " ".join(tokens) + " ", offsets


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


@dataclass
class GenStats:
    """What the generator produced (stored beside the snapshot, printed with the results)."""

    lines: int = 0
    seconds: float = 0.0
    authorships: int = 0
    distinct_people: int = 0
    distinct_names: int = 0
    max_authors: int = 0
    papers_over_50_authors: int = 0
    with_doi: int = 0
    with_journal_ref: int = 0
    with_comments: int = 0
    with_affiliations: int = 0
    cross_listed: int = 0
    versions: int = 0
    top_author_papers: int = 0
    bytes: int = 0
    seed: int = 0
    generator_version: int = GENERATOR_VERSION
    fixture_documents: int = 0
    fixture_people: int = 0
    fixture_vocabulary: int = 0


class SnapshotGenerator:
    """Seeded generator of Kaggle-format snapshot lines sampled from a :class:`Corpus`."""

    def __init__(self, corpus: Corpus, n: int, seed: int) -> None:
        self.corpus, self.n, self.seed = corpus, n, seed
        self.rng = random.Random(seed)
        self.stats = GenStats(seed=seed, fixture_documents=corpus.documents)
        # Names weighted by how many distinct real people carry them.
        self.firsts = list(corpus.first_names)
        self.first_cum = _cumulative(corpus.first_names.values())
        self.lasts = list(corpus.last_names)
        self.last_cum = _cumulative(corpus.last_names.values())
        self.stats.fixture_people = len(corpus._people)
        self.stats.fixture_vocabulary = len(set(corpus.abstract_tokens) | set(corpus.title_tokens))
        # People: parallel lists indexed by person id.
        self.p_plain: list[str] = []  # "First Last II" (submitter)
        self.p_tex: list[str] = []  # as in the authors string (accents as TeX)
        self.p_parsed: list[list[str]] = []  # [last, first, suffix]
        self.p_aff: list[str] = []
        self.memory: dict[int, list[int]] = {}  # person → recent co-authors
        self.history: list[int] = []  # every authorship so far, in order (preferential attachment)
        self.rosters: list[list[int]] = []  # large collaborations re-sign their author lists
        self.dois: set[str] = set()
        # Per-paper distributions.
        self.author_counts = list(corpus.author_counts.values())
        cats = list(corpus.categories.values())
        self.primaries = [c[0] for c in cats] + corpus.primary_only
        self.cat_counts = [len(c) for c in cats]
        self.all_cats = [c for cs in cats for c in cs] + corpus.primary_only
        self.by_archive: dict[str, list[str]] = {}
        for cat in self.all_cats:
            self.by_archive.setdefault(cat.split(".")[0], []).append(cat)
        self.version_counts = list(corpus.version_counts.values())
        self.doi_templates = [_Template(d, keep=2) for d in sorted(corpus.dois) if d.startswith("10.")]
        self.jref_templates = [_Template(t) for t in sorted(corpus.journal_refs)]
        self.comment_templates = [_Template(t) for t in sorted(corpus.comments)]
        self.report_templates = [_Template(t) for t in sorted(corpus.report_nos)]
        self.licenses = corpus.licenses
        self.runs = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8]  # words per copied run
        self.abstract_stream = _stream(corpus.abstract_tokens)
        self.title_stream = _stream(corpus.title_tokens)

    # ----------------------------------------------------------------- ids and dates
    def _months(self) -> list[tuple[int, int, int]]:
        """``(year, month, papers)`` for every month, growing like arXiv (≈5k → ≈24k a month)."""
        months = []
        y, m = FIRST_MONTH
        while (y, m) <= LAST_MONTH:
            months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        weights = [5 + 19 * i / (len(months) - 1) for i in range(len(months))]
        total = sum(weights)
        counts = [int(self.n * w / total) for w in weights]
        for i in range(self.n - sum(counts)):
            counts[-1 - i % len(counts)] += 1
        return [(y, m, c) for (y, m), c in zip(months, counts, strict=True)]

    def ids(self) -> Iterator[tuple[str, int, int]]:
        """``(arxiv id, v1 timestamp lower bound, month length)``: unique, in id order like the snapshot."""
        rng = self.rng
        for year, month, count in self._months():
            if not count:
                continue
            width = 4 if year < 2015 else 5
            real = int(5000 + 19000 * (year - 2007) / 19)  # papers arXiv got that month, roughly
            cap = min(10**width - 1, max(count, real))
            prefix = f"{year % 100:02d}{month:02d}."
            start = calendar.timegm((year, month, 1, 0, 0, 0))
            end = calendar.timegm((year + month // 12, month % 12 + 1, 1, 0, 0, 0))
            for seq in sorted(rng.sample(range(1, cap + 1), count)):
                yield f"{prefix}{seq:0{width}d}", start, end - start

    # ----------------------------------------------------------------- people
    def _new_person(self) -> int:
        rng = self.rng
        rand = rng.random
        if rand() < FLAT_NAME_RATE:
            first = self.firsts[int(rand() * len(self.firsts))]
        else:
            first = self.firsts[bisect.bisect(self.first_cum, rand() * self.first_cum[-1])]
        if rand() < FLAT_NAME_RATE:
            last = self.lasts[int(rand() * len(self.lasts))]
        else:
            last = self.lasts[bisect.bisect(self.last_cum, rand() * self.last_cum[-1])]
        if " " not in first and rand() < MIDDLE_INITIAL_RATE:  # only a single given name or initial
            first = f"{first} {chr(65 + int(rand() * 26))}."
        suffix = ""
        if self.corpus.suffixes and rng.random() < 0.004:
            suffix = rng.choice(self.corpus.suffixes)
        plain = f"{first} {last} {suffix}" if suffix else f"{first} {last}"
        self.p_plain.append(plain)
        self.p_tex.append(plain.translate(_TEX_TABLE))
        self.p_parsed.append([last, first, suffix])
        self.p_aff.append(rng.choice(self.corpus.affiliations) if self.corpus.affiliations else "")
        return len(self.p_plain) - 1

    def _team(self, k: int, p_new: float, window: int) -> list[int]:
        """``k`` distinct people: preferential attachment over recent authorships, new people at
        rate ``p_new``, co-authors often from the lead's recent co-authors, rosters for big teams."""
        rand = self.rng.random
        if k > 50:  # a collaboration: mostly the same long list every time
            r = int(rand() ** 2 * max(1, len(self.rosters) + (len(self.rosters) < 3 + self.n // 100_000)))
            if r >= len(self.rosters):
                self.rosters.append([])
            roster = self.rosters[r]
            while len(roster) < k:
                roster.append(self._new_person())
            signed = roster[:k]
            if rand() < 0.5:
                signed[int(rand() * k)] = self._new_person()  # someone joined
            return signed
        history = self.history
        team: list[int] = []
        seen: set[int] = set()
        mem: list[int] | None = None
        while len(team) < k:
            if mem and rand() < TEAM_REUSE:
                person = mem[int(rand() * len(mem))]
            elif not history or rand() < p_new:
                person = self._new_person()
            else:
                span = min(len(history), window)
                person = history[len(history) - 1 - int(rand() * span)]
            if person in seen:
                if rand() < 0.5:
                    continue
                person = self._new_person()
            seen.add(person)
            team.append(person)
            if mem is None:
                mem = self.memory.get(person)
        if k <= 30:
            for person in team:
                recent = self.memory.get(person)
                if recent is None:
                    recent = self.memory[person] = []
                recent.extend(p for p in team if p != person)
                if len(recent) > 24:
                    del recent[:-16]
        return team

    def _n_authors(self) -> int:
        rand = self.rng.random
        if rand() < TAIL_AUTHORS_RATE:
            return min(3000, int(16 / (1.0 - rand()) ** (1 / 1.3)))
        return self.author_counts[int(rand() * len(self.author_counts))]

    # ----------------------------------------------------------------- text
    def _tail_token(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            word = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=rng.randint(2, 6)))
            return f"({word})" if r < 0.2 else word + (str(rng.randint(1, 9)) if r < 0.3 else "")
        if r < 0.7:
            words = self.corpus.alpha_words
            return (
                words[int(rng.random() * len(words))].capitalize()
                + words[int(rng.random() * len(words))].capitalize()
            )
        return f"{rng.random() * 1000:.{rng.randint(1, 3)}f}" + ("%" if r > 0.9 else "")

    def _text(self, stream: tuple[str, list[int]], words: int, newline: str, paragraph: int) -> str:
        """``words`` words of real runs of a token ``stream``, wrapped with ``newline`` near :data:`WRAP`."""
        text, offsets = stream
        rand, runs, tail_rate = self.rng.random, self.runs, TAIL_TOKEN_RATE
        last = len(offsets) - 10
        nruns = len(runs)
        out: list[str] = []
        append = out.append
        count = line = pieces = 0
        while count < words:
            if rand() < tail_rate:
                piece = self._tail_token()
                count += 1
            else:
                size = runs[int(rand() * nruns)]
                if size > words - count:
                    size = words - count
                start = int(rand() * last)
                piece = text[offsets[start] : offsets[start + size] - 1]
                count += size
            plen = len(piece)
            if line and line + plen >= WRAP:
                append("\n  " if pieces == paragraph else newline)
                line = plen
            elif line:
                append(" ")
                line += plen + 1
            else:
                line = plen
            append(piece)
            pieces += 1
        return "".join(out)

    def _title(self) -> str:
        rand = self.rng.random
        lengths = self.corpus.title_lengths
        words = max(2, round(lengths[int(rand() * len(lengths))] * (0.85 + 0.3 * rand())))
        for _ in range(10):  # a run of bare punctuation can strip to nothing: draw again
            text = self._text(self.title_stream, words, "\n  ", -1).rstrip(".,;:")
            head, _, tail = text.rpartition(" ")
            if head and tail.lower() in _DANGLING:  # a cut run can end on "of"; real titles do not
                text = head.rstrip(".,;:\n ")
            if len(text) >= 8 and any(ch.isalpha() for ch in text):
                break
        return text[:1].upper() + text[1:]

    def _abstract(self) -> str:
        rand = self.rng.random
        lengths = self.corpus.abstract_lengths
        words = max(10, round(lengths[int(rand() * len(lengths))] * (0.85 + 0.3 * rand())))
        paragraph = int(rand() * words / 4) if rand() < self.corpus.paragraph_rate else -1
        return "  " + self._text(self.abstract_stream, words, "\n", paragraph) + "\n"

    # ----------------------------------------------------------------- the rest of a line
    def _categories(self) -> str:
        rand = self.rng.random
        primary = self.primaries[int(rand() * len(self.primaries))]
        k = self.cat_counts[int(rand() * len(self.cat_counts))]
        chosen = [primary]
        same = self.by_archive.get(primary.split(".")[0], [])
        for _ in range(4 * k):
            if len(chosen) >= k:
                break
            pool = same if rand() < 0.5 and len(same) > 1 else self.all_cats
            cat = pool[int(rand() * len(pool))]
            if cat not in chosen:
                chosen.append(cat)
        return " ".join(chosen)

    def _doi(self, year: int) -> str:
        rand = self.rng.random
        for attempt in range(8):
            template = self.doi_templates[int(rand() * len(self.doi_templates))]
            value = template.fill(rand, year, near=False)
            if attempt > 3:
                value = f"{value}.{int(rand() * 10**6)}"
            if value.lower() not in self.dois:
                self.dois.add(value.lower())
                return value
        value = f"10.48550/bench.{len(self.dois)}"
        self.dois.add(value)
        return value

    @staticmethod
    def _rfc1123(ts: float) -> str:
        tm = time.gmtime(ts)
        return (
            f"{_WEEKDAYS[tm.tm_wday]}, {tm.tm_mday} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} GMT"
        )

    def lines(self) -> Iterator[bytes]:
        """Every line of the snapshot, in id order (as the Kaggle file is)."""
        rng, stats, corpus = self.rng, self.stats, self.corpus
        rand = rng.random
        end_ts = calendar.timegm((*LAST_MONTH, 28, 23, 59, 59))
        mean_authors = sum(self.author_counts) / len(self.author_counts)
        target_people = max(50, int(self.n * DISTINCT_AUTHORS_PER_PAPER))
        p_new = min(1.0, target_people / (self.n * mean_authors * (1 - TEAM_REUSE / 2)))
        window = int(CAREER_MONTHS * self.n / 231 * mean_authors)
        picks = 0
        vnames = [f"v{i}" for i in range(1, 100)]
        for index, (arxiv_id, month_start, month_len) in enumerate(self.ids()):
            if index and index % 2000 == 0:  # steer towards the target number of distinct people
                per_paper = picks / index
                left = (self.n - index) * per_paper * (1 - TEAM_REUSE / 2)
                p_new = min(1.0, max(0.01, (target_people - len(self.p_plain)) / max(1.0, left)))
            k = self._n_authors()
            team = self._team(k, p_new, window)
            picks += k
            self.history.extend(team)
            year = int(arxiv_id[:2]) + 2000
            # Authors: the string (TeX accents, optional affiliations) and authors_parsed agree.
            with_aff = rand() < AFFILIATION_RATE
            if with_aff:
                shown = [f"{self.p_tex[p]} ({self.p_aff[p]})" for p in team]
                parsed = [[*self.p_parsed[p], self.p_aff[p]] for p in team]
                stats.with_affiliations += 1
            else:
                shown = [self.p_tex[p] for p in team]
                parsed = [self.p_parsed[p] for p in team]
            if k > 1 and rand() < corpus.and_rate:
                shown[-2:] = [f"{shown[-2]} and {shown[-1]}"]
            authors = ", ".join(shown)
            if len(authors) > WRAP:  # arXiv wraps long author lists too
                authors = authors.replace(", ", ",\n  ", 1 + int(rand() * min(8, k)))
            # Versions and dates.
            ts = month_start + rand() * month_len
            nv = self.version_counts[int(rand() * len(self.version_counts))]
            versions = []
            for v in range(nv):
                if v:
                    ts = min(end_ts, ts + 3600 + rng.expovariate(1 / (40 * 86400)))
                versions.append({"version": vnames[v], "created": self._rfc1123(ts)})
            if rand() < 0.35:
                ts = min(end_ts, ts + rand() * 700 * 86400)
            updated = time.gmtime(ts)
            # Optional fields.
            doi = None
            if rand() < DOI_RATE:
                doi = self._doi(year)
                if rand() < corpus.two_doi_rate:
                    doi = f"{doi} {self._doi(year + 1)}"
                stats.with_doi += 1
            journal_ref = None
            if rand() < (0.6 if doi else 0.1) and self.jref_templates:
                template = self.jref_templates[int(rand() * len(self.jref_templates))]
                journal_ref = template.fill(rand, year + (rand() < 0.5), near=False)
                stats.with_journal_ref += 1
            comments = None
            if rand() < corpus.comment_rate:
                template = self.comment_templates[int(rand() * len(self.comment_templates))]
                comments = template.fill(rand, year, near=True)
                stats.with_comments += 1
            report = None
            if rand() < corpus.report_rate:
                template = self.report_templates[int(rand() * len(self.report_templates))]
                report = template.fill(rand, year, near=False)
            categories = self._categories()
            stats.cross_listed += " " in categories
            stats.versions += nv
            stats.authorships += k
            stats.max_authors = max(stats.max_authors, k)
            stats.papers_over_50_authors += k > 50
            yield orjson.dumps(
                {
                    "id": arxiv_id,
                    "submitter": self.p_plain[team[0] if rand() < 0.6 else team[int(rand() * k)]],
                    "authors": authors,
                    "title": self._title(),
                    "comments": comments,
                    "journal-ref": journal_ref,
                    "doi": doi,
                    "report-no": report,
                    "categories": categories,
                    "license": self.licenses[int(rand() * len(self.licenses))],
                    "abstract": self._abstract(),
                    "versions": versions,
                    "update_date": f"{updated.tm_year:04d}-{updated.tm_mon:02d}-{updated.tm_mday:02d}",
                    "authors_parsed": parsed,
                }
            )
            stats.lines += 1

    def finish_stats(self) -> GenStats:
        stats = self.stats
        stats.distinct_people = len(self.p_plain)
        stats.distinct_names = len(set(self.p_plain))
        stats.top_author_papers = Counter(self.history).most_common(1)[0][1] if self.history else 0
        return stats


def snapshot_path(workdir: Path, n: int) -> Path:
    return workdir / f"snapshot-{n}.jsonl"


def generate(path: Path, n: int, seed: int, show_progress: bool = True) -> GenStats:
    """Write ``n`` lines to ``path`` (atomically), with a rich progress bar; return what was made."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    started = time.perf_counter()
    corpus = load_corpus()
    gen = SnapshotGenerator(corpus, n, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".jsonl.tmp")
    columns = (
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with tmp.open("wb", buffering=1 << 22) as out, Progress(*columns, disable=not show_progress) as bar:
        task = bar.add_task("generate", total=n)
        buffer: list[bytes] = []
        for line in gen.lines():
            buffer.append(line)
            if len(buffer) == 5000:
                buffer.append(b"")
                out.write(b"\n".join(buffer))
                bar.advance(task, len(buffer) - 1)
                buffer = []
        if buffer:
            buffer.append(b"")
            out.write(b"\n".join(buffer))
            bar.advance(task, len(buffer) - 1)
    tmp.replace(path)
    stats = gen.finish_stats()
    stats.seconds = time.perf_counter() - started
    stats.bytes = path.stat().st_size
    path.with_suffix(".stats.json").write_bytes(orjson.dumps(stats.__dict__, option=orjson.OPT_INDENT_2))
    return stats


def ensure_snapshot(workdir: Path, n: int, seed: int) -> tuple[Path, GenStats | None, bool]:
    """The cached snapshot for ``n`` lines, generated when missing (or made by another seed or
    generator version, as its stats sidecar says): ``(path, stats, generated)``."""
    path = snapshot_path(workdir, n)
    if path.exists():
        sidecar = path.with_suffix(".stats.json")
        stats = GenStats(**json.loads(sidecar.read_text())) if sidecar.exists() else None
        if stats is None or (stats.seed == seed and stats.generator_version == GENERATOR_VERSION):
            return path, stats, False
    return path, generate(path, n, seed), True


# =============================================================================================
# Measurements (each runs in its own process: ``--worker PART``)


def _peak_rss_mib() -> float:
    """This process's peak RSS. ``VmHWM`` where there is /proc: on Linux ``ru_maxrss`` survives
    ``execve``, so a worker spawned by a big parent would report the parent's peak instead."""
    try:
        with open("/proc/self/status") as fh:
            for row in fh:
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _fresh(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        candidate.unlink(missing_ok=True)
    shutil.rmtree(Path(f"{path}.index"), ignore_errors=True)


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _db_size(path: Path) -> int:
    return sum(_tree_size(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm"))


def measure_baseline(snapshot: Path, db: Path) -> dict[str, Any]:
    """``json.loads`` per line + one ``executemany`` into one table, one transaction."""
    _fresh(db)
    started = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE papers (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT, categories TEXT)"
    )

    def rows() -> Iterator[tuple[str, str, str, str, str]]:
        with snapshot.open("rb") as fh:
            for line in fh:
                obj = json.loads(line)
                yield obj["id"], obj["title"], obj["abstract"], obj["authors"], obj["categories"]

    with con:  # one transaction, committed at the end
        con.executemany("INSERT INTO papers VALUES (?, ?, ?, ?, ?)", rows())
    papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - started
    return {"papers": papers, "seconds": seconds, "db_bytes": _db_size(db), "peak_rss_mib": _peak_rss_mib()}


def measure_parse(snapshot: Path) -> dict[str, Any]:
    """paperradar's ``arxiv-snapshot`` parser alone: items per second."""
    from paperradar.sources import format_by_name

    started = time.perf_counter()
    fmt = format_by_name("arxiv-snapshot")
    papers = problems = 0
    for item in fmt.parse(snapshot, 0):
        papers += 1
        problems += item.problem is not None
    seconds = time.perf_counter() - started
    return {"papers": papers, "problems": problems, "seconds": seconds, "peak_rss_mib": _peak_rss_mib()}


def _decile_rates(marks: list[tuple[float, int]], size: int, papers: int) -> list[float]:
    """Papers/s over each tenth of the works: does it slow down as the store grows?"""
    rates: list[float] = []
    previous = marks[0][0]
    for tenth in range(1, 11):
        reached = next((t for t, done in marks if done >= size * tenth / 10), None)
        if reached is None:
            break
        rates.append(papers / 10 / max(1e-9, reached - previous))
        previous = reached
    return rates


def _profile_threads(sink: list[cProfile.Profile]) -> None:
    """Profile every Python thread started from now on (cProfile only sees the thread that enables it)."""
    import threading

    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        sink.append(profile)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()

    threading.Thread.run = run  # type: ignore[method-assign]


def measure_e2e(snapshot: Path, db: Path, profile_out: Path | None = None) -> dict[str, Any]:
    """Parse + store + lexical index, as ``paperradar import`` does (fresh SQLite file)."""
    from paperradar.ingest import import_file
    from paperradar.search.lexical import LexicalIndex, index_dir
    from paperradar.sources import format_by_name
    from paperradar.sources.parallel import default_workers
    from paperradar.store.database import open_store
    from paperradar.store.writer import Changes

    _fresh(db)
    profiler = cProfile.Profile() if profile_out else None
    thread_profiles: list[cProfile.Profile] = []
    if profiler:
        _profile_threads(thread_profiles)
    t0 = time.perf_counter()
    engine = open_store(f"sqlite:///{db}")
    t1 = time.perf_counter()
    if profiler:
        profiler.enable()
    follower = LexicalIndex(index_dir(engine)).follow(engine)
    step_seconds = 0.0
    marks: list[tuple[float, int]] = [(time.perf_counter(), 0)]  # (time, works written) after each batch

    def step(changes: Changes) -> None:  # follower.step, timed (negligible: once per 2000-item batch)
        nonlocal step_seconds
        begun = time.perf_counter()
        follower.step(changes)
        step_seconds += time.perf_counter() - begun
        marks.append((time.perf_counter(), marks[-1][1] + len(changes.works)))

    ticks = _cpu_ticks()
    result = import_file(engine, snapshot, progress=None, after_batch=step)
    t2 = time.perf_counter()
    indexed = follower.close()
    t3 = time.perf_counter()
    spent: list[int] = [after - before for before, after in zip(ticks, _cpu_ticks(), strict=False)]
    total_ticks = sum(spent)
    main_cpu, workers_cpu = _cpu_seconds()
    if profiler and profile_out:
        profiler.disable()
        profiler.dump_stats(profile_out)
        if thread_profiles:
            merged = pstats.Stats(thread_profiles[0])
            for other in thread_profiles[1:]:
                merged.add(other)
            merged.dump_stats(profile_out.with_suffix(".threads.pstats"))
    index_path = index_dir(engine)
    engine.dispose()
    return {
        "papers": result.items,
        "error": result.error,
        "counts": result.counts.as_dict(),
        "notes": result.counts.notes[:5],
        "indexed": indexed,
        "open_seconds": t1 - t0,
        "import_seconds": t2 - t1,
        "step_seconds": step_seconds,
        "deciles": _decile_rates(marks, marks[-1][1], result.items),
        "close_seconds": t3 - t2,
        "seconds": t3 - t1,
        "db_bytes": _db_size(db),
        "index_bytes": _tree_size(index_path),
        "peak_rss_mib": _peak_rss_mib(),
        "profiled": profiler is not None,
        "workers": default_workers(format_by_name("arxiv-snapshot"), snapshot),
        "cpu_main": main_cpu,
        "cpu_workers": workers_cpu,
        "busy": 1 - (spent[3] + spent[4]) / total_ticks if total_ticks else None,  # not idle, not iowait
        "steal": spent[7] / total_ticks if total_ticks and len(spent) > 7 else None,
    }


FLOOR_TABLES = ("works", "authors", "work_ids", "work_versions", "work_sources", "authorships")  # FK order


def measure_floor(source_db: Path, db: Path) -> dict[str, Any]:
    """SQLite's own cost for the rows paperradar stores: the e2e database's content tables
    re-inserted into a fresh store with plain ``executemany``, in 2,000-work transactions with
    the writer's pragmas (WAL, foreign keys, 1 GiB cache). Only the inserts and commits are timed:
    no parsing, no Python per row. No importer of this schema on this machine can beat it."""
    from paperradar.store.database import open_store

    _fresh(db)
    open_store(f"sqlite:///{db}").dispose()  # the schema, by the migrations
    src = sqlite3.connect(source_db)
    dst = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-1048576",
                   "mmap_size=1073741824", "wal_autocheckpoint=16384", "temp_store=MEMORY"):  # fmt: skip
        dst.execute(f"PRAGMA {pragma}")
    columns = {name: [row[1] for row in src.execute(f"PRAGMA table_info({name})")] for name in FLOOR_TABLES}
    listed = {name: ", ".join(f'"{c}"' for c in columns[name]) for name in FLOOR_TABLES}
    inserts = {
        name: f"INSERT INTO {name} ({listed[name]}) VALUES ({', '.join('?' * len(columns[name]))})"
        for name in FLOOR_TABLES
    }
    # Each author goes in with the batch of its first work, as the importer creates it.
    first_work = dict(src.execute("SELECT author_id, min(work_id) FROM authorships GROUP BY author_id"))
    authors_by_batch: dict[int, list[tuple[Any, ...]]] = {}
    for row in src.execute(f"SELECT {listed['authors']} FROM authors"):
        authors_by_batch.setdefault((first_work.get(row[0], 1) - 1) // 2000, []).append(row)
    top = src.execute("SELECT max(id) FROM works").fetchone()[0] or 0
    runs = src.execute("SELECT id, kind, target, started_at, status FROM ingest_runs").fetchall()
    dst.executemany(
        "INSERT INTO ingest_runs (id, kind, target, started_at, status) VALUES (?, ?, ?, ?, ?)", runs
    )
    writing = 0.0
    for batch, low in enumerate(range(1, top + 1, 2000)):
        rows = {"authors": authors_by_batch.get(batch, [])}
        for name in FLOOR_TABLES:
            if name != "authors":
                key = "id" if name == "works" else "work_id"
                rows[name] = src.execute(
                    f"SELECT {listed[name]} FROM {name} WHERE {key} BETWEEN ? AND ?", (low, low + 1999)
                ).fetchall()
        begun = time.perf_counter()
        dst.execute("BEGIN IMMEDIATE")
        for name in FLOOR_TABLES:
            dst.executemany(inserts[name], rows[name])
        dst.execute("COMMIT")
        writing += time.perf_counter() - begun
    papers = dst.execute("SELECT count(*) FROM works").fetchone()[0]
    rows_total = sum(dst.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in FLOOR_TABLES)
    dst.close()
    src.close()
    return {"papers": papers, "rows": rows_total, "seconds": writing, "peak_rss_mib": _peak_rss_mib()}


def _cpu_seconds() -> tuple[float, float]:
    """(this process, its finished children) user + system CPU seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _cpu_ticks() -> list[int]:
    """The machine's /proc/stat CPU counters (user … steal), to tell how busy and how stolen it was."""
    try:
        with open("/proc/stat") as fh:
            return [int(v) for v in fh.readline().split()[1:9]]
    except OSError:
        return []


def run_worker(
    part: str, snapshot: Path, db: Path, profile_out: Path | None, source_db: Path | None = None
) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result is the last stdout line."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", part, "--file", str(snapshot)]
    cmd += ["--db", str(db)]
    if source_db is not None:
        cmd += ["--source-db", str(source_db)]
    if profile_out is not None:
        cmd += ["--profile-out", str(profile_out)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{part} worker failed (exit {proc.returncode}):\n{proc.stdout}")
    result = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    if part != "baseline" and result["source"] != _RUN.get("source"):
        print(f"    NOTE: measured against src/paperradar {result['source']}")
    return result


# =============================================================================================
# Reporting


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _rate(result: dict[str, Any]) -> float:
    return float(result["papers"]) / result["seconds"] if result["seconds"] else 0.0


def _line(result: dict[str, Any]) -> str:
    return f"{result['papers']:,} papers in {result['seconds']:,.2f} s  ->  {_rate(result):,.0f} papers/s"


def source_fingerprint() -> str:
    """Digest of ``src/paperradar`` and its newest file: others edit the tree while benchmarks run."""
    import hashlib

    files = sorted((ROOT / "src" / "paperradar").rglob("*.py"))
    digest = hashlib.blake2b(digest_size=6)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    newest = max(files, key=lambda f: f.stat().st_mtime)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest.stat().st_mtime))
    return f"{digest.hexdigest()} (newest: {newest.relative_to(ROOT / 'src')} at {stamp})"


def print_header(n: int, snapshot: Path, stats: GenStats | None, generated: bool, source: str) -> None:
    print("paperradar import benchmark")
    print(f"  source   : src/paperradar {source}")
    print(
        f"  machine  : {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    size = snapshot.stat().st_size
    how = f"generated in {stats.seconds:,.1f} s" if generated and stats else "cached"
    print(f"  input    : {snapshot} ({n:,} lines, {_mib(size)}, {how})")
    if stats:
        n_lines = max(1, stats.lines)

        def share(count: int) -> str:
            return f"{count / n_lines:.0%}"

        print(
            f"  content  : {stats.authorships:,} authorships ({stats.authorships / n_lines:.2f}/paper,"
            f" max {stats.max_authors:,}, {stats.papers_over_50_authors:,} papers >50),"
            f" {stats.distinct_people:,} people ({stats.distinct_names:,} distinct names,"
            f" busiest {stats.top_author_papers:,} papers)"
        )
        print(
            f"             DOI {share(stats.with_doi)}, journal-ref {share(stats.with_journal_ref)},"
            f" comments {share(stats.with_comments)}, affiliations {share(stats.with_affiliations)},"
            f" cross-listed {share(stats.cross_listed)}, {stats.versions / n_lines:.2f} versions/paper"
        )
        print(
            f"  sampled  : {stats.fixture_documents:,} fixture abstracts,"
            f" {stats.fixture_vocabulary:,} distinct words, {stats.fixture_people:,} fixture people;"
            f" seed {stats.seed}"
        )
    print()


def print_profile(path: Path) -> None:
    """Top 15 by cumulative and by own time: the importing thread, then any background threads."""
    tables = [(path, "importing thread", ("cumulative", "tottime"))]
    threads = path.with_suffix(".threads.pstats")
    if threads.exists():
        tables.append((threads, "background Python threads (summed)", ("cumulative", "tottime")))
    for file, label, keys in tables:
        for key in keys:
            out = io.StringIO()
            stats = pstats.Stats(str(file), stream=out)
            stats.sort_stats(key).print_stats(15)
            text = out.getvalue()
            body = text[text.find("   ncalls") :] if "   ncalls" in text else text
            print(f"  cProfile of e2e, {label}, top 15 by {key}:")
            for row in body.rstrip().splitlines():
                print(f"    {row}")
            print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="snapshot lines (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where data goes (bench/data)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases and index")
    parser.add_argument(
        "--only",
        choices=("baseline", "parse", "e2e", "floor"),
        help="run one measurement (floor needs e2e --keep)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--profile", action="store_true", help="run e2e under cProfile and print top 15")
    parser.add_argument("--generate-only", action="store_true", help="write the snapshot and stop")
    parser.add_argument("--worker", choices=("baseline", "parse", "e2e", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--source-db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:  # inside a measurement subprocess
        source = source_fingerprint()  # taken before paperradar is imported
        if args.worker == "baseline":
            result = measure_baseline(args.file, args.db)
        elif args.worker == "parse":
            result = measure_parse(args.file)
        elif args.worker == "floor":
            result = measure_floor(args.source_db, args.db)
        else:
            result = measure_e2e(args.file, args.db, args.profile_out)
        print(json.dumps({**result, "source": source}))
        return 0

    workdir: Path = args.workdir.resolve()
    snapshot, stats, generated = ensure_snapshot(workdir, args.lines, args.seed)
    source = _RUN["source"] = source_fingerprint()
    print_header(args.lines, snapshot, stats, generated, source)
    if args.generate_only:
        return 0
    parts = [args.only] if args.only else ["baseline", "parse", "e2e", "floor"]
    results: dict[str, dict[str, Any]] = {}
    baseline_db = workdir / f"baseline-{args.lines}.sqlite"
    e2e_db = workdir / f"e2e-{args.lines}.db"
    floor_db = workdir / f"floor-{args.lines}.db"
    profile_out = workdir / f"e2e-{args.lines}.pstats" if args.profile else None

    if "baseline" in parts:
        print(
            "[a] baseline: json.loads per line + sqlite3 executemany, 1 table (id PRIMARY KEY), 1 transaction"
        )
        res = results["baseline"] = run_worker("baseline", snapshot, baseline_db, None)
        print(f"    {_line(res)}")
        print(f"    db {_mib(res['db_bytes'])}, peak RSS {res['peak_rss_mib']:,.0f} MiB\n")
    if "parse" in parts:
        print('[b] parse only: format_by_name("arxiv-snapshot").parse(path, 0)')
        res = results["parse"] = run_worker("parse", snapshot, e2e_db, None)
        print(f"    {_line(res)}")
        print(f"    problems {res['problems']:,}, peak RSS {res['peak_rss_mib']:,.0f} MiB\n")
    if "e2e" in parts:
        label = " [under cProfile: slower than normal]" if args.profile else ""
        print(f"[c] end to end: open_store + import_file + LexicalIndex follower{label}")
        res = results["e2e"] = run_worker("e2e", snapshot, e2e_db, profile_out)
        print(f"    {_line(res)}")
        print(
            f"    import_file {res['import_seconds']:,.2f} s"
            f" (of which follower.step {res['step_seconds']:,.2f} s),"
            f" follower.close {res['close_seconds']:,.2f} s;"
            f" open_store {res['open_seconds']:,.2f} s (not counted)"
        )
        if res.get("deciles"):
            print("    papers/s by tenth of the file: " + " ".join(f"{r:,.0f}" for r in res["deciles"]))
        print(f"    counts {res['counts']}")
        if res["error"] or res["notes"]:
            print(f"    error {res['error']!r}, notes {res['notes']}")
        print(
            f"    indexed {res['indexed']:,}, db {_mib(res['db_bytes'])}, index {_mib(res['index_bytes'])},"
            f" peak RSS {res['peak_rss_mib']:,.0f} MiB (writer)"
        )
        busy = f"{res['busy']:.0%}" if res.get("busy") is not None else "?"
        steal = f"{res['steal']:.0%}" if res.get("steal") is not None else "?"
        print(
            f"    parse workers {res['workers']}; CPU {res['cpu_main'] + res['cpu_workers']:,.1f} s"
            f" (writer process {res['cpu_main']:,.1f} s, workers {res['cpu_workers']:,.1f} s);"
            f" machine busy {busy}, stolen by the host {steal}\n"
        )
        if profile_out is not None:
            print_profile(profile_out)

    if "floor" in parts:
        print("[d] store floor: the e2e database's rows re-inserted by plain executemany (no Python per row)")
        if not e2e_db.exists():
            raise SystemExit("    no e2e database: run e2e first (with --keep for --only floor)")
        res = results["floor"] = run_worker("floor", snapshot, floor_db, None, source_db=e2e_db)
        print(f"    {_line(res)}  ({res['rows'] / res['papers']:.1f} rows per paper)\n")

    base = results.get("baseline")
    if base:
        rows = [(name, results[name]) for name in ("parse", "e2e", "floor") if name in results]
        if rows:
            print("ratios (throughput relative to the baseline):")
        for name, res in rows:
            ratio = _rate(res) / _rate(base)
            print(f"  {name:<9}/ baseline = {ratio:.3f}x  ({1 / ratio:,.1f}x the baseline's time)")
        if rows:
            print()
    summary = [f"{args.lines:,} lines"]
    summary += [f"{name} {_rate(res):,.0f} papers/s" for name, res in results.items()]
    if base and "e2e" in results:
        summary.append(f"e2e {_rate(base) / _rate(results['e2e']):,.1f}x slower than baseline")
    if "e2e" in results:
        summary.append(f"e2e peak RSS {results['e2e']['peak_rss_mib']:,.0f} MiB")
    print("summary: " + " | ".join(summary))
    if source_fingerprint() != source:
        print(
            f"note: src/paperradar changed since the header (now {source_fingerprint()});"
            " a measurement that imported another version says so above"
        )

    if not args.keep:
        _fresh(baseline_db)
        _fresh(e2e_db)
        _fresh(floor_db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
