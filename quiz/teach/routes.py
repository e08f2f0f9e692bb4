"""Routes under /teach/: sets, classes, assignments, results, reports and exports.

Every route is for signed-in instructors only, and every class route checks that the
instructor teaches that class: anyone else gets 404, never 403.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from functools import wraps
from typing import Callable, Iterator, Optional

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, session,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename
from wtforms.fields.choices import SelectChoice

from .. import accounts, models
from .. import attempts as service
from .. import exports, report_counts, reports
from ..db import db, inserted, writing, written
from ..draft import licence_note
from ..importer import ImportConflict, import_set
from ..regrade import regrade_set
from ..security import account_row, is_number, safe_next
from ..sets import Problem, SetFileError, load_set
from ..sets.loader import ID_PATTERN
from ..sets.model import blind_score, label_counts, question_from_parts, sort_blind_share
from ..views import display_zone
from .forms import ActionForm, AssignForm, ClassForm, CoTeacherForm, DraftForm, NewClassForm, UploadForm
from .report_text import question_text, wrong_answer_text

bp = Blueprint("teach", __name__, url_prefix="/teach")

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
RESET_HOURS = 24


def instructor_required(view: Callable) -> Callable:
    """Signed-in instructors only: others are sent to sign in, or get 404 (not 403)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not current_user.is_instructor:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def own_classroom_or_404(class_id: int) -> models.Classroom:
    """The one place that checks an instructor teaches a class."""
    classroom = db.session.get(models.Classroom, class_id)
    if classroom is None or current_user.id not in {t.id for t in classroom.instructors}:
        abort(404)
    return classroom


def set_or_404(slug: str) -> models.QuestionSet:
    """The one place that checks an instructor may see a set: every set except other
    instructors' hidden ones."""
    if not ID_PATTERN.fullmatch(slug):
        abort(404)
    qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == slug))
    if qset is None or (qset.hidden and qset.owner_id != current_user.id):
        abort(404)
    return qset


def own_set_or_404(slug: str) -> models.QuestionSet:
    """A set this instructor uploaded: only its owner hides or regrades it (site sets: `quiz regrade`)."""
    qset = set_or_404(slug)
    if qset.owner_id != current_user.id:  # a site set has no owner
        abort(404)
    return qset


def shared_sets():  # type: ignore[no-untyped-def]
    """The sets this instructor sees: all but other instructors' hidden ones."""
    return select(models.QuestionSet).where(
        or_(models.QuestionSet.hidden.is_(False), models.QuestionSet.owner_id == current_user.id))


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def display_code(code: Optional[str]) -> str:
    return f"{code[:4]}-{code[4:]}" if code else ""


def names_hidden() -> bool:
    return bool(session.get("hide_names"))


def learner_names(learners: list[models.User]) -> dict[int, str]:
    """Usernames, or "Learner 1, 2, ..." when names are hidden for a projector."""
    if not names_hidden():
        return {u.id: u.username for u in learners}
    return {u.id: _("Learner %(n)s", n=n) for n, u in enumerate(sorted(learners, key=lambda u: u.id), start=1)}


def to_utc(local: Optional[datetime]) -> Optional[datetime]:
    """A time typed in the instructor's zone, as stored (UTC)."""
    if local is None:
        return None
    return local.replace(tzinfo=display_zone()).astimezone(timezone.utc)


bp.add_app_template_global(names_hidden)   # globals, not a context processor: see quiz.live.routes
bp.add_app_template_global(display_code)


@bp.post("/hide-names")
@instructor_required
def hide_names():  # type: ignore[no-untyped-def]
    session["hide_names"] = not names_hidden()
    return redirect(safe_next(request.form.get("next")) or url_for("teach.home"))


# -- classes -------------------------------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
@instructor_required
def home():  # type: ignore[no-untyped-def]
    form = NewClassForm()
    if form.validate_on_submit():
        with writing():
            key = form.form_key.data or None
            classroom = models.Classroom(name=form.name.data.strip(), join_code=new_code(), form_key=key)
            classroom.instructors.append(account_row())
            if not inserted(db.session, classroom):
                # the same form was sent twice at once (a double click): the other request made the class
                classroom = db.session.scalar(select(models.Classroom).where(models.Classroom.form_key == key))
                if key is None or classroom is None:
                    abort(409)
                classroom = own_classroom_or_404(classroom.id)
            db.session.commit()
        flash(_("Class %(name)s created. Give learners the code %(code)s.", name=classroom.name,
                code=display_code(classroom.join_code)), "info")
        return redirect(url_for("teach.classroom", class_id=classroom.id))
    classes = db.session.scalars(
        select(models.Classroom).join(models.classroom_instructors)
        .where(models.classroom_instructors.c.user_id == current_user.id)
        .order_by(models.Classroom.archived, models.Classroom.name)).all()
    return render_template("teach/home.html", classes=classes, form=form)


