"""Routes: /teach/classes/<id>/live/<session> (the projector, the class's instructors) and
/live/<session>/ (the class's learners), with the small JSON each polls. Everyone else 404.

Screens follow by polling `.../state`: a few bytes of JSON with an ETag, so an unchanged
poll is answered 304 with no body. Without JavaScript the pages refresh themselves (meta
refresh while nothing can be typed) and carry a "Refresh" link.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import attempts, models
from ..db import db, writing
from ..learn.answers import AnswerProblem, read_response
from ..scoring import percent
from ..security import is_number
from ..sets.model import Label, Question
from ..teach.forms import ActionForm
from ..teach.routes import instructor_required, own_classroom_or_404, set_or_404
from . import service
from .forms import OpenForm, StartForm

bp = Blueprint("live", __name__)

POLL_SECONDS = 2
NO_SCRIPT_REFRESH = 4  # seconds, for screens with JavaScript off, only where nothing can be typed

# "9 of 26 took this opinion for a reported fact": the label as the subject, then as the mistake.
THIS = {"fact": _l("this reported fact"), "commentary": _l("this commentary"), "opinion": _l("this opinion")}
A = {"fact": _l("a reported fact"), "commentary": _l("commentary"), "opinion": _l("an opinion")}


# -- helpers ---------------------------------------------------------------------------------------

def question_at(live: models.LiveSession, position: int) -> tuple[Question, dict[str, Any]]:
    """The question at a position, and what the question macros need to show its options in
    the session's order (an object with `option_order`, like an attempt's item)."""
    question, order = service.question_at(db.session, live, position)
    return question, {"option_order": order}


def labels_of(live: models.LiveSession) -> dict[str, Label]:
    return attempts.set_labels(live.assignment.question_set)


def confusion_sentence(expected: str, chosen: str, n: int, answered: int, labels: dict[str, Label]) -> str:
    """ "9 of 26 took this opinion for a reported fact." """
    this = THIS.get(expected) or _("this “%(name)s” sentence", name=labels[expected].name if expected in labels
                                   else expected)
    other = A.get(chosen) or "“%s”" % (labels[chosen].name if chosen in labels else chosen)
    return _("%(n)s of %(total)s took %(this)s for %(other)s.", n=n, total=answered, this=this, other=other)


def confusion_sentences(question: Question, tally: service.Tally, labels: dict[str, Label]) -> list[str]:
    """The confusion report's sentence for each labelling decision that any learner got wrong."""
    parts = ([(str(question.answer), None)] if question.type == "label"
             else [(item.answer, n) for n, item in enumerate(question.items)] if question.type == "sort" else [])
    sentences = []
    for n, (expected, sentence) in enumerate(parts):
        if n in tally.wrong:
            chosen, count = tally.wrong[n]
            text = confusion_sentence(expected, chosen, count, tally.answered, labels)
            sentences.append(text if sentence is None else _("Sentence %(n)s: ", n=sentence + 1) + text)
    return sentences


def poll_reply(etag: str, payload: dict[str, Any]) -> Response:
    """The state as JSON with its ETag; 304 and no body when the screen already has it."""
    if request.if_none_match.contains(etag.strip('"')):
        response = Response(status=304)
    else:
        response = jsonify(payload)
    response.headers["ETag"] = etag
    return response


def timer_passed(live_id: int) -> None:
    """Closes the question if its timer ran out: whichever screen asks first does it."""
    with writing():
        service.close_if_deadline_passed(db.session, live_id)
        db.session.commit()


# -- starting (the class page's "Start live session") -----------------------------------------------

def start_form(classroom: models.Classroom) -> StartForm:
    form = StartForm()
    assigned = {a.set_id for a in classroom.assignments}
    sets = db.session.scalars(select(models.QuestionSet).where(models.QuestionSet.hidden.is_(False))
                              .order_by(models.QuestionSet.title)).all()
    form.set_id.choices = ([SelectChoice(s.slug, s.title) for s in sets if s.id in assigned]
                           + [SelectChoice(s.slug, _("%(title)s (not assigned yet)", title=s.title))
                              for s in sets if s.id not in assigned])
    return form


# For the small includes on / and on the class page (templates/live/_now.html, _start.html):
# template globals, which cost a page nothing until it calls them (a context processor runs on
# every render).

@bp.app_template_global()
def live_now() -> list[models.LiveSession]:
    if not current_user.is_authenticated or current_user.is_instructor:
        return []
    return service.sessions_now(db.session, current_user.id)


@bp.app_template_global()
def live_start(classroom: models.Classroom) -> tuple[StartForm, Optional[models.LiveSession]]:
    running = service.running_session(db.session, classroom.id)
    return start_form(classroom), (running if running is not None and not service.is_stale(running) else None)


