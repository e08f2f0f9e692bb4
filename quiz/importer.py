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
from sqlalchemy.orm import Session, selectinload

from . import models
from .db import writing
from .sets import CheckResult, LoadedSet, Problem, check_sets, load_path, load_set, set_files


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
    row = session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == qset.id).options(
        selectinload(models.QuestionSet.questions).selectinload(models.Question.versions)))
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


def import_checked(session: Session, result: CheckResult, origin: str = "site",
                   unchanged: list[str] | None = None) -> ImportReport:
    """Imports every set that checked clean, in one transaction.

    Each set goes in under a savepoint of its own, so a set whose id belongs to someone else is
    skipped without undoing the others; bad files never got this far.
    """
    report = ImportReport(errors=list(result.errors), unchanged=list(unchanged or []))
    report.skipped.extend(sorted({e.file for e in result.errors}))
    done: list[tuple[str, str]] = []
    with writing():
        for loaded in result.loaded:
            try:
                with session.begin_nested():
                    status = import_set(session, loaded, origin, path=loaded.file)
            except ImportConflict as conflict:
                report.errors.append(Problem(loaded.file, loaded.id_line, str(conflict)))
                report.skipped.append(loaded.file)
                continue
            done.append((status, qset_name(loaded)))
        session.commit()
    for status, name in done:
        getattr(report, status).append(name)
    return report


def qset_name(loaded: LoadedSet) -> str:
    return f"{loaded.set.id} ({Path(loaded.file).name})"


def import_paths(session: Session, paths: list[str | Path], origin: str = "site") -> ImportReport:
    """Validates the files, then imports the good ones (a bad file imports nothing of itself).

    A file whose bytes are those of a set already imported is reported unchanged without being
    parsed again; its set id still counts when looking for ids used twice.
    """
    known = dict(session.execute(select(models.QuestionSet.digest, models.QuestionSet.slug)
                                 .where(models.QuestionSet.origin == origin)).all())
    session.rollback()  # end the read: the import takes the write lock from the start
    sources, unchanged, taken = [], [], {}
    for path in set_files(paths):
        try:
            data = path.read_bytes()
        except OSError:
            sources.append((str(path), lambda p=path: load_path(p)))
            continue
        slug = known.get(hashlib.sha256(data).hexdigest())
        if slug is not None and slug not in taken:
            taken[slug] = str(path)
            unchanged.append(f"{slug} ({path.name})")
        else:
            sources.append((str(path), lambda d=data, p=path: load_set(d, str(p))))
    result = check_sets(sources, taken=taken)
    return import_checked(session, result, origin, unchanged=unchanged)
