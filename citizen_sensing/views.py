"""Citizen sensing's public pages (blueprint ``citizen_sensing`` at /sensing): campaigns, proposing one,
joining, registering devices, the owner's device page with its token, a manual reading and a CSV upload with a
preview. Officers' decisions are in :mod:`citizen_sensing.admin_views`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen_sensing import damp, forms, ingest, pages, services
from citizen_sensing.formats import FormatError, read_text, sniff_csv
from citizen_sensing.policy import organises, participates
from civic.comments import services as comments
from civic.errors import DomainError, RuleViolation
from civic.web import attempt, flash_domain_error, form_error, page_arg

bp = Blueprint("citizen_sensing", __name__, url_prefix="/sensing")
LONDON = ZoneInfo("Europe/London")


@bp.get("/")
def index():
    return render_template("citizen_sensing/index.html", page=pages.campaign_list(page_arg()),
                           may_propose=services.groups_organised(current_user) if current_user.is_authenticated
                           else [])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = forms.CampaignForm()
    groups = services.groups_organised(current_user)
    form.group.choices = [(g_.id, g_.name) for g_ in groups]
    form.quantities.choices = [(q.id, f"{q.name} ({q.unit})") for q in services.quantities()]
    form.wards.choices = [(w.id, w.name) for w in services.wards()]
    if not groups:
        return render_template("citizen_sensing/new.html", form=None), 403
    ok, campaign = attempt(form, lambda: services.propose_campaign(current_user, services.CampaignInput(
        title=form.title.data, purpose=form.purpose.data, group_id=form.group.data,
        quantity_ids=list(form.quantities.data or []), ward_ids=list(form.wards.data or []),
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, licence=form.licence.data,
        join_mode=form.join_mode.data, join_code=form.join_code.data or "")))
    if ok:
        flash(_("Your campaign is proposed. It becomes public once a council officer approves it."), "success")
        return redirect(url_for(".show", slug=campaign.slug))
    return render_template("citizen_sensing/new.html", form=form)


@bp.get("/<slug>")
def show(slug: str):
    campaign = services.get_campaign(current_user, slug)
    range_key = request.args.get("range") if request.args.get("range") in pages.RANGES else "week"
    series = pages.chart(campaign, range_key)
    view = pages.campaign_view(campaign, pages.newest_hour(series))
    thread = comments.thread("sensing_campaign", campaign.id, current_user, order=request.args.get("order", "oldest"))
    charts = [(s, pages.svg_points([(p[0], p[1]) for p in s.points])) for s in series]
    return render_template("citizen_sensing/show.html", view=view, campaign=campaign, charts=charts,
                           range_key=range_key, ranges=list(pages.RANGES), join_form=forms.JoinForm(),
                           decision_form=forms.DecisionForm(), flag_form=forms.FlagForm(),
                           organiser=organises(current_user, campaign),
                           joined=participates(current_user, campaign), status_labels=pages.STATUS_LABELS,
                           thread=thread, series_data=pages.series_data,
                           damp_risk=damp.campaign_risk(campaign) if damp.measures_damp(campaign) else None,
                           thresholds=(damp.RAISED_RH, damp.MOULD_RH))


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    campaign = services.get_campaign(current_user, slug)
    form = forms.JoinForm()
    try:
        services.join(current_user, campaign, form.code.data or "")
        flash(_("You joined the campaign. Now register your device."), "success")
        return redirect(url_for(".new_device", slug=slug))
    except DomainError as e:
        flash_domain_error(e)
        return redirect(url_for(".show", slug=slug))


def _sensor_ids(text: str | None) -> dict[str, str]:
    ids = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and value.strip():
            ids[key.strip()] = value.strip()
    return ids


@bp.route("/<slug>/devices/new", methods=["GET", "POST"])
@login_required
def new_device(slug: str):
    campaign = services.get_campaign(current_user, slug)
    form = forms.DeviceForm()
    form.ward.choices = [(0, _("Choose a ward"))] + [(w.id, w.name) for w in services.wards()]
    form.quantities.choices = [(q.id, f"{q.name} ({q.unit})") for q in campaign.quantities]
    if request.method == "GET" and not form.quantities.data:
        form.quantities.data = [q.id for q in campaign.quantities]
    refusal = None if participates(current_user, campaign) else _("Join the campaign before you register a device.")
    if refusal:
        return render_template("citizen_sensing/device_form.html", form=None, campaign=campaign, refusal=refusal), 403

    def register():
        ids = _sensor_ids(form.sensor_ids.data)
        keys = {q.id: q.key for q in campaign.quantities}
        sensors = [(qid, form.model.data or "", ids.get(keys.get(qid, ""), "")) for qid in form.quantities.data or []]
        return services.register_device(current_user, campaign, services.DeviceInput(
            name=form.name.data, kind=form.kind.data, setting=form.setting.data, privacy=form.privacy.data,
            ward_id=form.ward.data or None, latitude=form.latitude.data, longitude=form.longitude.data,
            sensors=sensors))

    ok, made = attempt(form, register)
    if ok:
        device, token = made
        return _token_page(device, token, created=True)
    return render_template("citizen_sensing/device_form.html", form=form, campaign=campaign, refusal=None)


def _token_page(device, token: str, *, created: bool = False):
    g.private_page = True
    return render_template("citizen_sensing/token.html", device=device, token=token, created=created)


@bp.get("/devices/<int:device_id>")
@login_required
def device(device_id: int):
    found = services.get_device(current_user, device_id)
    view = pages.device_view(found)
    day = _day(request.args.get("day")) or (found.last_seen_at or datetime.now(UTC)).date()
    damp_summary = None
    if damp.applies_to(found):  # damp and mould: the last 30 days, from the hourly aggregates
        start, end, _first, _last = damp.recent_window(found)
        damp_summary = damp.summary(found, start, end)
    return render_template("citizen_sensing/device.html", view=view, device=found,
                           owner=found.owner_id == current_user.id, status_labels=pages.STATUS_LABELS,
                           day=day, day_charts=pages.device_day(found, day), one_day=timedelta(days=1),
                           damp_summary=damp_summary, damp_charts=damp.charts(damp_summary) if damp_summary else None,
                           fmt=damp.fmt, thresholds=(damp.RAISED_RH, damp.MOULD_RH))


def _day(raw: str | None) -> date | None:
    """``?day=2026-11-20`` (anything else: the default day)."""
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


@bp.post("/devices/<int:device_id>/token")
@login_required
def rotate_token(device_id: int):
    found = services.get_device(current_user, device_id, "sensing.own_device")
    try:
        token = services.rotate_token(current_user, found)
    except DomainError as e:
        flash_domain_error(e)
        return redirect(url_for(".device", device_id=device_id))
    return _token_page(found, token)


@bp.post("/devices/<int:device_id>/revoke")
@login_required
def revoke_token(device_id: int):
    found = services.get_device(current_user, device_id, "sensing.own_device")
    services.revoke_token(current_user, found)
    flash(_("The token is revoked: the device can send nothing until you make a new one."), "success")
    return redirect(url_for(".device", device_id=device_id))


@bp.post("/devices/<int:device_id>/retire")
@login_required
def retire(device_id: int):
    found = services.get_device(current_user, device_id, "sensing.own_device")
    services.retire(current_user, found)
    flash(_("The device is retired. Its readings stay published."), "success")
    return redirect(url_for(".device", device_id=device_id))


def _when(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RuleViolation(_("Give the time as 2026-11-20 08:15."), field="measured_at") from None
    return value.replace(tzinfo=LONDON).astimezone(UTC) if value.tzinfo is None else value.astimezone(UTC)


@bp.route("/devices/<int:device_id>/reading", methods=["GET", "POST"])
@login_required
def reading(device_id: int):
    found = services.get_device(current_user, device_id, "sensing.own_device")
    form = forms.ReadingForm()
    form.sensor.choices = [(s.id, f"{s.quantity.name} ({s.quantity.unit})") for s in found.sensors]

    def add():
        if found.retired_at is not None:
            raise RuleViolation(_("This device is retired: it takes no more readings."))
        sensor = next((s for s in found.sensors if s.id == form.sensor.data), None)
        if sensor is None:
            raise RuleViolation(_("Choose one of the device's sensors."), field="sensor")
        result = ingest.ingest(found, [ingest.Item("form", sensor, form.value.data, _when(form.measured_at.data))],
                               source="form")
        outcome = result.outcomes[0]
        if outcome.status == "rejected":
            raise RuleViolation(outcome.reason, field={"value": "value", "timestamp": "measured_at"}.get(
                outcome.field or "", "value"))
        return outcome

    ok, outcome = attempt(form, add)
    if ok:
        flash(_("The reading is saved.") if outcome.status == "accepted" else
              _("That reading was saved already."), "success")
        return redirect(url_for(".device", device_id=device_id))
    return render_template("citizen_sensing/reading.html", form=form, device=found)


@bp.route("/devices/<int:device_id>/upload", methods=["GET", "POST"])
@login_required
def upload(device_id: int):
    """The CSV upload: a preview of what will be imported and what will be rejected, nothing written yet."""
    found = services.get_device(current_user, device_id, "sensing.own_device")
    form = forms.UploadForm()
    result, text = None, None
    if form.validate_on_submit():
        file = form.file.data
        data = file.read(ingest.MAX_BYTES + 1) if file else b""
        try:
            if not data.strip():
                raise FormatError(_("Choose a CSV file."), field="file")
            if len(data) > ingest.MAX_BYTES:
                raise FormatError(_("The file is larger than 1 MB. Split it into smaller files."), field="file")
            text = read_text(data)
            result = ingest.preview(found, sniff_csv(text)(found, text).items)
        except DomainError as e:
            form_error(form, RuleViolation(e.message, field="file"))
            result, text = None, None
    return render_template("citizen_sensing/upload.html", form=form, device=found, result=result,
                           confirm=forms.ConfirmUploadForm(csv=text) if result and result.accepted else None)


@bp.post("/devices/<int:device_id>/upload/confirm")
@login_required
def confirm_upload(device_id: int):
    found = services.get_device(current_user, device_id, "sensing.own_device")
    form = forms.ConfirmUploadForm()
    text = form.csv.data or ""
    if not form.validate_on_submit() or not text.strip():
        flash(_("There was nothing to import. Choose the file again."), "error")
        return redirect(url_for(".upload", device_id=device_id))
    try:
        parsed = sniff_csv(text)(found, text)
        result = ingest.ingest(found, parsed.items, source="upload")
    except DomainError as e:
        flash_domain_error(e)
        return redirect(url_for(".upload", device_id=device_id))
    flash(_("Imported %(accepted)d readings (%(duplicates)d were there already, %(rejected)d rejected).",
            accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected), "success")
    return redirect(url_for(".device", device_id=device_id))

