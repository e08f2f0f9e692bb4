"""Taking quizzes: who may see a set, starting, answering and finishing attempts, summaries.

The rules that keep answers safe live here, not in the views, and the database enforces them,
so a double click, a refresh or two servers racing can neither duplicate nor re-score anything:
- an answer is stored once per item: a unique key, not a check-then-insert;
- finishing is a conditional update, so an attempt is scored once;
- a person has at most one unfinished attempt at a set (a learner, or a practice token) and
  at most one unfinished mistakes attempt: partial unique indexes. A start inserts under a
  savepoint; if another request got there first, that attempt is resumed instead;
- an assignment's attempt limit: a start locks the learner's membership row (SELECT ... FOR
  UPDATE on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers) before counting,
  so two starts of one learner count one after the other.
"""
from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from operator import itemgetter
from typing import Any, Callable, Iterable, NamedTuple, Optional
from weakref import WeakKeyDictionary

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Text, and_, bindparam, cast, column, delete, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from . import models, report_counts
from .db import ConnectionLost, Prepared, direct_write, engine_of, inserted, json_rows, writing
from .scoring import score
from .sets.loader import LETTERS
from .sets.model import STANDARD_LABELS, Label, Question, guess_score, question_from_parts
from .sets.text import words

PRACTICE_DAYS = 7
MISTAKES_LIMIT = 20
ANSWERS = models.Answer.__table__
LABEL_CHOICES = models.LabelChoice.__table__
CHOICE_COLUMNS = ("part", "expected", "chosen", "right")


# -- who may see what --------------------------------------------------------------------------

def active_classroom_ids(user: Optional[models.User]):
    """A subquery of the classes this learner belongs to (not removed, not archived)."""
    return (select(models.Membership.classroom_id)
            .join(models.Classroom, models.Classroom.id == models.Membership.classroom_id)
            .where(models.Membership.user_id == (user.id if user else -1),
                   models.Membership.removed_at.is_(None), models.Classroom.archived.is_(False)))


def learner_assignments(session: Session, user: Optional[models.User]) -> list[models.Assignment]:
    """Every assignment of the learner's classes, newest first."""
    if user is None:
        return []
    return list(session.scalars(
        select(models.Assignment).options(selectinload(models.Assignment.question_set),
                                          selectinload(models.Assignment.classroom))
        .join(models.QuestionSet, models.QuestionSet.id == models.Assignment.set_id)
        .where(models.Assignment.classroom_id.in_(active_classroom_ids(user)),
               models.QuestionSet.hidden.is_(False))
        .order_by(models.Assignment.created_at.desc(), models.Assignment.id.desc())))


def public_sets(session: Session) -> list[models.QuestionSet]:
    return list(session.scalars(select(models.QuestionSet).where(
        models.QuestionSet.visibility == "public", models.QuestionSet.hidden.is_(False))
        .order_by(models.QuestionSet.title)))


def may_see_set(session: Session, user: Optional[models.User], qset: models.QuestionSet) -> bool:
    """Public sets for everyone; `classes` sets for instructors and learners assigned them; a
    hidden set for its owner only."""
    if qset.hidden:
        return user is not None and qset.owner_id == user.id
    if user is not None and user.is_instructor:
        return True
    if qset.visibility == "public":
        return True
    return assignment_for(session, user, qset) is not None


def assignment_for(session: Session, user: Optional[models.User],
                   qset: models.QuestionSet) -> Optional[models.Assignment]:
    """The learner's assignment of this set, preferring one that is open now."""
    found = [a for a in learner_assignments(session, user) if a.set_id == qset.id]
    return next((a for a in found if a.is_open()), found[0] if found else None)


def owns(attempt: models.Attempt | AttemptState, user: Optional[models.User], practice_token: Optional[str]) -> bool:
    """A learner's own attempt, or a practice attempt made under this browser's token."""
    if attempt.user_id is not None:
        return user is not None and attempt.user_id == user.id
    return bool(practice_token) and attempt.practice_token is not None and secrets.compare_digest(
        attempt.practice_token, practice_token or "")


# -- attempts ----------------------------------------------------------------------------------

