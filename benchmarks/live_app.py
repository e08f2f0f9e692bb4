"""The app as deployed, plus a truly bare Flask app on the same server, for benchmarks/live.py.

`create()` returns `quiz.create_app()` with requests under /bare/ dispatched (by path, before
the quiz app sees them) to a separate Flask app whose one route returns "hello": no hooks, no
session, no security headers. Both are served by the same server process, so their ratio says
what the quiz's own work costs. `python benchmarks/live_app.py PORT` serves them the way
`quiz serve` does on one machine (waitress, 8 threads, through quiz.cli.listen).
"""
from __future__ import annotations

import sys

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import quiz


def bare_app() -> Flask:
    bare = Flask("bare")
    bare.add_url_rule("/hello", "hello", lambda: "hello")
    return bare


def create() -> Flask:
    app = quiz.create_app()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bare": bare_app()})  # type: ignore[method-assign]
    return app


if __name__ == "__main__":
    from quiz.cli import listen

    listen(create(), "127.0.0.1", int(sys.argv[1]), threads=8).run()
