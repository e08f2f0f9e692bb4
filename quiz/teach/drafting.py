"""Draft from an article, on the web: an instructor pastes an article and downloads the draft
set file `quiz draft` would write, behind the same licence note (the model's notice)."""
from __future__ import annotations

import click
from flask import Response, render_template
from flask_babel import gettext as _

from ..draft import Suggester, draft_set, licence_note
from .forms import DraftForm
from .routes import bp, instructor_required


@bp.route("/sets/draft", methods=["GET", "POST"])
@instructor_required
def draft():  # type: ignore[no-untyped-def]
    form = DraftForm(prefix="draft")
    if form.validate_on_submit():
        suggester = Suggester.best_available()
        try:
            text = draft_set(form.article.data, title=form.title.data or None, suggester=suggester,
                             source_name="an article pasted on the web")
        except click.UsageError:  # the one refusal draft_set makes: nothing readable in the paste
            form.article.errors = [*form.article.errors, _("The article has no text to draft from: paste "
                                                           "the article's words, not only its markup.")]
        else:
            set_id = text.split('\nid: "', 1)[1].split('"', 1)[0]
            return Response(text, mimetype="application/yaml",
                            headers={"Content-Disposition": f'attachment; filename="{set_id}.yaml"',
                                     "Cache-Control": "no-store"})
    return render_template("teach/draft.html", form=form, notice=licence_note()), (422 if form.errors else 200)