def lock_membership(session: Session, user: models.User, assignment: models.Assignment) -> None:
    """Holds the learner's membership row until the transaction ends: their starts queue here."""
    session.execute(select(models.Membership.user_id).where(
        models.Membership.classroom_id == assignment.classroom_id, models.Membership.user_id == user.id)
        .with_for_update())


def attempts_used(session: Session, user: models.User, assignment: models.Assignment) -> int:
    return session.scalar(select(func.count(models.Attempt.id)).where(
        models.Attempt.user_id == user.id, models.Attempt.assignment_id == assignment.id)) or 0


def unfinished_attempt(session: Session, qset: models.QuestionSet, user: Optional[models.User],
                       practice_token: Optional[str]) -> Optional[models.Attempt]:
    """The attempt at this set that the person left unfinished, to resume rather than restart."""
    owner = (models.Attempt.user_id == user.id if user is not None
             else and_(models.Attempt.user_id.is_(None), models.Attempt.practice_token == (practice_token or "-")))
    return session.scalar(select(models.Attempt).where(
        owner, models.Attempt.set_id == qset.id, models.Attempt.finished_at.is_(None),
        models.Attempt.kind == "set"))


def unfinished_mistakes(session: Session, user: models.User) -> Optional[models.Attempt]:
    return session.scalar(select(models.Attempt).where(
        models.Attempt.user_id == user.id, models.Attempt.kind == "mistakes", models.Attempt.finished_at.is_(None)))


def add_unless_open(session: Session, attempt: models.Attempt,
                    find_open: Callable[[], Optional[models.Attempt]]) -> models.Attempt:
    """Adds the attempt, or returns the one its owner has open: the partial unique index decides."""
    if inserted(session, attempt):
        return attempt
    found = find_open()
    if found is None:
        raise RuntimeError("an attempt was refused by a unique key, yet no open attempt is there")
    return found


def option_order(version: models.QuestionVersion, rng: random.Random) -> Optional[list[int]]:
    """The order a `choice` shows its options in: shuffled, so that a habit of keying a (or of
    putting the right answer last) teaches nothing, with pinned options kept in their place.

    Keys, answers and reports keep the author's letters; only the display follows this order.
    None for other question types.
    """
    if version.type != "choice":
        return None
    pinned = {LETTERS.index(letter) for letter in version.feedback.get("pin", ())}
    order = list(range(len(version.asked["options"])))
    free = [index for index in order if index not in pinned]
    moved = iter(rng.sample(free, len(free)))
    return [index if index in pinned else next(moved) for index in order]


def start_attempt(session: Session, qset: models.QuestionSet, user: Optional[models.User] = None,
                  practice_token: Optional[str] = None, assignment: Optional[models.Assignment] = None,
                  rng: Optional[random.Random] = None) -> models.Attempt:
    """A new attempt asking the set's current question versions, in order unless the assignment
    shuffles them; choice options are always shuffled (see `option_order`). If another request
    started one for the same person a moment ago, that one is returned instead."""
    questions = qset.current_questions
    versions = [q.current for q in questions]
    rng = rng or random.Random(secrets.randbits(64))  # question order, not a secret  # nosec B311
    if assignment and assignment.shuffle:
        rng.shuffle(versions)
    attempt = models.Attempt(set_id=qset.id, user_id=user.id if user else None,
                             practice_token=None if user else practice_token,
                             assignment_id=assignment.id if assignment else None,
                             feedback=assignment.feedback if assignment else "immediate",
                             possible=len(versions))
    for position, version in enumerate(versions):
        attempt.items.append(models.AttemptItem(position=position, version=version,
                                                option_order=option_order(version, rng)))
    attempt = add_unless_open(session, attempt, lambda: unfinished_attempt(session, qset, user, practice_token))
    session.flush()
    return attempt


