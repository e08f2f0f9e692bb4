"""Routes: /login, /logout, /join, /account."""
from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, models
from ..db import db, writing
from ..ratelimit import JOIN_LIMIT, SIGN_IN_PAIR, limits
from ..security import account_row, safe_next
from .forms import JoinCodeForm, JoinForm, LoginForm, PasswordForm, ResetForm, TimezoneForm

bp = Blueprint("auth", __name__)


def sign_in(user) -> None:  # type: ignore[no-untyped-def]
    """Starts a fresh session for the user: nothing from before signing in carries over."""
    session.clear()
    login_user(user)
    session.permanent = True


def wait_in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return ngettext("Try again in %(num)d minute.", "Try again in %(num)d minutes.", minutes)


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if form.validate_on_submit():
        username, address = accounts.normalise_username(form.username.data or ""), request.remote_addr or "-"
        wait = limits().reserve(SIGN_IN_PAIR, "sign-in", username, address)
        if wait:
            flash(_("Too many wrong passwords for this account from this device or network.") + " "
                  + wait_in_words(wait) + " " + _("Or ask your teacher for a reset code."), "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        limits().slow_down(username, address)
        user = accounts.authenticate(db.session, username, form.password.data or "")
        if user is None:
            limits().failed(username, address)
            flash(_("That username and password do not match. Check both and try again, or ask your "
                    "teacher to reset your password."), "error")
        else:
            limits().release(SIGN_IN_PAIR, "sign-in", username, address)
            target = safe_next(request.args.get("next"))
            sign_in(user)
            return redirect(target or url_for("teach.home" if user.is_instructor else "learn.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """Ends the session on the server too: a copy of the cookie no longer signs anyone in."""
    if current_user.is_authenticated:
        with writing():
            user = db.session.get(models.User, current_user.id)
            if user is not None:   # not erased meanwhile
                user.end_sessions()
            db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("learn.index"))


@bp.route("/join", methods=["GET", "POST"])
def join():  # type: ignore[no-untyped-def]
    signed_in = current_user.is_authenticated
    if signed_in and current_user.is_instructor:
        flash(_("Instructors add classes in the teaching area; joining is for learners."), "info")
        return redirect(url_for("teach.home"))
    form = JoinCodeForm() if signed_in else JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        address = request.remote_addr or "-"
        if not signed_in:
            # counted before the write transaction: the counter may live in this same database
            wait = limits().reserve(JOIN_LIMIT, "join", address)
            if wait:
                form.username.errors.append(_("Too many new accounts from this network in the last hour.") + " "
                                            + wait_in_words(wait))
                return render_template("auth/join.html", form=form, signed_in=signed_in), 429, \
                    {"Retry-After": str(wait)}
        with writing():
            classroom = accounts.classroom_by_code(db.session, form.code.data or "")
            if classroom is None:
                form.code.errors.append(_("No open class has that code. Check it with your teacher."))
            elif signed_in:
                outcome = accounts.join(db.session, current_user, classroom)
                db.session.commit()
                return joined(outcome, classroom.name)
            else:
                # looked up first only to spare a password hash; the unique key decides a race
                taken = accounts.find_user(db.session, form.username.data or "") is not None
                user = None if taken else accounts.create_user(db.session, form.username.data or "",
                                                               form.password.data or "")
                if user is None:
                    form.username.errors.append(_("That username is taken. Choose another, or sign in if it is "
                                                  "yours."))
                else:
                    accounts.join(db.session, user, classroom)
                    db.session.commit()
                    sign_in(user)
                    return joined("joined", classroom.name)
        db.session.rollback()
    return render_template("auth/join.html", form=form, signed_in=signed_in)


def joined(outcome: str, name: str):  # type: ignore[no-untyped-def]
    messages = {"joined": _("You joined %(name)s.", name=name),
                "already": _("You are already in %(name)s.", name=name),
                "removed": _("Your teacher removed you from %(name)s. Ask them if this is a mistake.", name=name)}
    flash(messages[outcome], "info" if outcome != "removed" else "error")
    return redirect(url_for("learn.index"))


def timezone_form() -> TimezoneForm:
    from zoneinfo import available_timezones

    from wtforms.fields.choices import SelectChoice

    form = TimezoneForm(prefix="tz", timezone=current_user.timezone or "")
    form.timezone.choices = [SelectChoice("", _("The site's default"))] + [
        SelectChoice(name, name) for name in sorted(available_timezones()) if "/" in name or name == "UTC"]
    return form


@bp.post("/account/timezone")
@login_required
def set_timezone():  # type: ignore[no-untyped-def]
    if not current_user.is_instructor:
        abort(404)
    form = timezone_form()
    form.timezone.validators = []  # "" (the default) is a valid choice
    if form.validate_on_submit():
        with writing():
            user = account_row()
            user.timezone = form.timezone.data or None
            db.session.commit()
        flash(_("Times are now shown in %(zone)s.", zone=form.timezone.data or _("the site's default")), "info")
    else:
        flash(_("Choose a time zone from the list."), "error")
    return redirect(url_for("auth.account"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():  # type: ignore[no-untyped-def]
    form = PasswordForm()
    if form.validate_on_submit():
        if accounts.authenticate(db.session, current_user.username, form.current.data or "") is None:
            form.current.errors.append(_("That is not your current password."))
        else:
            with writing():
                user = account_row()
                accounts.set_password(user, form.password.data or "")
                db.session.commit()
            sign_in(user)
            flash(_("Your password is changed. Other devices signed in as you are signed out."), "info")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form,
                           zone=timezone_form() if current_user.is_instructor else None)


@bp.route("/reset", methods=["GET", "POST"])
def reset():  # type: ignore[no-untyped-def]
    """A learner sets a new password with the one-time code their teacher made."""
    form = ResetForm()
    if form.validate_on_submit():
        username, address = accounts.normalise_username(form.username.data or ""), request.remote_addr or "-"
        wait = limits().reserve(SIGN_IN_PAIR, "reset", username, address)
        if wait:
            flash(_("Too many wrong codes for this account from this device or network.") + " " + wait_in_words(wait),
                  "error")
            return render_template("auth/reset.html", form=form), 429, {"Retry-After": str(wait)}
        with writing():
            user = accounts.use_reset_code(db.session, form.username.data or "", form.code.data or "",
                                           form.password.data or "")
            if user is None:
                db.session.rollback()
                form.code.errors.append(_("That code does not work for this username: it may be mistyped, used "
                                          "already or older than 24 hours. Ask your teacher for a new one."))
            else:
                db.session.commit()
                limits().release(SIGN_IN_PAIR, "reset", username, address)
                sign_in(user)
                flash(_("Your new password is set."), "info")
                return redirect(url_for("learn.index"))
    return render_template("auth/reset.html", form=form)