@bp.get("/classes/<int:class_id>/")
@instructor_required
def classroom(class_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    learners, cells, averages = reports.class_matrix(db.session, classroom)
    names = learner_names(learners)
    sort = request.args.get("sort", "name")
    learners.sort(key=lambda u: names[u.id].lower())
    if sort.startswith("set-") and is_number(sort[4:]):
        column = int(sort[4:])
        learners.sort(key=lambda u: -(cells[(u.id, column)].percent or 0) if (u.id, column) in cells
                      and cells[(u.id, column)].percent is not None else 1)
    last_activity = dict(db.session.execute(
        select(models.Attempt.user_id, func.max(models.Answer.answered_at))
        .join(models.AttemptItem, models.AttemptItem.attempt_id == models.Attempt.id)
        .join(models.Answer, models.Answer.item_id == models.AttemptItem.id)
        .where(models.Attempt.user_id.in_([u.id for u in learners]))
        .group_by(models.Attempt.user_id)).all()) if learners else {}
    assign = AssignForm()
    assigned = {a.set_id for a in classroom.assignments}
    assign.set_id.choices = [SelectChoice(s.slug, _("%(title)s (assigned)", title=s.title) if s.id in assigned else s.title)
                             for s in db.session.scalars(select(models.QuestionSet).where(
                                 models.QuestionSet.hidden.is_(False)).order_by(models.QuestionSet.title))]
    return render_template("teach/classroom.html", classroom=classroom, learners=learners, cells=cells,
                           averages=averages, names=names, sort=sort, last_activity=last_activity,
                           rename=ClassForm(name=classroom.name), coteacher=CoTeacherForm(), assign=assign,
                           action=ActionForm())


@bp.post("/classes/<int:class_id>/rename")
@instructor_required
def rename(class_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    form = ClassForm()
    if form.validate_on_submit():
        with writing():
            classroom = own_classroom_or_404(class_id)
            classroom.name = form.name.data.strip()
            db.session.commit()
        flash(_("Class renamed."), "info")
    else:
        flash(_("A class needs a name of at most 100 characters."), "error")
    return redirect(url_for("teach.classroom", class_id=classroom.id))


@bp.post("/classes/<int:class_id>/archive")
@instructor_required
def archive(class_id: int):  # type: ignore[no-untyped-def]
    own_classroom_or_404(class_id)
    if ActionForm().validate_on_submit():
        with writing():
            classroom = own_classroom_or_404(class_id)
            classroom.archived = not classroom.archived
            db.session.commit()
        flash(_("Class archived: learners no longer see it.") if classroom.archived else _("Class restored."), "info")
    return redirect(url_for("teach.classroom", class_id=class_id))


@bp.post("/classes/<int:class_id>/code")
@instructor_required
def join_code(class_id: int):  # type: ignore[no-untyped-def]
    own_classroom_or_404(class_id)
    if ActionForm().validate_on_submit():
        with writing():
            classroom = own_classroom_or_404(class_id)
            closing = request.form.get("do") == "close"
            classroom.join_code = None if closing else new_code()
            db.session.commit()
        flash(_("Joining is closed: no new learner can join with a code.") if closing
              else _("New join code: %(code)s. The old one no longer works.", code=display_code(classroom.join_code)),
              "info")
    return redirect(url_for("teach.classroom", class_id=class_id))


@bp.get("/classes/<int:class_id>/join-code")
@instructor_required
def show_join_code(class_id: int):  # type: ignore[no-untyped-def]
    """The join code alone, large, for a projector."""
    classroom = own_classroom_or_404(class_id)
    return render_template("teach/join_code.html", classroom=classroom)


@bp.post("/classes/<int:class_id>/coteachers")
@instructor_required
def add_coteacher(class_id: int):  # type: ignore[no-untyped-def]
    own_classroom_or_404(class_id)
    form = CoTeacherForm()
    if form.validate_on_submit():
        with writing():
            classroom = own_classroom_or_404(class_id)
            teacher = accounts.find_user(db.session, form.username.data or "")
            if teacher is None or not teacher.is_instructor:
                flash(_("No instructor has that username."), "error")
            elif teacher in classroom.instructors or not written(
                    db.session, lambda: classroom.instructors.append(teacher)):  # or another request just added them
                flash(_("%(name)s already teaches this class.", name=teacher.username), "info")
            else:
                db.session.commit()
                flash(_("%(name)s now co-teaches this class.", name=teacher.username), "info")
    return redirect(url_for("teach.classroom", class_id=class_id))


def class_learner_or_404(classroom: models.Classroom, user_id: int) -> models.Membership:
    membership = db.session.get(models.Membership, (classroom.id, user_id))
    if membership is None or membership.removed_at is not None:
        abort(404)
    return membership


@bp.route("/classes/<int:class_id>/learners/<int:user_id>/remove", methods=["GET", "POST"])
@instructor_required
def remove_learner(class_id: int, user_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    membership = class_learner_or_404(classroom, user_id)
    form = ActionForm()
    if form.validate_on_submit():
        with writing():
            membership = class_learner_or_404(own_classroom_or_404(class_id), user_id)
            accounts.remove_from_class(db.session, membership)
            db.session.commit()
        flash(_("The learner is removed from this class. Their answers are kept, hidden from this class's results."),
              "info")
        return redirect(url_for("teach.classroom", class_id=class_id))
    name = learner_names([membership.user])[membership.user.id]
    return render_template("teach/confirm_remove.html", classroom=classroom, name=name, form=form)


@bp.post("/classes/<int:class_id>/learners/<int:user_id>/reset")
@instructor_required
def reset_code(class_id: int, user_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    membership = class_learner_or_404(classroom, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    code = new_code(10)
    with writing():
        accounts.make_reset_code(db.session, user_id, current_user.id, code, RESET_HOURS)
        db.session.commit()
    return render_template("teach/reset_code.html", classroom=own_classroom_or_404(class_id),
                           name=membership.user.username, code=f"{code[:5]}-{code[5:]}", hours=RESET_HOURS)


@bp.get("/classes/<int:class_id>/learners/<int:user_id>/")
@instructor_required
def learner(class_id: int, user_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    membership = class_learner_or_404(classroom, user_id)
    attempts = db.session.scalars(
        select(models.Attempt).join(models.Assignment, models.Assignment.id == models.Attempt.assignment_id)
        .where(models.Attempt.user_id == user_id, models.Assignment.classroom_id == classroom.id)
        .order_by(models.Attempt.started_at)).all()
    return render_template("teach/learner.html", classroom=classroom, name=learner_names([membership.user])[user_id],
                           user_id=user_id, attempts=attempts)


@bp.get("/classes/<int:class_id>/attempts/<int:attempt_id>/")
@instructor_required
def attempt(class_id: int, attempt_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    found = service.load_attempt(db.session, attempt_id)
    if (found is None or found.assignment is None or found.assignment.classroom_id != classroom.id
            or found.user_id is None):
        abort(404)
    membership = class_learner_or_404(classroom, found.user_id)
    rows = [(item, service.item_question(item), service.set_labels(item.version.question.question_set))
            for item in found.items]
    return render_template("teach/attempt.html", classroom=classroom, attempt=found, rows=rows,
                           name=learner_names([membership.user])[found.user_id])


# -- reports and exports -------------------------------------------------------------------------

@bp.get("/classes/<int:class_id>/sets/<slug>/")
@instructor_required
def set_report(class_id: int, slug: str):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    assignment = next((a for a in classroom.assignments if a.question_set.slug == slug), None)
    if assignment is None:
        abort(404)
    if not assignment.report_built:   # dropped or never counted: counted from scratch, as a writer
        with writing():
            report_counts.rebuild(db.session, assignment.id)
            db.session.commit()
    report = report_counts.set_report(db.session, assignment)
    labels = service.set_labels(assignment.question_set)
    texts = {}
    for stat in report.questions:
        current = stat.question.current
        chosen = next((v for v in stat.question.versions if v.id == stat.wrong_version_id), current)
        texts[stat.question.id] = (
            question_text(question_from_parts(stat.question.key, current.asked, current.feedback)),
            wrong_answer_text(question_from_parts(stat.question.key, chosen.asked, chosen.feedback),
                              stat.wrong_answer, labels))
    return render_template("teach/set_report.html", classroom=classroom, assignment=assignment, report=report,
                           labels=labels, plural=service.plural, texts=texts, minimum=reports.MIN_LEARNERS)


def csv_response(chunks: Iterator[str], name: str) -> Response:
    """A CSV download sent as it is written: the first bytes leave before the last rows are read."""
    return Response(stream_with_context(chunk.encode("utf-8") for chunk in chunks), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Type": "text/csv; charset=utf-8"})


@bp.get("/classes/<int:class_id>/results.csv")
@instructor_required
def results_csv(class_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    return csv_response(exports.results_csv(db.session, classroom), f"class-{classroom.id}-results.csv")


@bp.get("/classes/<int:class_id>/responses.csv")
@instructor_required
def responses_csv(class_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    return csv_response(exports.responses_csv(db.session, classroom), f"class-{classroom.id}-responses.csv")


# -- sets ----------------------------------------------------------------------------------------

@bp.route("/sets/", methods=["GET", "POST"])
@instructor_required
def sets():  # type: ignore[no-untyped-def]
    form = UploadForm()
    problems, warnings, text = [], [], None
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read()
        name = secure_filename(upload.filename or "") or "upload.yaml"
        text = raw.decode("utf-8", "replace")
        try:
            loaded = load_set(raw, name)
        except SetFileError as error:
            problems = error.problems
        else:
            warnings = list(loaded.warnings)
            try:
                def upload_it() -> str:
                    return import_set(db.session, loaded, origin="upload", path=name, owner_id=current_user.id)

                with writing():
                    try:
                        with db.session.begin_nested():
                            status = upload_it()
                    except IntegrityError:  # the same set id went in from another request a moment ago
                        status = upload_it()
                    db.session.commit()
            except ImportConflict as conflict:
                db.session.rollback()
                problems = [Problem(name, loaded.id_line, str(conflict))]
            else:
                messages = {"new": _("Uploaded: %(title)s is ready to preview and assign.", title=loaded.set.title),
                            "updated": _("Replaced: %(title)s is updated; changed questions got a new version.",
                                         title=loaded.set.title),
                            "unchanged": _("That file is the same as the one already uploaded.")}
                flash(messages[status], "info")
                for warning in warnings:
                    flash(str(warning), "warning")
                return redirect(url_for("teach.set_detail", slug=loaded.set.id))
    lines = text.splitlines() if text is not None else []
    by_line: dict[int, list[str]] = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(str(problem))
    all_sets = db.session.scalars(shared_sets().order_by(models.QuestionSet.title)).all()
    counts = dict(db.session.execute(select(models.Question.set_id, func.count()).where(
        models.Question.position.is_not(None)).group_by(models.Question.set_id)).all())
    versions = dict(db.session.execute(
        select(models.Question.set_id, func.max(models.QuestionVersion.number))
        .join(models.QuestionVersion, models.QuestionVersion.question_id == models.Question.id)
        .group_by(models.Question.set_id)).all())
    return render_template("teach/sets.html", sets=all_sets, counts=counts, versions=versions, form=form,
                           problems=problems, lines=lines, by_line=by_line, draft_form=DraftForm(prefix="draft"),
                           notice=licence_note()), (422 if problems else 200)


@bp.get("/sets/<slug>/")
@instructor_required
def set_detail(slug: str):  # type: ignore[no-untyped-def]
    qset = set_or_404(slug)
    labels = service.set_labels(qset)
    questions = [(q, question_from_parts(q.key, q.current.asked, q.current.feedback)) for q in qset.current_questions]
    return render_template("teach/set_detail.html", qset=qset, questions=questions, labels=labels,
                           action=ActionForm(), upload=UploadForm(),
                           guess=service.attempt_guess_score([q for _r, q in questions], labels),
                           blind=blind_score([q for _r, q in questions], list(labels)),
                           counts=label_counts([q for _r, q in questions], list(labels)),
                           one_label={q.id: sort_blind_share(q, list(labels)) for _r, q in questions if q.type == "sort"})


@bp.post("/sets/<slug>/regrade")
@instructor_required
def regrade(slug: str):  # type: ignore[no-untyped-def]
    own_set_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    with writing():
        moved, changed = regrade_set(db.session, own_set_or_404(slug))
        db.session.commit()
    flash(_("Regraded: %(moved)s answers to earlier versions with the same wording were checked against the "
            "current key; %(changed)s scores changed.", moved=moved, changed=changed), "info")
    return redirect(url_for("teach.set_detail", slug=slug))


@bp.post("/sets/<slug>/hide")
@instructor_required
def hide_set(slug: str):  # type: ignore[no-untyped-def]
    own_set_or_404(slug)
    if ActionForm().validate_on_submit():
        with writing():
            qset = own_set_or_404(slug)
            qset.hidden = not qset.hidden
            db.session.commit()
        flash(_("The set is hidden: only you see it, and learners no longer can.") if qset.hidden
              else _("The set is visible again."), "info")
    return redirect(url_for("teach.set_detail", slug=slug))
