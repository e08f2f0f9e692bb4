"""Settings from the environment, with defaults that need nothing installed."""
from __future__ import annotations

import os


def from_environment(instance_path: str) -> dict:
    """The app's settings: DATABASE_URL, SECRET_KEY, QUIZ_TIMEZONE and friends."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'quiz.db')}"
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "QUIZ_TIMEZONE": os.environ.get("QUIZ_TIMEZONE", "UTC"),
        "PREFER_HTTPS": os.environ.get("PREFER_HTTPS", "").lower() in ("1", "true", "yes"),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", ""),
        # a session unused this long is refused by the server (the cookie's signed time is checked)
        "SESSION_IDLE_HOURS": float(os.environ.get("SESSION_IDLE_HOURS", "12") or 12),
        # Only for load tests and benchmarks: a cheaper scrypt cost weakens stored passwords.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt:32768:8:1"),
    }


def normalise_database_url(url: str) -> str:
    """Lets `postgres://` and `postgresql://` URLs use psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
