"""The instructor's forms. Each is a plain HTML form with CSRF, validated here."""
from __future__ import annotations

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError


class UploadForm(FlaskForm):
    file = FileField(_l("Set file (.yaml)"), validators=[FileRequired(_l("Choose a set file to upload."))])
    submit = SubmitField(_l("Check and upload"))


class DraftForm(FlaskForm):
    """Draft from an article: pasted text in, a draft set file out (quiz.draft)."""
    article = TextAreaField(_l("Article text (plain text, one paragraph a line)"),
                            validators=[DataRequired(_l("Paste the article's text first.")),
                                        Length(max=100_000, message=_l("An article holds at most 100,000 characters: "
                                                                       "draft a long one in parts."))])
    title = StringField(_l("Set title (optional: else the article's first line)"), validators=[Optional(), Length(max=200)])
    licence = BooleanField(_l("I have read the note above: the suggestions are for non-commercial teaching use"),
                           validators=[DataRequired(_l("Tick the box to confirm you have read the licence note."))])
    submit = SubmitField(_l("Draft the set file"))


class ClassForm(FlaskForm):
    name = StringField(_l("Class name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Save"))


class NewClassForm(ClassForm):
    # a fresh random key in each form shown: the same form sent twice makes one class
    form_key = HiddenField(default=lambda: secrets.token_urlsafe(24), validators=[Optional(), Length(max=64)])


class CoTeacherForm(FlaskForm):
    username = StringField(_l("Co-teacher's username"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Add co-teacher"))


class ActionForm(FlaskForm):
    """A button that does one thing (archive, regenerate a code, confirm a removal...)."""
    submit = SubmitField(_l("Confirm"))


FIRST_YEAR, LAST_YEAR = 2000, 2100  # dates outside are typos; far ones overflow time zone arithmetic


def sane_year(_form: FlaskForm, field) -> None:  # type: ignore[no-untyped-def]
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_("Choose a date between the years %(first)s and %(last)s.",
                                first=FIRST_YEAR, last=LAST_YEAR))


class AssignForm(FlaskForm):
    set_id = SelectField(_l("Set"), validators=[DataRequired()])
    feedback = RadioField(_l("Feedback"), choices=[SelectChoice("immediate", _l("After each question")),
                                                   SelectChoice("after", _l("After the whole attempt"))],
                          default="immediate")
    attempts_allowed = IntegerField(_l("Attempts allowed (leave empty for unlimited)"),
                                    validators=[Optional(), NumberRange(min=1, max=100)])
    counts = RadioField(_l("Which attempt counts"), choices=[SelectChoice("best", _l("Best")), SelectChoice("last", _l("Last")),
                                                             SelectChoice("first", _l("First"))], default="best")
    opens_at = DateTimeLocalField(_l("Opens (your time zone; empty: now)"), format="%Y-%m-%dT%H:%M",
                                  validators=[Optional(), sane_year])
    closes_at = DateTimeLocalField(_l("Closes (your time zone; empty: never)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional(), sane_year])
    shuffle = BooleanField(_l("Shuffle the order of questions (options are always shuffled)"))
    submit = SubmitField(_l("Assign"))
