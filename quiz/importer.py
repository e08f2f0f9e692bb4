"""Imports validated set files into the database without ever rewriting what learners saw.

A change to what a question asks or its key makes a new version; a change to its feedback,
the titles or the article updates in place; an unchanged file is skipped by its digest.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import models
from .db import writing
from .sets import CheckResult, LoadedSet, Problem, check_paths


class ImportConflict(Exception):
    """A set id that belongs to another origin (a site file against an upload, or another owner)."""


@dataclass
class ImportReport:
    """What an import did, file by file."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [str(e) for e in self.errors]
        for word in ("new", "updated", "unchanged", "skipped"):
            names = getattr(self, word)
            if names:
                out.append(f"{word} ({len(names)}): {', '.join(names)}")
        return out


def asked_hash(asked: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(asked, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def import_set(session: Session, loaded: LoadedSet, origin: str = "site", path: str | None = None,
               owner_id: int | None = None) -> str:
    """Creates or updates one set in the session's transaction; returns new/updated/unchanged.

    A site set is replaced only by a site file, an uploaded set only by its owner's upload.
    """
    qset = loaded.set
    row = session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == qset.id))
    if row is not None and (row.origin != origin or row.owner_id != owner_id):
        whose = "a site set" if row.origin == "site" else "a set another instructor uploaded"
        raise ImportConflict(f"set id '{qset.id}' is already used by {whose}: give this set another id")
    if row is not None and row.digest == loaded.digest:
        return "unchanged"
    status = "new" if row is None else "updated"
    if row is None:
        row = models.QuestionSet(slug=qset.id, origin=origin, owner_id=owner_id)
        session.add(row)
    row.title, row.summary, row.level = qset.title, qset.summary, qset.level
    row.language, row.visibility = qset.language, qset.visibility
    row.source = None if qset.source is None else vars(qset.source).copy()
    row.labels = [vars(label).copy() for label in qset.labels.values()]
    row.standard_labels = qset.standard_labels
    row.article = [{"section": s.section, "text": s.text} for s in qset.article]
    row.digest, row.path = loaded.digest, path
    row.updated_at = models.utcnow()
    existing = {q.key: q for q in row.questions}
    keep = {q.id for q in qset.questions}
    for question in row.questions:
        if question.key not in keep:
            question.position = None
    for position, question in enumerate(qset.questions):
        stored = existing.get(question.id)
        if stored is None:
            stored = models.Question(key=question.id)
            row.questions.append(stored)
        stored.position = position
        asked, feedback = question.asks(), question.feedback()
        digest = asked_hash(asked)
        if stored.versions and stored.current.asked_hash == digest:
            stored.current.feedback = feedback
        else:
            stored.versions.append(models.QuestionVersion(
                number=len(stored.versions) + 1, type=question.type, asked=asked,
                asked_hash=digest, feedback=feedback))
    session.flush()
    return status


def import_checked(session: Session, result: CheckResult, origin: str = "site") -> ImportReport:
    """Imports each set that checked clean in a transaction of its own."""
    report = ImportReport(errors=list(result.errors))
    report.skipped.extend(sorted({e.file for e in result.errors}))
    for loaded in result.loaded:
        try:
            with writing():
                status = import_set(session, loaded, origin, path=loaded.file)
                session.commit()
        except ImportConflict as conflict:
            session.rollback()
            report.errors.append(Problem(loaded.file, loaded.id_line, str(conflict)))
            report.skipped.append(loaded.file)
            continue
        except Exception:
            session.rollback()
            raise
        getattr(report, status).append(qset_name(loaded))
    return report


def qset_name(loaded: LoadedSet) -> str:
    return f"{loaded.set.id} ({Path(loaded.file).name})"


def import_paths(session: Session, paths: list[str | Path], origin: str = "site") -> ImportReport:
    """Validates the files, then imports the good ones (a bad file imports nothing of itself)."""
    return import_checked(session, check_paths(paths), origin)