def mistakes_attempt(session: Session, user: models.User) -> Optional[models.Attempt]:
    """A new attempt of the questions this learner most recently got wrong (current versions),
    or the mistakes attempt they left unfinished."""
    unfinished = unfinished_mistakes(session, user)
    if unfinished is not None:
        return unfinished
    latest = (select(models.QuestionVersion.question_id.label("question_id"),
                     func.max(models.Answer.id).label("answer_id"))
              .join(models.AttemptItem, models.AttemptItem.version_id == models.QuestionVersion.id)
              .join(models.Answer, models.Answer.item_id == models.AttemptItem.id)
              .join(models.Attempt, models.Attempt.id == models.AttemptItem.attempt_id)
              .where(models.Attempt.user_id == user.id)
              .group_by(models.QuestionVersion.question_id).subquery())
    wrong = session.scalars(
        select(models.Question).join(latest, latest.c.question_id == models.Question.id)
        .join(models.Answer, models.Answer.id == latest.c.answer_id)
        .join(models.QuestionSet, models.QuestionSet.id == models.Question.set_id)
        .where(models.Answer.points < 1, models.Question.position.is_not(None),
               models.QuestionSet.hidden.is_(False))
        .order_by(models.Answer.id.desc()).limit(MISTAKES_LIMIT)).all()
    wrong = [q for q in wrong if may_see_set(session, user, q.question_set)]
    if not wrong:
        return None
    attempt = models.Attempt(user_id=user.id, kind="mistakes", feedback="immediate", possible=len(wrong))
    rng = random.Random(secrets.randbits(64))  # option order, not a secret  # nosec B311
    for position, question in enumerate(wrong):
        attempt.items.append(models.AttemptItem(position=position, version=question.current,
                                                option_order=option_order(question.current, rng)))
    attempt = add_unless_open(session, attempt, lambda: unfinished_mistakes(session, user))
    session.flush()
    return attempt


def forget_old_practice(session: Session) -> int:
    """Deletes practice attempts (no account) older than PRACTICE_DAYS, answers and all."""
    cutoff = models.utcnow() - timedelta(days=PRACTICE_DAYS)
    old = select(models.Attempt.id).where(models.Attempt.user_id.is_(None),
                                          models.Attempt.started_at < cutoff)
    items = select(models.AttemptItem.id).where(models.AttemptItem.attempt_id.in_(old))
    session.execute(delete(models.Answer).where(models.Answer.item_id.in_(items)))
    session.execute(delete(models.AttemptItem).where(models.AttemptItem.attempt_id.in_(old)))
    return session.execute(delete(models.Attempt).where(models.Attempt.id.in_(old))).rowcount or 0


def item_question(item: models.AttemptItem) -> Question:
    version = item.version
    return question_from_parts(version.question.key, version.asked, version.feedback)


def record_answer(session: Session, attempt_id: int, item_id: int, question: Question, response: Any) -> bool:
    """Stores an answer unless the item has one or the attempt is finished; True if this call stored it.

    One INSERT ... SELECT ... WHERE the attempt is unfinished ... ON CONFLICT DO NOTHING on the
    unique item_id makes the database the judge, so two racing submissions store one and an
    attempt finished meanwhile takes none; the label choices are written only by the call
    whose answer went in, in the same transaction. The caller commits.
    """
    connection = session.connection()
    store_answer, store_choices = answer_inserts(connection.dialect.name)
    return stored_with_choices(lambda row: connection.execute(store_answer, row).scalar(),
                               lambda rows: connection.execute(store_choices, rows),
                               attempt_id, item_id, question, response)


def answer_now(session: Session, attempt_id: int, item_id: int, question: Question, response: Any) -> bool:
    """`record_answer` in a short transaction of its own, committed, sent straight to the driver
    (quiz.db.direct_write): what a learner's every answer does, with SQLite's write lock held
    for the two INSERTs and little else. Inside `writing()`, which commits a transaction the
    session has open first. If the server had dropped the connection, the answer is sent once
    more on a new one (it cannot be stored twice: the INSERT does nothing if the item has an answer)."""
    with writing():
        try:
            return answer_directly(session, attempt_id, item_id, question, response)
        except ConnectionLost:
            return answer_directly(session, attempt_id, item_id, question, response)


def answer_directly(session: Session, attempt_id: int, item_id: int, question: Question, response: Any) -> bool:
    dialect = engine_of(session).dialect.name
    if dialect == "postgresql":   # one statement, its own transaction: one round trip
        row = {**answer_row(attempt_id, item_id, question, response), "choices": label_choices(question, response)}
        return bool(answer_with_choices().write(session, row))
    store_answer, store_choices = answer_inserts_prepared(dialect)
    with direct_write(session) as run:
        return stored_with_choices(lambda row: next((found[0] for found in run(store_answer, row)), None),
                                   lambda rows: run(store_choices, rows),
                                   attempt_id, item_id, question, response)


