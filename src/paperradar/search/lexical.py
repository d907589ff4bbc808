"""The keyword (BM25) index: a tantivy index kept beside the database, derived and rebuildable.

The store stays the single source of truth on either backend; this index follows it by
*store revision*: every batch the writer commits bumps ``meta.revision`` and stamps the
works it touched, and :func:`catch_up` indexes every work with a newer revision than the
index has seen. Killing a process at any point therefore leaves, at worst, an index that
is behind, and the next import, ``paperradar index`` or search call brings it up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from platformdirs import user_data_path
from sqlalchemy import Engine

from paperradar.search.query import SearchQuery, Term, parse
from paperradar.store import indexing
from paperradar.store.writer import Changes, IndexedWork

STATE_FILE = "paperradar-state.json"
WRITER_HEAP = 256 * 1024 * 1024
FETCH = 5000  # works read from the store per round trip while indexing


INDEX_HOME_ENV = "PAPERRADAR_INDEX_HOME"


def index_dir(engine: Engine) -> Path:
    """``<db file>.index/lexical`` for SQLite; for a server database, a folder per URL under
    ``$PAPERRADAR_INDEX_HOME`` (default: the user data folder). The folder of the indexes (the
    parent: every derived index lives in it) is made here, readable by its owner only."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        root = Path(f"{url.database}.index")
    else:
        digest = hashlib.sha1(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
        home = os.environ.get(INDEX_HOME_ENV)
        root = (Path(home) if home else user_data_path("paperradar", appauthor=False) / "indexes") / digest
    make_private_dir(root)
    return root / "lexical"


def make_private_dir(path: Path) -> None:
    """Make ``path`` and its missing parents with mode 0700 (``mkdir -p`` would give the parents
    the umask's mode); an existing folder keeps its mode."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


SCHEMA_VERSION = 3  # bump when the fields change: an index of another version is rebuilt


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("abstract", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("authors", stored=False, tokenizer_name=NAMES)
    builder.add_text_field("categories", stored=False, tokenizer_name=CATEGORIES, index_option="basic")
    # The words of the title and abstract as written (not stemmed): the vocabulary "did you mean"
    # corrects a typo from. Only which works hold each word is kept, no positions or counts.
    builder.add_text_field("words", stored=False, tokenizer_name=WORDS, index_option="basic")
    builder.add_integer_field("year", stored=False, indexed=True, fast=True)
    builder.add_integer_field("day", stored=False, indexed=False, fast=True)  # published, as an ordinal
    builder.add_boolean_field("has_code", stored=False, indexed=True, fast=True)
    return builder.build()


NAMES, CATEGORIES, WORDS, STEMS = "names", "categories", "words", "en_stem"
# Words that say nothing about a paper's topic, left out of "more like this" queries.
STOP_WORDS = (  # noqa: SIM905 (a word list reads better as text)
    "the of and a an in on for to with by from at as is are was were be been this that these those we "
    "our it its which can also using use used based via into than such both between their there has "
    "have not new paper show shows propose proposed present results approach method methods study "
).split()


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """The index's own analyzers by name, also to read a typed word the way the index stores it."""
    # Names match without their accents (Balázs = Balazs); categories whole and case-blind; words
    # as written, lower-cased (the vocabulary of "did you mean"); en_stem as tantivy's own.
    simple = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    return {
        NAMES: simple.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build(),
        CATEGORIES: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.lowercase())
        .build(),
        WORDS: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .build(),
        STEMS: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build(),
    }


def _register_analyzers(index: tantivy.Index) -> None:
    for name, analyzer in analyzers().items():
        if name != STEMS:  # tantivy's own
            index.register_tokenizer(name, analyzer)


def category_tokens(categories: str) -> str:
    """``"cs.LG stat.ML"`` → ``"cs.LG cs stat.ML stat"``: ``cat:cs`` finds every cs.* work."""
    tokens: list[str] = []
    for cat in categories.split():
        tokens.append(cat)
        if "." in cat:
            tokens.append(cat.split(".", 1)[0])
    return " ".join(dict.fromkeys(tokens))


