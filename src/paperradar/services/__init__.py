"""The use cases, between the interfaces and the layers below them.

Each module holds one use case as a small class made from an :class:`~paperradar.services.context.AppContext`
(the store, the config, the derived indexes): :mod:`imports`, :mod:`syncing`, :mod:`enriching`,
:mod:`indexing`, :mod:`profiles`, :mod:`feed`, :mod:`searching`, :mod:`library`,
:mod:`recommending`, :mod:`digests`, :mod:`submissions`. The CLI (:mod:`paperradar.cli`) and the
web app (:mod:`paperradar.web`) are adapters over them: they parse input, call one service and
render what it returns; neither calls the other. A service raises
:class:`~paperradar.services.errors.ServiceError` subclasses, which each adapter turns into its own
words (``error: …`` and exit 1, or an HTTP status).
"""