@bp.post("/teach/classes/<int:class_id>/live/")
@instructor_required
def start(class_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    form = start_form(classroom)
    if not form.validate_on_submit():
        flash(_("Choose a set to run live."), "error")
        return redirect(url_for("teach.classroom", class_id=class_id))
    with writing():
        classroom = own_classroom_or_404(class_id)
        qset = set_or_404(form.set_id.data)
        if not qset.current_questions:
            abort(404)
        live, created = service.start_session(db.session, classroom, qset, current_user)
        db.session.commit()
    if not created:
        flash(_("A live session is already running in this class: here it is."), "info")
    return redirect(url_for("live.projector", class_id=class_id, live_id=live.id))


# -- the projector ----------------------------------------------------------------------------------

def own_session_or_404(class_id: int, live_id: int) -> models.LiveSession:
    classroom = own_classroom_or_404(class_id)
    live = service.load(db.session, live_id)
    if live is None or live.classroom_id != classroom.id:
        abort(404)
    return live


@bp.get("/teach/classes/<int:class_id>/live/<int:live_id>")
@instructor_required
def projector(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    live = own_session_or_404(class_id, live_id)
    if service.deadline_passed(live):
        timer_passed(live.id)
        live = own_session_or_404(class_id, live_id)
    view = service.projector_view(db.session, live.id, live.classroom_id)
    labels = labels_of(live)
    question, shown = question_at(live, live.position) if live.position is not None else (None, None)
    tally = service.tally(db.session, live.id, live.position) if live.state == "closed" else None
    confusions = confusion_sentences(question, tally, labels) if tally is not None and question is not None else []
    summary = None
    if live.state == "ended":
        matrix, missed = service.session_summary(db.session, live.id)
        rows: dict[str, int] = {}
        for (expected, _chosen), n in matrix.items():
            rows[expected] = rows.get(expected, 0) + n
        discuss = []
        for m in missed:
            asked, asked_shown = question_at(live, m.position)
            discuss.append((m, asked, asked_shown, confusion_sentences(asked, service.tally(db.session, live.id, m.position),
                                                          labels)))
        summary = {"matrix": matrix, "rows": rows, "missed": discuss}
    names = service.participant_names(db.session, live.id) if live.show_names else []
    title = (_("Question %(n)s of %(total)s", n=live.position + 1, total=len(live.versions))
             if live.position is not None and live.state != "ended" else live.assignment.question_set.title)
    return render_template(
        "live/projector.html", live=live, classroom=live.classroom, view=view, labels=labels, question=question,
        tally=tally, confusions=confusions, shown=shown, summary=summary, names=names, title=title,
        open_form=OpenForm(version=live.version), action=ActionForm(), seconds_left=service.seconds_left(live),
        say=announcement(live), state_url=url_for("live.projector_state", class_id=class_id, live_id=live.id),
        etag=view.etag, page_key=f"v{view.version}", poll_seconds=POLL_SECONDS,
        refresh=NO_SCRIPT_REFRESH if live.state in ("lobby", "open") else None, plural=attempts.plural)


@bp.get("/teach/classes/<int:class_id>/live/<int:live_id>/state")
@instructor_required
def projector_state(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    view = service.projector_view(db.session, live_id, classroom.id)
    if view is None:
        abort(404)
    if view.deadline_passed:
        timer_passed(live_id)
        view = service.projector_view(db.session, live_id, classroom.id)
    return poll_reply(view.etag, {"page": f"v{view.version}", "joined": view.joined, "answered": view.answered})


def instructor_action(class_id: int, live_id: int, act) -> Response:  # type: ignore[no-untyped-def]
    """Runs one change of state in a write transaction; a stale or repeated click changes nothing."""
    own_session_or_404(class_id, live_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with writing():
        live = own_session_or_404(class_id, live_id)
        if not act(live):
            flash(_("That was already done: the screen shows where the session is now."), "info")
        db.session.commit()
    return redirect(url_for("live.projector", class_id=class_id, live_id=live_id))


@bp.post("/teach/classes/<int:class_id>/live/<int:live_id>/open")
@instructor_required
def open_question(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    form = OpenForm()
    seen = form.version.data or ""
    seconds = form.seconds.data or "0"
    if not is_number(seen) or not is_number(seconds) or int(seconds) not in service.TIMER_CHOICES:
        abort(400)
    return instructor_action(class_id, live_id, lambda live: service.open_next(
        db.session, live, int(seen), int(seconds)))


@bp.post("/teach/classes/<int:class_id>/live/<int:live_id>/close")
@instructor_required
def close_question(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    position = request.form.get("position", "")
    if not is_number(position):
        abort(400)
    return instructor_action(class_id, live_id, lambda live: service.close_question(db.session, live.id, int(position)))


@bp.post("/teach/classes/<int:class_id>/live/<int:live_id>/end")
@instructor_required
def end(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    return instructor_action(class_id, live_id, lambda live: service.end_session(db.session, live.id))


@bp.post("/teach/classes/<int:class_id>/live/<int:live_id>/names")
@instructor_required
def names(class_id: int, live_id: int):  # type: ignore[no-untyped-def]
    return instructor_action(class_id, live_id, lambda live: service.toggle_names(db.session, live.id))


def announcement(live: models.LiveSession) -> str:
    """What a screen reader hears when a screen follows a change (the live region)."""
    total = len(live.versions)
    if live.state == "open":
        return _("Question %(n)s of %(total)s is open.", n=live.position + 1, total=total)
    if live.state == "closed":
        return _("Question %(n)s is closed: the answer is shown.", n=live.position + 1)
    if live.state == "ended":
        return _("The live session has ended.")
    return _("Waiting for the first question.")


# -- the learner's screen ------------------------------------------------------------------------------

def signed_in() -> Optional[str]:
    """The session key of the signed-in account, as the session cookie holds it.

    The poll finds the account by it in its one query instead of loading the account first; a
    session restored from the remember-me cookie goes through Flask-Login as usual.
    """
    key = session.get("_user_id")
    if isinstance(key, str) and 0 < len(key) <= 64:
        return key
    if current_user.is_authenticated:
        return current_user.session_key
    return None


def learner_view_or_404(live_id: int) -> service.LearnerView:
    key = signed_in()
    view = service.learner_view(db.session, live_id, key) if key else None
    if view is None:
        abort(404)
    if view.deadline_passed:
        timer_passed(live_id)
        view = service.learner_view(db.session, live_id, key)  # type: ignore[arg-type]
    return view  # type: ignore[return-value]


@bp.get("/live/<int:live_id>/")
@login_required
def follow(live_id: int):  # type: ignore[no-untyped-def]
    view = learner_view_or_404(live_id)
    live = service.load(db.session, live_id)
    labels = labels_of(live)
    joined = service.participant(db.session, live_id, current_user.id)
    item = question = summary = None
    if joined is not None and live.position is not None and live.state != "ended":
        item = service.own_item(db.session, joined.attempt_id, live.position)
        question, _shown = question_at(live, live.position)
    attempt = None
    if live.state == "ended" and joined is not None:
        attempt = attempts.load_attempt(db.session, joined.attempt_id)
        pairs = [(attempts.item_question(i), i.answer.response) for i in attempt.items if i.answer]
        summary = {"percent": percent(attempt.points or 0, attempt.possible) if attempt.possible else 0,
                   "points": attempt.points or 0, "possible": attempt.possible,
                   "lines": attempts.label_sentences(attempts.label_results(pairs, labels), labels)}
    typing = live.state == "open" and joined is not None and item is not None and item.answer is None
    return render_template(
        "live/learner.html", live=live, view=view, labels=labels, joined=joined, attempt=attempt, item=item,
        question=question, summary=summary, action=ActionForm(), seconds_left=service.seconds_left(live),
        say=announcement(live), state_url=url_for("live.follow_state", live_id=live_id), etag=view.etag,
        page_key=view.etag.strip('"'), poll_seconds=POLL_SECONDS,
        refresh=None if typing else NO_SCRIPT_REFRESH, title=live.assignment.question_set.title)


@bp.get("/live/<int:live_id>/state")
def follow_state(live_id: int):  # type: ignore[no-untyped-def]
    view = learner_view_or_404(live_id)
    return poll_reply(view.etag, {"page": view.etag.strip('"'), "state": view.state, "position": view.position})


@bp.post("/live/<int:live_id>/join")
@login_required
def join(live_id: int):  # type: ignore[no-untyped-def]
    learner_view_or_404(live_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with writing():
        live = db.session.get(models.LiveSession, live_id)
        joined = service.join(db.session, live, current_user)
        db.session.commit()
    if joined is None:
        flash(_("This live session has ended."), "info")
    return redirect(url_for("live.follow", live_id=live_id))


@bp.post("/live/<int:live_id>/answer")
@login_required
def answer(live_id: int):  # type: ignore[no-untyped-def]
    learner_view_or_404(live_id)
    position = request.form.get("position", "")
    live = service.load(db.session, live_id)
    if not is_number(position) or int(position) >= len(live.versions):
        abort(400)
    question, _shown = question_at(live, int(position))
    try:
        response = read_response(request.form, question, list(labels_of(live)))
    except AnswerProblem as problem:
        flash(str(problem), "error")
        return redirect(url_for("live.follow", live_id=live_id))
    with writing():
        outcome = service.submit(db.session, live_id, current_user.id, int(position), response)
        db.session.commit()
    messages = {"stored": (_("Your answer is saved."), "info"),
                "already": (_("You had already answered this question; your first answer is kept."), "info"),
                "closed": (_("This question closed before your answer arrived, so it was not counted. "
                             "The answer is below."), "error"),
                "not joined": (_("Join the session first, then answer."), "error")}
    flash(*messages[outcome])
    return redirect(url_for("live.follow", live_id=live_id))
