"""The tenant's evidence pack (:mod:`citizen_sensing.evidence`) on the public blueprint: the printable page, its
CSV file (the digest on the page is this file's) and, when Chromium is installed, the same page as a PDF."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen_sensing import damp, evidence, forms, pdf
from citizen_sensing.views import bp
from civic.errors import RuleViolation
from civic.exports import attachment
from civic.extensions import limiter
from civic.web import form_error


def _period(form: forms.EvidenceForm, device) -> evidence.Period | None:
    """The period asked for (the default one when nothing is asked), or None with the errors beside the fields."""
    asked = any(k in request.args for k in ("start", "end", "as_of"))
    if not asked:
        period = evidence.default_period(device)
        form.start.data, form.end.data = period.first, period.last
        return period
    form.validate()
    try:
        as_of = evidence.parse_as_of(request.args.get("as_of"))
    except RuleViolation as e:
        form_error(form, e)
        as_of = None
    if form.errors:
        return None
    try:
        return evidence.check_period(form.start.data, form.end.data, as_of)
    except RuleViolation as e:
        form_error(form, e)
        return None


def _csv_period(device) -> evidence.Period:
    """The CSV and the PDF take the pack's own link: a bad one is a 400, not a page."""
    form = forms.EvidenceForm(request.args)
    period = _period(form, device) if all(k in request.args for k in ("start", "end", "as_of")) else None
    if period is None:
        abort(400, description=next(iter(e for errs in form.errors.values() for e in errs),
                                    "Give start, end and as_of as the pack's link does."))
    return period


@bp.get("/devices/<int:device_id>/evidence")
@login_required
def evidence_pack(device_id: int):
    device = evidence.get_device(current_user, device_id)
    form = forms.EvidenceForm(request.args)
    if not damp.applies_to(device):
        return render_template("citizen_sensing/evidence.html", device=device, form=None, pack=None)
    period = _period(form, device)
    pack = evidence.make(current_user, device, period) if period is not None else None
    status = 200 if period is not None else 400
    return render_template("citizen_sensing/evidence.html", device=device, form=form, pack=pack,
                           pdf=pdf.available(), fmt=damp.fmt, thresholds=(damp.RAISED_RH, damp.MOULD_RH)), status


@bp.get("/devices/<int:device_id>/evidence.csv")
@login_required
def evidence_csv(device_id: int):
    device = evidence.get_device(current_user, device_id)
    evidence.require_damp_device(device)
    period = _csv_period(device)
    response = Response(stream_with_context(evidence.csv_lines(device, period)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    return attachment(response, evidence.file_name(device, period))


def _inline_css() -> str:
    """The site's own style sheets, put inline (the converter reads a file and fetches nothing)."""
    folder = Path(current_app.static_folder or "static") / "css"
    parts = [(folder / name).read_text(encoding="utf-8") for name in ("civic.css", "sensing.css")
             if (folder / name).exists()]
    return "\n".join(parts).replace("</", "<\\/")


#: Each PDF starts a headless Chromium: a person may make a few an hour, not a stream.
PDF_LIMIT = "12 per hour"


def _person_key() -> str:
    return f"sensing-pdf:{current_user.get_id()}"


@bp.get("/devices/<int:device_id>/evidence.pdf")
@login_required
@limiter.limit(PDF_LIMIT, key_func=_person_key)
def evidence_pdf(device_id: int):
    device = evidence.get_device(current_user, device_id)
    evidence.require_damp_device(device)
    if not pdf.available():
        abort(404, description=_("No PDF converter is installed: print the pack's page and choose Save as PDF."))
    period = _csv_period(device)
    pack = evidence.make(current_user, device, period)
    html = render_template("citizen_sensing/evidence_pdf.html", device=device, pack=pack, fmt=damp.fmt,
                           thresholds=(damp.RAISED_RH, damp.MOULD_RH), inline_css=_inline_css())
    try:
        data = pdf.html_to_pdf(html)
    except pdf.ConversionFailed:
        current_app.logger.exception("evidence pack PDF failed")
        abort(503, description=_("The PDF could not be made just now: print the page and choose Save as PDF."))
    response = Response(data, mimetype="application/pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return attachment(response, evidence.file_name(device, period).removesuffix(".csv") + ".pdf")
