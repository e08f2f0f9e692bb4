"""Error pages people can act on: what went wrong and what to do next."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(404)
def not_found(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("Page not found"),
                           reason=_("There is nothing here, or it is not yours to see. Check the address, "
                                    "or go back to the start page.")), 404


@bp.app_errorhandler(CSRFError)
def form_expired(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("This form has expired"),
                           reason=_("Nothing was saved. Go back, reload the page and send the form again.")), 400


@bp.app_errorhandler(400)
def bad_request(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("That request could not be read"),
                           reason=_("Nothing was saved. Go back, reload the page and try again.")), 400


@bp.app_errorhandler(405)
def wrong_method(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("Not here"),
                           reason=_("This address does not take that kind of request.")), 405


@bp.app_errorhandler(413)
def too_large(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("Too large"),
                           reason=_("Nothing was saved: that was larger than this site accepts. A set file may be "
                                    "at most 1 MB; make it smaller or split it into two sets.")), 413


@bp.app_errorhandler(500)
def server_error(_error):  # type: ignore[no-untyped-def]
    return render_template("errors/error.html", title=_("Something went wrong on our side"),
                           reason=_("Your earlier answers are saved. Wait a moment and try again.")), 500
