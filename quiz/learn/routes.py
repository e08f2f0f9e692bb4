"""Routes: /, /sets/<set_id>/, /attempts/<id>/, /attempts/<id>/review, /progress."""
from __future__ import annotations

import secrets
from typing import Optional

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import attempts as service
from .. import models
from ..db import db, reading, writing
from ..security import SignedIn, is_number, plausible_session_key, signed_in_as
from ..sets.loader import ID_PATTERN
from ..progress import learner_progress
from .answers import AnswerProblem, read_response
from .cards import set_facts

bp = Blueprint("learn", __name__)


def signed_in_user() -> Optional[SignedIn]:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return user if user.is_authenticated else None


def practice_token(create: bool = False) -> Optional[str]:
    """The random token that owns this browser's practice attempts (signed out only)."""
    token = session.get("practice_token")
    if not token and create:
        token = session["practice_token"] = secrets.token_urlsafe(32)
    return token


def visible_set_or_404(slug: str) -> models.QuestionSet:
    if not ID_PATTERN.fullmatch(slug):
        abort(404)
    qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == slug))
    if qset is None or not service.may_see_set(db.session, signed_in_user(), qset):
        abort(404)
    return qset


def own_attempt_or_404(attempt_id: int, everything: bool = False) -> models.Attempt:
    """The attempt if it is this person's; with `everything`, its items and answers loaded too."""
    attempt = (service.load_attempt(db.session, attempt_id) if everything
               else db.session.get(models.Attempt, attempt_id))
    if attempt is None or not service.owns(attempt, signed_in_user(), practice_token()):
        abort(404)
    return attempt


def live_url(attempt: models.Attempt | service.AttemptState) -> str:
    """Where a live attempt is answered: its session's screen."""
    from ..live.service import session_of_attempt  # here: quiz.live's routes import this package

    live = session_of_attempt(db.session, attempt.id)
    return url_for("live.follow", live_id=live.id) if live else url_for("learn.index")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    user = signed_in_user()
    assignments = service.learner_assignments(db.session, user)
    assigned_ids = {a.set_id for a in assignments}
    others = [s for s in service.public_sets(db.session) if s.id not in assigned_ids]
    facts = set_facts(db.session, others + [a.question_set for a in assignments])
    return render_template("learn/index.html", assignments=assignments, sets=others, facts=facts)


@bp.get("/sets/<slug>/")
def show_set(slug: str):  # type: ignore[no-untyped-def]
    qset = visible_set_or_404(slug)
    user = signed_in_user()
    assignment = service.assignment_for(db.session, user, qset) if user else None
    used = service.attempts_used(db.session, user, assignment) if user and assignment else 0
    # the token is made here, not at the start: a double click on Start then sends one token
    unfinished = service.unfinished_attempt(db.session, qset, user, None if user else practice_token(create=True))
    facts = set_facts(db.session, [qset])[qset.id]
    return render_template("learn/set.html", qset=qset, assignment=assignment, used=used,
                           unfinished=unfinished, questions=facts.questions, minutes=facts.minutes)


@bp.post("/sets/<slug>/start")
def start(slug: str):  # type: ignore[no-untyped-def]
    qset = visible_set_or_404(slug)
    user = signed_in_user()
    token = None if user else practice_token(create=True)
    with writing():
        assignment = service.assignment_for(db.session, user, qset) if user else None
        if assignment is not None:
            service.lock_membership(db.session, user, assignment)
        unfinished = service.unfinished_attempt(db.session, qset, user, token)
        if unfinished is not None:
            db.session.rollback()
            return redirect(url_for("learn.take", attempt_id=unfinished.id))
        if assignment is not None:
            if not assignment.is_open():
                db.session.rollback()
                flash(_("This assignment is not open now."), "error")
                return redirect(url_for("learn.show_set", slug=slug))
            allowed = assignment.attempts_allowed
            if allowed is not None and service.attempts_used(db.session, user, assignment) >= allowed:
                db.session.rollback()
                flash(_("You have used every attempt your teacher allowed for this set."), "error")
                return redirect(url_for("learn.show_set", slug=slug))
        if not qset.current_questions:
            abort(404)
        attempt = service.start_attempt(db.session, qset, user=user, practice_token=token, assignment=assignment)
        db.session.commit()
    # the first question's own address, so that Back after answering it shows it again, even
    # without JavaScript (see take)
    return redirect(url_for("learn.take", attempt_id=attempt.id, q=0))


def own_attempt_state_or_404(attempt_id: int) -> service.AttemptState:
    """The attempt as its question pages need it, if it is this person's, in one query: the
    session's account is checked against the attempt's owner in that query, so a learner's own
    attempt signs them in without a query of its own (anyone else is signed in as usual)."""
    state = service.attempt_state(db.session, attempt_id, plausible_session_key(session.get("_user_id")))
    if state is not None and state.owner is not None:
        signed_in_as(SignedIn(*state.owner))
    if state is None or not service.owns(state, signed_in_user(), practice_token()):
        abort(404)
    return state


def render_question(attempt: service.AttemptState, position: int, problem: str | None = None,
                    status: int = 200):  # type: ignore[no-untyped-def]
    item = attempt.items[position]
    qset = service.shown_set(db.session, item.set_id, item.digest)
    progress = attempt.progress
    # the attempt's address, built once: the page links to it three ways (?q=N for one question)
    address = url_for("learn.take", attempt_id=attempt.id)
    return render_template("learn/question.html", attempt=attempt, item=item, qset=qset, address=address,
                           question=qset.questions[item.version_id], labels=qset.labels, problem=problem,
                           answer=item.answer, progress=progress,
                           show_feedback=item.answered and attempt.feedback == "immediate",
                           next_position=progress.next_position), status