@dataclass
class IndexState:
    revision: int = 0  # store revision fully indexed
    max_id: int = 0  # largest work id indexed: newer ids need no delete before add
    schema: int = SCHEMA_VERSION


class LexicalIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        make_private_dir(path)
        if self.state().schema != SCHEMA_VERSION:  # an index written by an older paperradar
            self._wipe()
        self.index = tantivy.Index(_schema(), path=str(path), reuse=True)
        _register_analyzers(self.index)
        self.schema = self.index.schema

    def _wipe(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        make_private_dir(self.path)

    # ------------------------------------------------------------------ state
    def state(self) -> IndexState:
        file = self.path / STATE_FILE
        if not file.exists():
            return IndexState()
        return IndexState(**{"schema": 1, **json.loads(file.read_text())})

    def save_state(self, state: IndexState) -> None:
        tmp = self.path / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state.__dict__))
        tmp.replace(self.path / STATE_FILE)

    # ------------------------------------------------------------------ writing
    def follow(self, engine: Engine) -> Follower:
        return Follower(self, engine)

    def try_follow(self, engine: Engine) -> Follower | None:
        """A :class:`Follower`, or None while another process holds the index's one writer (an
        import, ``paperradar index``, an enrichment): that one brings the index up to date."""
        try:
            return self.follow(engine)
        except ValueError as exc:  # tantivy: "Failed to acquire Lockfile: LockBusy"
            if "LockBusy" in str(exc):
                return None
            raise

    def catch_up(self, engine: Engine) -> int:
        """Index every work changed since the last catch-up; returns how many were (re)indexed.

        When another process (an import) is writing the index, it is the one bringing it up
        to date: nothing is done here, and searches see what is indexed so far.
        """
        if store_revision(engine) <= self.state().revision:
            return 0
        follower = self.try_follow(engine)
        return follower.close() if follower is not None else 0

    def rebuild(self, engine: Engine) -> int:
        self._wipe()
        self.index = tantivy.Index(_schema(), path=str(self.path), reuse=False)
        _register_analyzers(self.index)
        self.schema = self.index.schema
        return self.catch_up(engine)

    # ------------------------------------------------------------------ reading
    def search(
        self, query: SearchQuery | str, limit: int = 20, within: Iterable[int] | None = None
    ) -> list[tuple[int, float]]:
        """``(work id, BM25 score)`` best first; with no words, the newest works that pass the filters.

        ``within`` restricts the search to those works (to filter another ranking's candidates).
        """
        if isinstance(query, str):
            query = parse(query)
        if query.is_empty:
            return []
        self.index.reload()
        searcher = self.index.searcher()
        built = self._build(query, text=True, within=within)
        if query.has_terms:
            hits = searcher.search(built, limit).hits
        else:
            hits = searcher.search(built, limit, order_by_field="day").hits
            hits = [(0.0, address) for _, address in hits]
        return [(int(searcher.doc(address)["id"][0]), float(score)) for score, address in hits]

    def like(self, title: str, abstract: str, limit: int = 20) -> list[tuple[int, float]]:
        """Works that share the most telling words with this title and abstract ("more like this")."""
        self.index.reload()
        searcher = self.index.searcher()
        fields = {name: [text] for name, text in (("title", title), ("abstract", abstract)) if text}
        if not fields:
            return []
        built = tantivy.Query.more_like_this_document_fields_query(
            self.schema,
            fields,
            min_doc_frequency=1,
            max_doc_frequency=max(50, searcher.num_docs // 5),  # words in a fifth of the corpus tell nothing
            min_term_frequency=1,
            max_query_terms=32,
            min_word_length=3,
            stop_words=STOP_WORDS,
        )
        hits = searcher.search(built, limit).hits
        return [(int(searcher.doc(address)["id"][0]), float(score)) for score, address in hits]

    def matching(
        self, query: SearchQuery, limit: int, within: Iterable[int] | None = None
    ) -> list[int] | None:
        """Works that pass the query's filters and field terms (``au:`` ``ti:``), ignoring free
        words; ``None`` when more than ``limit`` do (counting them is cheap, listing them is not)."""
        self.index.reload()
        searcher = self.index.searcher()
        built = self._build(query, text=False, within=within)
        if limit <= 0:  # tantivy panics on a limit of 0
            return []
        counted: Any = searcher.search(built, 1, count=True)
        if counted.count > limit:
            return None
        # Ordered by the id fast field, whose value is the answer: no stored document is read.
        hits = searcher.search(built, limit, count=False, order_by_field="id").hits
        return [int(work_id) for work_id, _ in hits]

    def count(self, query: SearchQuery) -> int:
        """How many works the keyword side finds for this query (its words and its filters)."""
        if query.is_empty:
            return 0
        self.index.reload()
        counted: Any = self.index.searcher().search(self._build(query, text=True, within=None), 1, count=True)
        return int(counted.count)

    def size(self) -> int:
        """How many works are indexed."""
        self.index.reload()
        return int(self.index.searcher().num_docs)

    def frequency(self, field: str, term: str) -> int:
        """How many works hold this term (as the field's analyzer wrote it) in this field."""
        self.index.reload()
        return int(self.index.searcher().doc_freq(field, term))

    def vocabulary(self, field: str, prefix: str, limit: int) -> list[tuple[str, int]]:
        """The field's ``limit`` most frequent terms that begin with ``prefix``, with how many works
        hold each: the index's own term dictionary, walked in tantivy."""
        self.index.reload()
        found: list[tuple[str, int]] = self.index.searcher().terms_with_prefix(field, prefix, limit=limit)
        return found

    def year_span(self) -> tuple[int, int] | None:
        """The first and last publication year of the indexed works (None: no work has a year)."""
        self.index.reload()
        spec = {"first": {"min": {"field": "year"}}, "last": {"max": {"field": "year"}}}
        found: Any = self.index.searcher().aggregate(tantivy.Query.all_query(), spec)
        first, last = found["first"]["value"], found["last"]["value"]
        return None if first is None or last is None else (int(first), int(last))

    def _build(self, query: SearchQuery, text: bool, within: Iterable[int] | None) -> tantivy.Query:
        must, must_not = tantivy.Occur.Must, tantivy.Occur.MustNot
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for group in query.groups:
            wanted = [term for term in group if text or term.field is not None]
            if len(wanted) == 1:
                clauses.append((must, self._term(wanted[0])))
            elif wanted:
                should = [(tantivy.Occur.Should, self._term(term)) for term in wanted]
                clauses.append((must, tantivy.Query.boolean_query(should)))
        clauses += [(must_not, self._term(term)) for term in query.excluded]
        filters = self._filters(query, within)
        if not any(occur == must for occur, _ in clauses) and not filters:
            clauses.append((must, tantivy.Query.all_query()))
        clauses += [(must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
        return tantivy.Query.boolean_query(clauses)

    def _term(self, term: Term) -> tantivy.Query:
        # Each term is word characters only (search.query), so the parser sees no syntax at all.
        fields = [term.field] if term.field else ["title", "abstract", "authors"]
        text = f'"{term.text}"' if len(term.words) > 1 else term.text
        return self.index.parse_query(text, fields, field_boosts={"title": 2.0, "authors": 1.5})

    def _filters(self, query: SearchQuery, within: Iterable[int] | None) -> list[tantivy.Query]:
        filters: list[tantivy.Query] = []
        if query.categories:
            cats = [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "categories", c.lower()))
                for c in query.categories
            ]
            filters.append(tantivy.Query.boolean_query(cats))
        if query.year_from is not None or query.year_to is not None:
            filters.append(
                tantivy.Query.range_query(
                    self.schema, "year", tantivy.FieldType.Integer, query.year_from, query.year_to
                )
            )
        if query.has_code:
            filters.append(tantivy.Query.term_query(self.schema, "has_code", True))
        if within is not None:
            filters.append(tantivy.Query.term_set_query(self.schema, "id", list(within)))
        return filters


class Follower:
    """Feeds works to one open tantivy writer, in a background thread, as an import commits them.

    Each committed batch hands over what it changed (:class:`~paperradar.store.writer.Changes`),
    so the index is built from memory beside the import; tantivy releases the GIL while it
    indexes. Whenever a batch is missing (another process wrote, or a batch came without its
    changes), the follower reads what it lacks from the store by revision instead. Commits
    happen every ``commit_every`` seconds and at :meth:`close`; the saved state only ever
    claims what a commit made durable.
    """

    def __init__(self, index: LexicalIndex, engine: Engine, commit_every: float = 60.0) -> None:
        self.index, self.engine, self.commit_every = index, engine, commit_every
        state = index.state()
        self.writer = index.index.writer(WRITER_HEAP, 1)
        self.seen, self.max_id = state.revision, state.max_id
        self.count = 0
        self.last_commit = time.monotonic()
        self._queue: queue.Queue[Changes | object | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lexical-index", daemon=True)
        self._thread.start()

    def step(self, changes: Changes | None = None) -> None:
        """Index a committed batch's changes (or, with none, whatever the store has that is new)."""
        if self._error is not None:
            raise RuntimeError("the keyword indexer failed") from self._error
        self._queue.put(changes)

    def close(self) -> int:
        """Index what is left, commit, and return how many works were (re)indexed."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the keyword indexer failed") from self._error
        self._catch_up()
        self._commit()
        self.writer.wait_merging_threads()
        return self.count

    def _run(self) -> None:
        try:
            while (changes := self._queue.get()) is not _STOP:
                if isinstance(changes, Changes) and changes.revision == self.seen + 1:
                    self._add(changes.works, changes.dropped)
                    self.seen = changes.revision
                else:
                    self._catch_up()
                if time.monotonic() - self.last_commit > self.commit_every:
                    self._commit()
        except BaseException as exc:  # reported to the importing thread at its next step
            self._error = exc

    def _add(self, works: Iterable[IndexedWork], dropped: list[int]) -> None:
        for work in works:
            if work.id <= self.max_id:
                self.writer.delete_documents_by_term("id", work.id)
            doc = tantivy.Document(
                id=work.id,
                title=work.title,
                abstract=work.abstract,
                words=f"{work.title}\n{work.abstract}",
                authors=work.authors,
                has_code=work.has_code,
                day=work.published.toordinal() if work.published else 0,
            )
            if work.categories:
                doc.add_text("categories", category_tokens(work.categories))
            if work.year:
                doc.add_integer("year", work.year)
            self.writer.add_document(doc)
            self.count += 1
            self.max_id = max(self.max_id, work.id)
        for work_id in dropped:  # works that a merge folded into another
            self.writer.delete_documents_by_term("id", work_id)

    def _catch_up(self) -> None:
        head = store_revision(self.engine)
        if head <= self.seen:
            return
        with self.engine.connect() as conn:
            self._add(indexing.changed_works(conn, self.seen, FETCH), indexing.merged_since(conn, self.seen))
        self.seen = head

    def _commit(self) -> None:
        self.writer.commit()
        self.index.save_state(IndexState(revision=self.seen, max_id=self.max_id))
        self.last_commit = time.monotonic()


_STOP = object()


def store_revision(engine: Engine) -> int:
    """The store's revision: bumped by every committed batch (see store.writer)."""
    with engine.connect() as conn:
        return indexing.store_revision(conn)