def stored_with_choices(insert_answer: Callable[[dict[str, Any]], Optional[int]],
                        insert_choices: Callable[[list[dict[str, Any]]], object],
                        attempt_id: int, item_id: int, question: Question, response: Any) -> bool:
    """The answer's INSERT (its new id, or None if the item had one or the attempt is finished),
    then its label choices, only if the answer went in; True if it did."""
    answer_id = insert_answer(answer_row(attempt_id, item_id, question, response))
    if answer_id is None:
        return False
    choices = choice_rows(answer_id, question, response)
    if choices:
        insert_choices(choices)
    return True


def answer_row(attempt_id: int, item_id: int, question: Question, response: Any) -> dict[str, Any]:
    return {"attempt_id": attempt_id, "item_id": item_id, "response": response, "points": score(question, response),
            "response_text": describe_response(question, response), "answered_at": models.utcnow()}


def choice_rows(answer_id: int, question: Question, response: Any) -> list[dict[str, Any]]:
    return [{"answer_id": answer_id, **row} for row in label_choices(question, response)]


@cache
def answer_inserts(dialect: str):  # type: ignore[no-untyped-def]
    """The two INSERTs of `record_answer`, built once per dialect (both speak ON CONFLICT DO NOTHING)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = ("item_id", "response", "points", "response_text", "answered_at")
    unfinished = select(models.Attempt.id).where(models.Attempt.id == bindparam("attempt_id"),
                                                 models.Attempt.finished_at.is_(None))
    values = select(*[bindparam(name, type_=ANSWERS.c[name].type) for name in columns]).where(unfinished.exists())
    return (insert(ANSWERS).from_select(columns, values)
            .on_conflict_do_nothing(index_elements=[ANSWERS.c.item_id]).returning(ANSWERS.c.id),
            insert(LABEL_CHOICES))


@cache
def answer_inserts_prepared(dialect: str) -> tuple[Prepared, Prepared]:
    """The same two INSERTs as `Prepared` statements, for `answer_now`."""
    store_answer, store_choices = answer_inserts(dialect)
    return Prepared(store_answer), Prepared(store_choices, column_keys=["answer_id", *CHOICE_COLUMNS])


@cache
def answer_with_choices() -> Prepared:
    """PostgreSQL: `answer_inserts` as one statement, the label choices (a JSON array of
    `label_choices` rows, given as "choices") inserted in a CTE from the answer's RETURNING, so
    they go in only with it. Gives the answer's id, or no row if nothing was stored. SQLite has
    no INSERT inside a WITH."""
    answer = answer_inserts("postgresql")[0].cte("answer")
    given = func.json_to_recordset(bindparam("choices", type_=JSON)).table_valued(
        *[column(name, LABEL_CHOICES.c[name].type) for name in CHOICE_COLUMNS]).render_derived(with_types=True)
    choices = pg_insert(LABEL_CHOICES).from_select(
        ["answer_id", *CHOICE_COLUMNS],
        select(answer.c.id, *[given.c[name] for name in CHOICE_COLUMNS]).select_from(answer.join(given, true())))
    return Prepared(select(answer.c.id).add_cte(choices.cte("choices")))


def describe_response(question: Question, response: Any) -> str:
    """An answer as short text, to group and export: "opinion", "a,c", the words, labels."""
    if question.type == "label":
        return str(response)
    if question.type == "choice":
        return ",".join(response)
    if question.type == "spot":
        chosen = set(response)
        return " ".join(w.text for w in words(question.statement) if w.index in chosen)[:500] or "(none)"
    return " / ".join(str(label) for label in response)[:500]


def label_choices(question: Question, response: Any) -> list[dict[str, Any]]:
    """The labelling decisions of an answer as `label_choices` rows; an accepted label counts as right."""
    return [{"part": part, "expected": answer, "chosen": chosen, "right": chosen == answer or chosen in accept}
            for part, (answer, accept, chosen) in enumerate(decisions(question, response)) if chosen is not None]


def finish_attempt(session: Session, attempt: models.Attempt) -> bool:
    """Scores and closes an attempt once, and counts it into its class's set report; True if
    this call finished it."""
    attempt_id, user_id = attempt.id, attempt.user_id
    assignment = report_counts.lock_assignment(session, attempt.assignment_id) if attempt.assignment_id else None
    total = (select(func.coalesce(func.sum(models.Answer.points), 0.0))
             .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
             .where(models.AttemptItem.attempt_id == attempt_id).scalar_subquery())
    result = session.execute(update(models.Attempt)
                             .where(models.Attempt.id == attempt_id, models.Attempt.finished_at.is_(None))
                             .values(finished_at=models.utcnow(), points=total)
                             .execution_options(synchronize_session=False))
    session.expire(attempt)
    if result.rowcount != 1:
        return False
    if assignment is not None:
        report_counts.attempt_finished(session, assignment, attempt_id, user_id)
    return True


# -- what an attempt shows -----------------------------------------------------------------------

def set_labels(qset: Optional[models.QuestionSet]) -> dict[str, Label]:
    if qset is None:
        return dict(STANDARD_LABELS)
    return {label["key"]: Label(label["key"], label["name"], label["definition"]) for label in qset.labels}


PLURALS = {"fact": _l("reported facts"), "commentary": _l("commentary sentences"), "opinion": _l("opinions")}


def plural(label: Label) -> str:
    return str(PLURALS[label.key]) if label.key in PLURALS else _("“%(name)s” sentences", name=label.name)


@dataclass
class LabelResult:
    """How one label went: how many sentences had it, how many the learner got, and confusions."""

    label: Label
    total: int = 0
    right: int = 0
    taken_for: dict[str, int] = field(default_factory=dict)


def decisions(question: Question, response: Any) -> list[tuple[str, tuple[str, ...], Optional[str]]]:
    """(right label, accepted labels, chosen label) for each labelling decision of an answer."""
    if question.type == "label":
        return [(str(question.answer), question.accept, response if isinstance(response, str) else None)]
    if question.type == "sort":
        chosen = list(response or []) + [None] * len(question.items)
        return [(item.answer, item.accept, chosen[n]) for n, item in enumerate(question.items)]
    return []


def label_results(pairs: Iterable[tuple[Question, Any]], labels: dict[str, Label]) -> list[LabelResult]:
    """Per label: right answers and what it was taken for (an accepted label is no confusion)."""
    results = {key: LabelResult(label) for key, label in labels.items()}
    for question, response in pairs:
        for answer, accept, chosen in decisions(question, response):
            result = results.setdefault(answer, LabelResult(Label(answer, answer, "")))
            result.total += 1
            if chosen == answer or chosen in accept:
                result.right += 1
            elif chosen is not None:
                result.taken_for[chosen] = result.taken_for.get(chosen, 0) + 1
    return [r for r in results.values() if r.total]


def label_sentences(results: list[LabelResult], labels: dict[str, Label]) -> list[str]:
    """Plain words for a result: "You caught 9 of 10 opinions; you took 3 of 6 ... for ..."."""
    lines = []
    for result in results:
        if result.taken_for:
            chosen, n = max(result.taken_for.items(), key=lambda kv: kv[1])
            other = labels.get(chosen, Label(chosen, chosen, ""))
            lines.append(_("You caught %(right)s of %(total)s %(what)s; you took %(n)s of %(total)s for %(other)s.",
                           right=result.right, total=result.total, what=plural(result.label), n=n,
                           other=plural(other)))
        else:
            lines.append(_("You caught %(right)s of %(total)s %(what)s.", right=result.right, total=result.total,
                           what=plural(result.label)))
    return lines


def attempt_guess_score(questions: list[Question], labels: dict[str, Label]) -> float:
    return guess_score(questions, list(labels))


@dataclass
class AttemptProgress:
    """Where an attempt stands: which positions are answered, without loading every question."""

    item_ids: list[int]
    answered: list[bool]

    @property
    def total(self) -> int:
        return len(self.item_ids)

    @property
    def done(self) -> int:
        return sum(self.answered)

    @property
    def next_position(self) -> Optional[int]:
        return next((n for n, done in enumerate(self.answered) if not done), None)


class GivenAnswer(NamedTuple):
    response: Any
    points: float


class ItemState(NamedTuple):
    """One item of an attempt as its page needs it; `set_id` and `digest` name its version's set.

    A page shows one item of an attempt and only counts the others, so the JSON of an item (its
    option order, its answer) is read as text and decoded when asked for: `option_order`, `answer`.
    """

    id: int
    position: int
    version_id: int
    order_json: Optional[str]
    set_id: int
    digest: str
    answered: bool   # or 1 and 0, as SQLite's JSON gives it
    response_json: Optional[str]
    points: Optional[float]

    @property
    def option_order(self) -> Optional[list[int]]:
        return json.loads(self.order_json) if self.order_json is not None else None

    @property
    def answer(self) -> Optional[GivenAnswer]:
        if not self.answered:
            return None
        return GivenAnswer(json.loads(self.response_json) if self.response_json is not None else None,
                           self.points or 0.0)


@dataclass(frozen=True)
class AttemptState:
    """An attempt as the question page and the submission need it, read in one query."""

    id: int
    set_id: Optional[int]
    user_id: Optional[int]
    practice_token: Optional[str]
    finished_at: Any
    feedback: str
    kind: str
    items: list[ItemState]
    # the owner's account (id, username, role, timezone, session_key), read with the attempt
    # when the session key given is the owner's current one; else None
    owner: Optional[tuple[int, str, str, Optional[str], str]] = None

    @property
    def progress(self) -> AttemptProgress:
        return AttemptProgress([i.id for i in self.items], [i.answered for i in self.items])


def attempt_state(session: Session, attempt_id: int, session_key: Optional[str] = None) -> Optional[AttemptState]:
    """The attempt, its owner and its items with their answers, in one query of one row (the
    items come as one JSON value: quiz.db.json_rows). None if there is no attempt.

    With the session key a signed-in request holds, the same query also reads the owner's
    account if that key is the owner's current one (`AttemptState.owner`): the check that signs
    the person in, made with the attempt instead of in a query of its own.
    """
    rows = attempt_state_query().rows(session, {"attempt_id": attempt_id, "session_key": session_key})
    if not rows:
        return None
    row = rows[0]
    # an attempt at a set: every item's version is one of the set's; practising mistakes: items
    # from several sets, each one's read in a second query
    one_set = (row[1], row[12]) if row[1] is not None else None
    sets = {} if one_set else {version_id: (set_id, digest) for version_id, set_id, digest
                               in item_sets_query().rows(session, {"attempt_id": attempt_id})}
    items = [ItemState(item_id, position, version_id, order_json, *(one_set or sets[version_id]), answered,
                       response_json, points)
             for item_id, position, version_id, order_json, answered, response_json, points
             in sorted(row[13] or (), key=itemgetter(1))]   # by position
    owner = tuple(row[7:12]) if row[7] is not None else None
    return AttemptState(*row[:7], items, owner)  # type: ignore[arg-type]


def answered(state: AttemptState, position: int, question: Question, response: Any) -> AttemptState:
    """The attempt as it stands once the item at `position` has the answer just stored: what its
    feedback page shows, without reading it back."""
    items = list(state.items)
    items[position] = items[position]._replace(answered=True, response_json=json.dumps(response),
                                               points=score(question, response))
    return replace(state, items=items)


@cache
def attempt_state_query() -> Prepared:
    """Built once, and run as a `Prepared` statement: it runs on every question page and answer.

    An attempt at a set takes the set's id and digest from the attempt (its items' versions are
    the set's). An attempt at a learner's mistakes, whose items come from several sets, reads
    each item's set in `item_sets_query`: three joins, which were two thirds of PostgreSQL's work
    on this query when it held them, and a sixth even as a CASE never taken (its plan is set up
    on every run)."""
    owner, item, answer = models.User, models.AttemptItem, models.Answer
    items = (select(json_rows(item.id, item.position, item.version_id, cast(item.option_order, Text),
                              answer.id.is_not(None), cast(answer.response, Text), answer.points))
             .select_from(item).outerjoin(answer, answer.item_id == item.id)
             .where(item.attempt_id == models.Attempt.id).scalar_subquery())
    return Prepared(select(models.Attempt.id, models.Attempt.set_id, models.Attempt.user_id,
                           models.Attempt.practice_token, models.Attempt.finished_at, models.Attempt.feedback,
                           models.Attempt.kind,
                           owner.id, owner.username, owner.role, owner.timezone, owner.session_key,
                           models.QuestionSet.digest, items)
                    .select_from(models.Attempt)
                    .outerjoin(owner, and_(owner.id == models.Attempt.user_id,
                                           owner.session_key == bindparam("session_key")))
                    .outerjoin(models.QuestionSet, models.QuestionSet.id == models.Attempt.set_id)
                    .where(models.Attempt.id == bindparam("attempt_id")))


@cache
def item_sets_query() -> Prepared:
    """(version id, set id, set digest) of each item of an attempt at a learner's mistakes."""
    item = models.AttemptItem
    return Prepared(select(item.version_id, models.QuestionSet.id, models.QuestionSet.digest)
                    .join(models.QuestionVersion, models.QuestionVersion.id == item.version_id)
                    .join(models.Question, models.Question.id == models.QuestionVersion.question_id)
                    .join(models.QuestionSet, models.QuestionSet.id == models.Question.set_id)
                    .where(item.attempt_id == bindparam("attempt_id")))


