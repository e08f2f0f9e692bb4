"""The live mode's forms: plain HTML forms with CSRF (answers use the question macros' inputs)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from .service import TIMER_CHOICES


class StartForm(FlaskForm):
    # its own id: the class page also holds the assign form, whose field has the same name
    set_id = SelectField(_l("Set to run live"), validators=[DataRequired()], id="live-set")
    submit = SubmitField(_l("Start live session"))


def timer_choices() -> list[SelectChoice]:
    return [SelectChoice(str(s), _l("No timer") if not s else _l("%(s)s seconds", s=s)) for s in TIMER_CHOICES]


class OpenForm(FlaskForm):
    """Opens the next question; `version` is the state the instructor saw, so a double click opens one."""
    version = HiddenField()
    seconds = SelectField(_l("Timer"), default="0")
    submit = SubmitField(_l("Open the question"))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.seconds.choices = timer_choices()