@bp.route("/attempts/<int:attempt_id>/", methods=["GET", "POST"])
def take(attempt_id: int):  # type: ignore[no-untyped-def]
    if request.method == "POST":
        return answer(attempt_id)
    with reading():
        attempt = own_attempt_state_or_404(attempt_id)
        if attempt.finished_at is not None:
            return redirect(url_for("learn.review", attempt_id=attempt.id))
        if attempt.kind == "live":  # answered only while the class's question is open
            return redirect(live_url(attempt))
        progress = attempt.progress
        wanted = request.args.get("q", "")
        # Each question has its own address (?q=N; quiz.js puts it in the address bar when the page
        # was reached without it), so Back after answering shows the question just answered, with
        # its feedback, rather than whatever comes next; no-store makes Back ask the server again.
        if is_number(wanted) and int(wanted) < progress.total and (
                progress.answered[int(wanted)] or int(wanted) == progress.next_position):
            position = int(wanted)
        elif progress.next_position is None:
            return render_template("learn/finish.html", attempt=attempt)
        else:
            position = progress.next_position
        page, status = render_question(attempt, position)
        return page, status, {"Cache-Control": "no-store"}


def answer(attempt_id: int):  # type: ignore[no-untyped-def]
    """Stores one answer and, with immediate feedback, answers with the feedback page itself: the
    attempt, its owner and its items read in one query, then the answer and its label choices
    written in one short transaction sent straight to the driver (attempts.answer_now: the write
    lock is held for the two INSERTs only); nothing is read again after the commit. The page
    names its own address (?q=N), which quiz.js puts in the address bar, so a refresh asks for
    that page, not the POST again (without JavaScript, a resent POST keeps the first answer)."""
    position = request.form.get("position", "")
    with reading():
        attempt = own_attempt_state_or_404(attempt_id)
        if attempt.finished_at is not None:
            return redirect(url_for("learn.review", attempt_id=attempt.id))
        if attempt.kind == "live":
            return redirect(live_url(attempt))
        if not is_number(position) or int(position) >= len(attempt.items):
            abort(400)
        item = attempt.items[int(position)]
        if item.answered:
            flash(_("You had already answered this question; your first answer is kept."), "info")
            return redirect(url_for("learn.take", attempt_id=attempt.id, q=item.position))
        qset = service.shown_set(db.session, item.set_id, item.digest)
        question = qset.questions[item.version_id]
        try:
            response = read_response(request.form, question, list(qset.labels))
        except AnswerProblem as problem:
            return render_question(attempt, item.position, problem=str(problem), status=422)
    stored = service.answer_now(db.session, attempt.id, item.id, question, response)
    if not stored:   # a second click, another tab, or the attempt finished meanwhile
        flash(_("You had already answered this question; your first answer is kept."), "info")
    elif attempt.feedback == "immediate":
        page, status = render_question(service.answered(attempt, item.position, question, response), item.position)
        return page, status, {"Cache-Control": "no-store"}
    if attempt.feedback == "immediate":
        return redirect(url_for("learn.take", attempt_id=attempt.id, q=item.position, _anchor="feedback"))
    flash(_("Your answer to question %(n)s is saved.", n=item.position + 1), "saved")
    # the next question by its own address (questions are taken in order; past the last one,
    # take() shows the finish page), so that Back comes to this one again
    return redirect(url_for("learn.take", attempt_id=attempt.id, q=item.position + 1))


@bp.post("/attempts/<int:attempt_id>/finish")
def finish(attempt_id: int):  # type: ignore[no-untyped-def]
    attempt = own_attempt_or_404(attempt_id)
    if attempt.kind == "live":  # finished when the instructor ends the session
        return redirect(live_url(attempt))
    with writing():
        service.finish_attempt(db.session, attempt)
        db.session.commit()
    return redirect(url_for("learn.review", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/review")
def review(attempt_id: int):  # type: ignore[no-untyped-def]
    attempt = own_attempt_or_404(attempt_id, everything=True)
    if attempt.finished_at is None:
        return redirect(url_for("learn.take", attempt_id=attempt.id))
    labels = service.set_labels(attempt.question_set)
    rows = [(item, service.item_question(item), service.set_labels(item.version.question.question_set))
            for item in attempt.items]
    answered = [(question, item.answer.response if item.answer else None) for item, question, _l in rows]
    results = service.label_results(answered, labels)
    return render_template("learn/review.html", attempt=attempt, rows=rows,
                           summary=service.label_sentences(results, labels),
                           guess=service.attempt_guess_score([q for _i, q, _l in rows], labels))


@bp.get("/progress")
@login_required
def progress():  # type: ignore[no-untyped-def]
    return render_template("learn/progress.html", progress=learner_progress(db.session, current_user))


@bp.post("/progress/mistakes")
@login_required
def practise_mistakes():  # type: ignore[no-untyped-def]
    with writing():
        attempt = service.mistakes_attempt(db.session, current_user)
        db.session.commit()
    if attempt is None:
        flash(_("Nothing to practise: you have no wrong answers to go back to."), "info")
        return redirect(url_for("learn.progress"))
    return redirect(url_for("learn.take", attempt_id=attempt.id))
