"""A campaign's report: Markdown (sanitised by ``civic.text``) with charts of the campaign's own data, written as
shortcodes on a line of their own::

    Humidity stayed high all month:

    {{chart quantity=relative_humidity period=2026-11}}

``quantity`` is the key of one of the campaign's quantities; ``period`` is a month (``2026-11``: a mean per day),
a day (``2026-11-20``: a mean per hour) or a range (``2026-11-01..2026-11-14``: per hour up to 7 days, per day
up to 366). Times are UTC days, as the aggregates are. Each chart is drawn on the server (an SVG) with its figures
as a table, from the aggregates of the campaign's own devices only; nothing the author writes reaches the page
unescaped. A shortcode that cannot be drawn (an unknown name or parameter, a quantity the campaign does not
measure, a bad period) is shown to the author as a message in its place, and the report cannot be published
until it is right; readers would only see "This chart is not available" (should the data change later).
A shortcode inside a code block, or in the middle of a sentence, is left as text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select

from citizen_sensing.models import Aggregate, Campaign, Device, Quantity, Sensor
from citizen_sensing.pages import Series, svg_points
from civic.db import db
from civic.text import render_markdown

#: Charts a report may hold (each is one query).
MAX_CHARTS = 12
#: A report's length, in characters.
BODY_MAX = 50_000
WEEK = 7
YEAR = 366

_LINE = re.compile(r"^([ \t]*)\{\{(.*?)\}\}[ \t]*$", re.MULTILINE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
PARAMETERS = ("quantity", "period")


class ShortcodeError(ValueError):
    """A shortcode that cannot be drawn, with the message for its author."""


@dataclass(frozen=True)
class Chart:
    quantity: Quantity
    period: str  # "hour" or "day"
    start: datetime
    end: datetime  # excluded
    label: str  # the period as written


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ShortcodeError(_("“%(value)s” is not a date: write it as 2026-11-20.", value=text)) from None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _period(text: str) -> tuple[str, datetime, datetime]:
    if month := _MONTH.match(text):
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12 or not 1 <= year <= 9998:
            raise ShortcodeError(_("“%(value)s” is not a month: write it as 2026-11.", value=text))
        start = datetime(year, number, 1, tzinfo=UTC)
        end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        return "day", start, end
    if _DAY.match(text):
        start = _midnight(_day(text))
        return "hour", start, start + timedelta(days=1)
    if span := _RANGE.match(text):
        first, last = _day(span.group(1)), _day(span.group(2))
        if last < first:
            raise ShortcodeError(_("The period “%(value)s” ends before it starts.", value=text))
        days = (last - first).days + 1
        if days > YEAR:
            raise ShortcodeError(_("A chart covers at most %(n)d days.", n=YEAR))
        return ("hour" if days <= WEEK else "day"), _midnight(first), _midnight(last) + timedelta(days=1)
    raise ShortcodeError(_("Write the period as a month (2026-11), a day (2026-11-20) or a range "
                           "(2026-11-01..2026-11-14)."))


def parse(campaign: Campaign, inside: str) -> Chart:
    """The chart a shortcode (the text between the braces) asks for, or :class:`ShortcodeError`. No query."""
    words = inside.split()
    if not words:
        raise ShortcodeError(_("This shortcode is empty. Write {{chart quantity=… period=…}}."))
    name, *pairs = words
    if name != "chart":
        raise ShortcodeError(_("“%(name)s” is not a shortcode this site knows. Write {{chart quantity=… period=…}}.",
                               name=name[:40]))
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in PARAMETERS:
            raise ShortcodeError(_("A chart takes quantity=… and period=… only, not “%(pair)s”.", pair=pair[:40]))
        if key in values:
            raise ShortcodeError(_("Give %(key)s once.", key=key))
        values[key] = value.strip("\"'")
    if "quantity" not in values:
        raise ShortcodeError(_("Say which quantity: quantity=%(keys)s.",
                               keys=" | ".join(q.key for q in campaign.quantities)))
    quantity = next((q for q in campaign.quantities if q.key == values["quantity"]), None)
    if quantity is None:
        raise ShortcodeError(_("This campaign does not measure “%(value)s”. Choose one of: %(keys)s.",
                               value=values["quantity"][:40], keys=", ".join(q.key for q in campaign.quantities)))
    if "period" not in values:
        raise ShortcodeError(_("Say which period: period=2026-11, for example."))
    period, start, end = _period(values["period"])
    return Chart(quantity, period, start, end, values["period"])


def series(campaign: Campaign, chart: Chart) -> Series:
    """The chart's figures from the aggregates of the campaign's own devices: one query."""
    rows = db.session.execute(
        select(Aggregate.starts_at, func.sum(Aggregate.sum_value), func.sum(Aggregate.count),
               func.min(Aggregate.min_value), func.max(Aggregate.max_value))
        .join(Sensor, Sensor.id == Aggregate.sensor_id).join(Device, Device.id == Sensor.device_id)
        .where(Device.campaign_id == campaign.id, Sensor.quantity_id == chart.quantity.id,
               Aggregate.period == chart.period, Aggregate.starts_at >= chart.start, Aggregate.starts_at < chart.end)
        .group_by(Aggregate.starts_at).order_by(Aggregate.starts_at)).all()
    return Series(chart.quantity, chart.period, [(start, float(total) / int(count), low, high, int(count))
                                                 for start, total, count, low, high in rows if count])


@dataclass
class Rendered:
    html: Markup
    errors: list[str] = field(default_factory=list)
    charts: int = 0


def _chart_html(campaign: Campaign, chart: Chart, number: int) -> Markup:
    found = series(campaign, chart)
    html = render_template("citizen_sensing/_report_chart.html", chart=chart, series=found, number=number,
                           svg=svg_points([(p[0], p[1]) for p in found.points]))
    return Markup(html)  # noqa: S704 - our own template, autoescaped


def render(campaign: Campaign, source: str | None, *, author: bool = False) -> Rendered:
    """The report as HTML: the Markdown sanitised, each shortcode on a line of its own drawn as its chart.
    ``author``: errors are shown in place (and listed); otherwise a neutral line stands in for a chart that
    cannot be drawn. At most :data:`MAX_CHARTS` queries."""
    source = (source or "").replace("\r\n", "\n").replace("\r", "\n")  # a browser's form sends CRLF
    codes: list[str] = []
    tag = "CIVICCHART" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def hold(match: re.Match) -> str:
        codes.append(match.group(0).strip())
        return f"\n{match.group(1)}{tag}X{len(codes) - 1}X\n"  # a paragraph of its own

    html = str(render_markdown(_LINE.sub(hold, source)))
    result = Rendered(Markup(""))
    for n, original in enumerate(codes):
        token = f"{tag}X{n}X"
        block = f"<p>{token}</p>"
        if block in html:
            try:
                if result.charts >= MAX_CHARTS:
                    raise ShortcodeError(_("A report holds at most %(n)d charts.", n=MAX_CHARTS))
                chart = parse(campaign, original.strip()[2:-2])
                result.charts += 1
                piece = _chart_html(campaign, chart, result.charts)
            except ShortcodeError as e:
                result.errors.append(f"{original[:80]}: {e}")
                piece = (Markup('<p class="error-message report-error"><strong>{}</strong> {} <code>{}</code></p>')
                         .format(_("This chart cannot be drawn:"), str(e), original[:200]) if author else
                         Markup('<p class="muted">{}</p>').format(_("This chart is not available.")))
            html = html.replace(block, str(piece), 1)
        html = html.replace(token, str(escape(original)))  # in a code block: the text as written
    result.html = Markup(html)  # noqa: S704 - sanitised Markdown and our own escaped template output
    return result
