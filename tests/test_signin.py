"""Signing in under attack, on both databases: no username oracle, limits that lock out no one innocent."""
from __future__ import annotations

import hashlib

import pytest

from support import join_as, post_form


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts the password hashes computed (Werkzeug hashes passwords with hashlib.scrypt)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_an_unknown_username_costs_one_hash_like_a_wrong_password(app, make_class, scrypt_calls):
    make_class()
    join_as(app.test_client(), "known-learner")
    for username in ("known-learner", "nobody-by-this-name"):
        client = app.test_client()
        client.get("/login")
        scrypt_calls.clear()
        response = post_form(client, "/login", {"username": username, "password": "wrong-password"})
        assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)
        assert len(scrypt_calls) == 1, username
