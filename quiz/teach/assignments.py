"""Assignments under /teach/classes/<id>/assignments: give a set to a class, change how it is
taken, or take it back. Same rules as every teaching page: the class's instructors only, 404 else.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from wtforms.fields.choices import SelectChoice

from .. import models, report_counts
from ..db import db, inserted, writing
from ..live import service as live_service
from ..views import display_zone
from .forms import ActionForm, AssignForm
from .routes import bp, instructor_required, own_classroom_or_404, set_or_404, to_utc


def assignment_or_404(classroom: models.Classroom, assignment_id: int) -> models.Assignment:
    assignment = db.session.get(models.Assignment, assignment_id)
    if assignment is None or assignment.classroom_id != classroom.id:
        abort(404)
    return assignment


def settings_problem(form: AssignForm) -> str | None:
    """Why the form's settings cannot be saved, in a sentence, or None."""
    if not form.validate_on_submit():
        return " ".join(f"{getattr(form, name).label.text}: {' '.join(errors)}" for name, errors in form.errors.items())
    opens, closes = to_utc(form.opens_at.data), to_utc(form.closes_at.data)
    if opens and closes and closes <= opens:
        return _("The closing time must come after the opening time.")
    return None


def apply_settings(assignment: models.Assignment, form: AssignForm) -> None:
    if assignment.id is not None and form.counts.data != assignment.counts:   # other attempts count now
        report_counts.forget(db.session, models.Assignment.id == assignment.id)
    assignment.feedback, assignment.counts = form.feedback.data, form.counts.data
    assignment.attempts_allowed = form.attempts_allowed.data
    assignment.opens_at, assignment.closes_at = to_utc(form.opens_at.data), to_utc(form.closes_at.data)
    assignment.shuffle = form.shuffle.data


@bp.post("/classes/<int:class_id>/assignments")
@instructor_required
def assign(class_id: int):  # type: ignore[no-untyped-def]
    own_classroom_or_404(class_id)
    form = AssignForm()
    form.set_id.choices = [SelectChoice(s.slug, s.slug) for s in db.session.scalars(
        select(models.QuestionSet).where(models.QuestionSet.hidden.is_(False)))]
    problem = settings_problem(form)
    if problem:
        flash(problem, "error")
        return redirect(url_for("teach.classroom", class_id=class_id))
    with writing():
        classroom = own_classroom_or_404(class_id)
        qset = set_or_404(form.set_id.data)
        assignment = models.Assignment(classroom_id=classroom.id, set_id=qset.id)
        apply_settings(assignment, form)
        # the unique (class, set) key judges, also against a request racing this one; an assignment
        # that exists keeps its settings: say so, and where to change them, never overwrite silently
        if not inserted(db.session, assignment):
            db.session.rollback()
            flash(_("%(title)s is already assigned to %(name)s; its settings are unchanged. Use “Change” in the "
                    "list of assigned sets to change them.", title=qset.title, name=classroom.name), "error")
            return redirect(url_for("teach.classroom", class_id=class_id, _anchor="assigned"))
        db.session.commit()
    flash(_("%(title)s is assigned to %(name)s.", title=qset.title, name=classroom.name), "info")
    return redirect(url_for("teach.classroom", class_id=class_id))


@bp.route("/classes/<int:class_id>/assignments/<int:assignment_id>/", methods=["GET", "POST"])
@instructor_required
def edit_assignment(class_id: int, assignment_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    assignment = assignment_or_404(classroom, assignment_id)
    form = AssignForm(obj=assignment) if request.method == "GET" else AssignForm()
    form.set_id.choices = [SelectChoice(assignment.question_set.slug, assignment.question_set.title)]
    form.set_id.data = assignment.question_set.slug
    problem = None
    if request.method == "POST":
        problem = settings_problem(form)
        if problem is None:
            with writing():
                assignment = assignment_or_404(own_classroom_or_404(class_id), assignment_id)
                apply_settings(assignment, form)
                db.session.commit()
            flash(_("The settings of %(title)s are saved.", title=assignment.question_set.title), "info")
            return redirect(url_for("teach.classroom", class_id=class_id, _anchor="assigned"))
    elif assignment.opens_at or assignment.closes_at:
        zone = display_zone()
        form.opens_at.data = assignment_local(assignment.opens_at, zone)
        form.closes_at.data = assignment_local(assignment.closes_at, zone)
    return render_template("teach/assignment.html", classroom=classroom, assignment=assignment, form=form,
                           problem=problem), (422 if problem else 200)


def assignment_local(moment: Optional[datetime], zone: ZoneInfo) -> Optional[datetime]:
    """A stored (UTC) time as the instructor typed it: their zone, no seconds, no zone attached."""
    if moment is None:
        return None
    return models.as_utc(moment).astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


@bp.route("/classes/<int:class_id>/assignments/<int:assignment_id>/remove", methods=["GET", "POST"])
@instructor_required
def remove_assignment(class_id: int, assignment_id: int):  # type: ignore[no-untyped-def]
    classroom = own_classroom_or_404(class_id)
    assignment = assignment_or_404(classroom, assignment_id)
    form = ActionForm()
    if form.validate_on_submit():
        with writing():
            assignment = assignment_or_404(own_classroom_or_404(class_id), assignment_id)
            title = assignment.question_set.title
            # a live session of this assignment goes with it: end it first, so that its attempts
            # are finished and scored, not left open with no session to finish them
            for live_id in db.session.scalars(select(models.LiveSession.id).where(
                    models.LiveSession.assignment_id == assignment.id, models.LiveSession.state != "ended")).all():
                live_service.end_session(db.session, live_id)
            # the attempts stay their learners' (progress, review); they only leave this class's results
            db.session.execute(update(models.Attempt).where(models.Attempt.assignment_id == assignment.id)
                               .values(assignment_id=None))
            db.session.delete(assignment)
            db.session.commit()
        flash(_("%(title)s is no longer assigned to %(name)s.", title=title, name=classroom.name), "info")
        return redirect(url_for("teach.classroom", class_id=class_id, _anchor="assigned"))
    attempts = db.session.scalar(select(func.count(models.Attempt.id))
                                 .where(models.Attempt.assignment_id == assignment.id)) or 0
    return render_template("teach/confirm_unassign.html", classroom=classroom, assignment=assignment, form=form,
                           attempts=attempts)
