"""The routes that exist before the learner and instructor areas: the health check."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from .db import db


def register(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        """`ok` when the database answers, for load balancers and monitoring."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
