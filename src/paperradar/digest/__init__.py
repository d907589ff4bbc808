"""Email digests: what each subscription's email holds (:mod:`.compose`), how it reads
(:mod:`.render`, Jinja2 templates in ``templates/``) and how it goes out exactly once per
subscription and period, with a one-click unsubscribe (:mod:`.send`, :mod:`.links`).
"""
