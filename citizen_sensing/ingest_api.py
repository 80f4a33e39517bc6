"""Devices send readings here: a blueprint of its own under ``/api/sensing``, exempt from CSRF (no cookie is
involved), authenticated by the device's own token, never by a person's (docs/citizen-sensing.md).

The token is read from ``Authorization: Bearer <token>``, ``Authorization: <token>`` (openSenseMap's clients) or
HTTP basic authentication's password (Sensor.Community's "custom API" settings). Each route reads its format
(:mod:`citizen_sensing.formats`) and calls the one service, :func:`citizen_sensing.ingest.ingest`.

Answers: 201 when every item was stored or was already there; 207 when some were refused (the good ones are
kept, every item is answered); 422 naming the first refused item and its field when none was good; 400 for a
body that is not the format; 401 without a working device token; 403 for another device's address; 413 for more
than 2,500 readings or 1 MB; 429 (with Retry-After) past the device's rate limit.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from citizen_sensing import formats, ingest, services
from citizen_sensing.formats import FormatError, Parsed
from citizen_sensing.models import Device
from civic.db import after_rollback, db
from civic.errors import DomainError, PermissionDenied
from civic.extensions import csrf, limiter
from civic.web import json_error

PREFIX = "/api/sensing"
#: openSenseMap's paths live under this prefix (``<prefix>/boxes/<box id>/data``).
OSEM_PREFIX = PREFIX + "/osem"

bp = Blueprint("sensing_ingest", __name__, url_prefix=PREFIX)
csrf.exempt(bp)


class NoDevice(DomainError):
    status_code = 401
    code = "not_signed_in"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


def presented_token() -> str | None:
    header = (request.headers.get("Authorization") or "").strip()
    if not header:
        return None
    scheme, _sep, rest = header.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return decoded.partition(":")[2] or None
    return header if " " not in header else None


def rate_key() -> str:
    token = presented_token()
    return f"sensing-device:{services.digest(token)[:24]}" if token else f"sensing-address:{request.remote_addr}"


def _rate() -> str:
    return current_app.config.get("SENSING_INGEST_RATE_LIMIT", "60 per minute")


device_limit = limiter.limit(_rate, key_func=rate_key)


def device() -> Device:
    found = services.authenticate(presented_token())
    if found is None:
        raise NoDevice(_("Send the device's own ingest token: Authorization: Bearer civicdev_... (a person's API "
                         "token does not work here)."), field="Authorization")
    g.sensing_device = found
    return found


def own(found: Device, box_id: str) -> None:
    if box_id != found.public_key:
        raise PermissionDenied(_("This token belongs to another device: a device writes only to its own address."),
                          field="Authorization")


def body() -> bytes:
    if request.content_length is not None and request.content_length > ingest.MAX_BYTES:
        raise TooLarge(_("At most 1 MB a request. Send the readings in smaller batches."))
    data = request.stream.read(ingest.MAX_BYTES + 1)
    if len(data) > ingest.MAX_BYTES:
        raise TooLarge(_("At most 1 MB a request. Send the readings in smaller batches."))
    if not data.strip():
        raise FormatError(_("The request has no body: send the readings."), field="body")
    return data


def json_body(data: bytes) -> Any:
    try:
        return current_app.json.loads(data)
    except BadRequest as error:
        raise FormatError(error.description or _("The JSON could not be read."), field="body") from None
    except (ValueError, RecursionError):
        raise FormatError(_("The body is not JSON that can be read (broken JSON, or not UTF-8)."),
                          field="body") from None


def is_csv() -> bool:
    return request.mimetype in ("text/csv", "text/plain", "application/csv")


def answer(found: Device, parsed: Parsed, source: str):
    if not parsed.items:
        raise FormatError(_("Send at least one reading."), field="readings")
    result = ingest.ingest(found, parsed.items, source=source)
    body_ = {"device": found.public_key, **result.as_json()}
    body_["notes"] = parsed.notes + body_["notes"]
    if result.accepted or result.duplicates:
        status = 207 if result.rejected else 201
        return jsonify(body_), status
    first = result.first_rejection()
    # Nothing was good: the request is refused (and rolled back), so its refused items are kept afterwards.
    after_rollback(_keep_rejections, found.id, [o.as_json() | {"raw": o.raw} for o in result.outcomes
                                                if o.status == "rejected"], source)
    return json_error(_("Item %(item)s: %(reason)s", item=first.item, reason=first.reason), 422, first.field,
                      code="validation_failed", item=first.item, **{k: body_[k] for k in
                                                                   ("accepted", "duplicates", "rejected", "notes",
                                                                    "items")})


def _keep_rejections(device_id: int, rejected: list[dict[str, Any]], source: str) -> None:
    from sqlalchemy import insert

    from citizen_sensing.models import Rejection
    from civic.db import utcnow
    now = utcnow()
    db.session.execute(insert(Rejection), [
        {"device_id": device_id, "received_at": now, "source": source, "item": r["item"][:40], "field": r["field"],
         "reason": (r["reason"] or "")[:300], "raw": r["raw"]} for r in rejected[:ingest.REJECTIONS_KEPT]])
    db.session.commit()


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    response, status = json_error(error.message, error.status_code, error.field, code=error.code)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="civic-devices"'
    return response, status


# Our own formats --------------------------------------------------------------------------------------------


@bp.post("/readings")
@device_limit
def readings():
    """Our JSON batch ``{"readings": [...]}``, or our CSV (``Content-Type: text/csv``, header row)."""
    found = device()
    data = body()
    if is_csv():
        parsed = formats.ours_csv(found, formats.read_text(data))
        return answer(found, parsed, "csv")
    return answer(found, formats.ours_json(found, json_body(data)), "json")


# openSenseMap -----------------------------------------------------------------------------------------------


@bp.post("/osem/boxes/<box_id>/data")
@device_limit
def osem_data(box_id: str):
    """openSenseMap's ``POST /boxes/:senseBoxId/data``: the JSON array, the JSON object or the CSV."""
    found = device()
    own(found, box_id)
    data = body()
    if is_csv():
        return answer(found, formats.osem_csv(found, formats.read_text(data)), "osem")
    return answer(found, formats.osem_json(found, json_body(data)), "osem")


@bp.post("/osem/boxes/<box_id>/<sensor_id>")
@device_limit
def osem_sensor(box_id: str, sensor_id: str):
    """openSenseMap's ``POST /boxes/:senseBoxId/:sensorId``: one value."""
    found = device()
    own(found, box_id)
    return answer(found, formats.osem_single(found, sensor_id, json_body(body())), "osem")


# Sensor.Community and Smart Citizen -------------------------------------------------------------------------


@bp.post("/airrohr")
@device_limit
def airrohr():
    """Sensor.Community's airrohr firmware, "Send to own API" (headers X-Sensor and X-MAC-ID are read but the
    device is the token's)."""
    found = device()
    return answer(found, formats.airrohr(found, json_body(body())), "airrohr")


@bp.post("/smartcitizen")
@device_limit
def smart_citizen():
    """Smart Citizen kit's JSON ``{"data": [...]}``, or its SD card's CSV (``Content-Type: text/csv``)."""
    found = device()
    data = body()
    if is_csv():
        return answer(found, formats.smart_citizen_csv(found, formats.read_text(data)), "smartcitizen")
    return answer(found, formats.smart_citizen_json(found, json_body(data)), "smartcitizen")
