"""Officers' pages of the school (blueprint ``school_admin``): the courses waiting to be published, publishing and
unpublishing; administrators revoke certificates."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic import policy
from civic.errors import RuleViolation
from civic.web import attempt
from skills_school import certificates, courses, forms, pages

bp = Blueprint("school_admin", __name__, url_prefix="/school")


@bp.get("/review")
@login_required
def review():
    policy.require(current_user, "school.publish")
    return render_template("skills_school/review.html", queue=pages.review_queue(),
                           action_form=forms.ActionForm(formdata=None))


def _decide(course_id: int, act, message: str):
    policy.require(current_user, "school.publish")
    course = courses.get_course(current_user, course_id)
    if forms.ActionForm().validate_on_submit():
        try:
            act(current_user, course)
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash(message, "success")
    return redirect(url_for("school.course", course_id=course.id))


@bp.post("/courses/<int:course_id>/publish")
@login_required
def publish(course_id: int):
    return _decide(course_id, courses.publish_course, _("The course is published."))


@bp.post("/courses/<int:course_id>/unpublish")
@login_required
def unpublish(course_id: int):
    return _decide(course_id, courses.unpublish_course, _("The course is back to a draft."))


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@login_required
def revoke(code: str):
    policy.require(current_user, "school.revoke")
    cert = certificates.by_code(code)
    form = forms.RevokeForm()
    ok, _r = attempt(form, lambda: certificates.revoke(current_user, cert, form.reason.data))
    if ok:
        flash(_("The certificate is revoked. Its verification page says so."), "success")
        return redirect(url_for("school.certificate", code=cert.code))
    return render_template("skills_school/revoke.html", form=form, certificate=cert)