# Question versions never change what they ask; their feedback, and their set's title, labels
# and article, change only by a re-import, which gives the set a new digest. So what the pages
# show of a set and its versions is kept per process under (set id, digest): a request reads
# the attempt, never the question, and a re-import is seen at once, by every server.

@dataclass(frozen=True)
class ShownSet:
    """A set as its question pages show it, with every version of its questions by version id."""

    id: int
    title: str
    labels: dict[str, Label]
    article: list[dict[str, Any]]
    source: Optional[dict[str, Any]]
    questions: dict[int, Question]


SHOWN_SETS_KEPT = 64
_shown_sets: WeakKeyDictionary[Any, dict[tuple[int, str], ShownSet]] = WeakKeyDictionary()  # by engine


def shown_set(session: Session, set_id: int, digest: str) -> ShownSet:
    """The set as its pages show it, from the per-process cache, read on a miss (two queries)."""
    kept = _shown_sets.setdefault(engine_of(session), {})
    found = kept.get((set_id, digest))
    if found is not None:
        return found
    qset = session.get(models.QuestionSet, set_id)
    if qset is None:  # an item's version always belongs to a set; a deleted one is a server fault
        raise LookupError(f"question set {set_id} is gone")
    versions = session.execute(
        select(models.QuestionVersion.id, models.Question.key, models.QuestionVersion.asked,
               models.QuestionVersion.feedback)
        .join(models.Question, models.Question.id == models.QuestionVersion.question_id)
        .where(models.Question.set_id == set_id)).all()
    found = ShownSet(qset.id, qset.title, set_labels(qset), qset.article, qset.source,
                     {vid: question_from_parts(key, asked, feedback) for vid, key, asked, feedback in versions})
    if len(kept) >= SHOWN_SETS_KEPT:
        kept.clear()   # a bound, not a policy: a few queries refill what is in use
    kept[(set_id, qset.digest)] = found
    return found


def load_attempt(session: Session, attempt_id: int) -> Optional[models.Attempt]:
    return session.scalar(select(models.Attempt).where(models.Attempt.id == attempt_id).options(
        selectinload(models.Attempt.items).selectinload(models.AttemptItem.answer),
        selectinload(models.Attempt.items).selectinload(models.AttemptItem.version)
        .selectinload(models.QuestionVersion.question).selectinload(models.Question.question_set)))


def learner_attempts(session: Session, user: models.User) -> list[models.Attempt]:
    """The learner's attempts, oldest first, with what is needed to summarise them."""
    return list(session.scalars(select(models.Attempt).where(models.Attempt.user_id == user.id)
                                .options(selectinload(models.Attempt.question_set),
                                         selectinload(models.Attempt.items).selectinload(models.AttemptItem.answer),
                                         selectinload(models.Attempt.items).selectinload(models.AttemptItem.version)
                                         .selectinload(models.QuestionVersion.question)
                                         .selectinload(models.Question.question_set))
                                .order_by(models.Attempt.started_at, models.Attempt.id)))
