"""The app as deployed, plus one bare endpoint: what `benchmarks/serve.py` serves with gunicorn.

`gunicorn 'bench_app:create()'` (with benchmarks/ on PYTHONPATH) runs `quiz.create_app()`
unchanged and adds `/bench/hello`, a route that returns "hello" and does nothing else, so that
the bare endpoint and the quiz's pages are served by the same gunicorn master, workers and
configuration, and the app's own hooks (security headers, session cookie) run for both.
"""
from __future__ import annotations

import quiz


def create():  # type: ignore[no-untyped-def]
    app = quiz.create_app()
    app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
    return app
