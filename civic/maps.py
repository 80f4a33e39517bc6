"""The map kit, for every domain: points read from a form, where Westminster's wards are, and streamed GeoJSON.

With it come one Jinja macro, ``map`` in ``templates/_map.html`` (a map that shows points from a GeoJSON
address, one point, or lets a person pick a point into two form fields), and one script,
``static/js/map.js`` (Leaflet). Maps only enhance: every page that has one also says the same in words (a
list, the place's name), the map can be skipped, its pins are not in the tab order, and a point can be given
by typing its latitude and longitude, without JavaScript.

- :func:`parse_point` reads a latitude and longitude (both or neither, numbers, inside :data:`LONDON`) and
  refuses with a message naming the field.
- :data:`WARDS` holds each ward's centre and a bounding box drawn generously around it (hand-made from the
  2022 boundaries, good to a few hundred metres: enough to notice a point in the wrong place, never to
  refuse one). :func:`question_point` asks again when a point lies more than :data:`FAR_FROM_WARD_M`
  outside the chosen ward's box, until the person confirms it.
- :func:`feature` and :func:`stream_geojson` write a FeatureCollection as it is read, in constant memory;
  :func:`parse_bbox` reads a ``bbox`` filter (``minLon,minLat,maxLon,maxLat``), refusing with a 400 naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, stream_with_context
from flask_babel import gettext as _

from civic.errors import DomainError, RuleViolation

#: Metres per degree of latitude (and of longitude at the equator), near enough for a few kilometres.
M_PER_DEG = 111_320
#: A point further than this outside the chosen ward's box is questioned.
FAR_FROM_WARD_M = 1000


@dataclass(frozen=True)
class Bounds:
    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    def metres_outside(self, latitude: float, longitude: float) -> float:
        """How far the point is from the box (0 inside it)."""
        dy = max(self.south - latitude, 0.0, latitude - self.north) * M_PER_DEG
        dx = max(self.west - longitude, 0.0, longitude - self.east) * M_PER_DEG * math.cos(math.radians(latitude))
        return math.hypot(dx, dy)

    def as_list(self) -> list[list[float]]:
        """``[[south, west], [north, east]]``, as Leaflet reads bounds."""
        return [[self.south, self.west], [self.north, self.east]]


#: Greater London, generously: a point outside this box is a mistake (or not a London matter).
LONDON = Bounds(51.28, -0.52, 51.70, 0.34)
#: The City of Westminster, generously: where maps may wander.
WESTMINSTER = Bounds(51.478, -0.222, 51.545, -0.108)
#: Westminster's centre, where maps open.
CENTRE = (51.5145, -0.1575)


@dataclass(frozen=True)
class WardArea:
    name: str
    centre: tuple[float, float]
    bounds: Bounds


def _ward(name: str, centre: tuple[float, float], south: float, west: float, north: float,
          east: float) -> WardArea:
    return WardArea(name, centre, Bounds(south, west, north, east))


#: The 18 wards (2022 boundaries) by name: centre and a generous bounding box.
WARDS: dict[str, WardArea] = {w.name: w for w in (
    _ward("Abbey Road", (51.5340, -0.1810), 51.526, -0.194, 51.543, -0.166),
    _ward("Bayswater", (51.5125, -0.1895), 51.507, -0.201, 51.519, -0.180),
    _ward("Church Street", (51.5225, -0.1705), 51.517, -0.180, 51.530, -0.159),
    _ward("Harrow Road", (51.5265, -0.2035), 51.520, -0.215, 51.533, -0.190),
    _ward("Hyde Park", (51.5145, -0.1665), 51.508, -0.176, 51.521, -0.155),
    _ward("Knightsbridge & Belgravia", (51.4975, -0.1560), 51.490, -0.176, 51.506, -0.141),
    _ward("Lancaster Gate", (51.5110, -0.1790), 51.503, -0.189, 51.518, -0.165),
    _ward("Little Venice", (51.5225, -0.1850), 51.515, -0.195, 51.530, -0.174),
    _ward("Maida Vale", (51.5285, -0.1925), 51.521, -0.203, 51.536, -0.181),
    _ward("Marylebone", (51.5195, -0.1525), 51.513, -0.164, 51.526, -0.140),
    _ward("Pimlico North", (51.4920, -0.1430), 51.486, -0.152, 51.498, -0.133),
    _ward("Pimlico South", (51.4870, -0.1375), 51.481, -0.150, 51.492, -0.127),
    _ward("Queen's Park", (51.5305, -0.2085), 51.524, -0.220, 51.537, -0.196),
    _ward("Regent's Park", (51.5285, -0.1640), 51.520, -0.176, 51.537, -0.145),
    _ward("St James's", (51.5065, -0.1310), 51.496, -0.148, 51.515, -0.111),
    _ward("Vincent Square", (51.4945, -0.1335), 51.488, -0.143, 51.501, -0.123),
    _ward("West End", (51.5130, -0.1365), 51.505, -0.152, 51.521, -0.124),
    _ward("Westbourne", (51.5215, -0.1985), 51.514, -0.210, 51.528, -0.187),
)}


# Reading a point --------------------------------------------------------------------------------------------


def _number(raw: Any) -> str:
    return str(raw).strip() if raw is not None else ""


def parse_point(latitude: Any, longitude: Any, *, field: str = "latitude", bounds: Bounds = LONDON,
                where: str = "Greater London") -> tuple[float, float] | None:
    """A point from a form: both or neither, numbers, inside ``bounds``; rounded to 6 places (about 10 cm).

    Refuses with a :class:`RuleViolation` naming ``field``."""
    lat_raw, lng_raw = _number(latitude), _number(longitude)
    if not lat_raw and not lng_raw:
        return None
    if not lat_raw or not lng_raw:
        raise RuleViolation(_("Give both the latitude and the longitude of the point, or neither."), field=field)
    try:
        lat, lng = float(lat_raw), float(lng_raw)
    except ValueError:
        raise RuleViolation(_("The point on the map was not understood. Choose it again, or clear it. (A latitude "
                              "is a number like 51.5145, a longitude a number like -0.1575.)"), field=field) from None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise RuleViolation(_("The point on the map was not understood. Choose it again, or clear it."),
                            field=field)
    if not bounds.contains(lat, lng):
        raise RuleViolation(_("The point on the map is outside %(where)s. Choose a point in %(where)s, or clear "
                              "it.", where=where), field=field)
    return round(lat, 6), round(lng, 6)


def metres_outside_ward(point: tuple[float, float], ward_name: str) -> float | None:
    """How far the point lies outside the ward's box (0 inside it); None for a ward the kit does not know."""
    area = WARDS.get(ward_name)
    return None if area is None else area.bounds.metres_outside(*point)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The distance between two points, flat-earth (good to a metre over a few kilometres)."""
    dy = (a[0] - b[0]) * M_PER_DEG
    dx = (a[1] - b[1]) * M_PER_DEG * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def question_point(point: tuple[float, float] | None, ward_name: str, *, confirmed: bool,
                   field: str = "latitude") -> None:
    """Ask again about a point far outside the chosen ward, unless the person has confirmed it."""
    if point is None or confirmed:
        return
    outside = metres_outside_ward(point, ward_name)
    if outside is not None and outside > FAR_FROM_WARD_M:
        km = distance_m(point, WARDS[ward_name].centre) / 1000
        raise RuleViolation(_("This point is about %(km)s km from the middle of %(ward)s ward, well outside it. "
                              "Check the point and the ward; if both are right, tick “The point is right” and "
                              "save again.", km=f"{km:.1f}", ward=ward_name), field=field)


# GeoJSON ----------------------------------------------------------------------------------------------------


class BadBox(DomainError):
    """A ``bbox`` that is not one: 400, naming the parameter."""

    status_code = 400


def parse_bbox(raw: str | None, *, field: str = "bbox") -> Bounds | None:
    """A bounding box from a query string, in GeoJSON's order (RFC 7946, section 5): ``minLon,minLat,maxLon,maxLat``
    in degrees (WGS 84); None when not given. Four finite numbers, longitudes from -180 to 180, latitudes from -90
    to 90, each minimum at most its maximum (a box across the antimeridian is not one Westminster needs);
    otherwise :class:`BadBox` (400) naming ``field``."""
    if raw is None or not raw.strip():
        return None
    parts = raw.split(",")
    example = "-0.2,51.5,-0.1,51.55"
    try:
        if len(parts) != 4:
            raise ValueError
        west, south, east, north = (float(p.strip()) for p in parts)
    except ValueError:
        raise BadBox(_("“%(field)s” must be four numbers separated by commas: minLon,minLat,maxLon,maxLat "
                       "(for example %(example)s).", field=field, example=example), field=field) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
            -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadBox(_("“%(field)s” must hold longitudes from -180 to 180 and latitudes from -90 to 90.",
                       field=field), field=field)
    if west > east or south > north:
        raise BadBox(_("“%(field)s” is minLon,minLat,maxLon,maxLat: each minimum must not be above its maximum.",
                       field=field), field=field)
    return Bounds(south, west, north, east)


def feature(fid: Any, latitude: float, longitude: float, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON point feature (GeoJSON puts the longitude first)."""
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": properties}


def geojson_chunks(features: Iterable[dict[str, Any]], *, limit: int | None = None,
                   meta: dict[str, Any] | None = None) -> Iterator[str]:
    """A FeatureCollection written as it is read, at most ``limit`` features; ``truncated`` says whether there
    were more (the features are read one past the limit to know; a generator is then closed, so that it can
    close its cursor). ``meta``: foreign members written before the features (the licence, the limit)."""
    head = {"type": "FeatureCollection", **(meta or {})}
    yield json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":['
    truncated, buffer, size = False, [], 0
    items = iter(features)
    for n, item in enumerate(items):
        if limit is not None and n >= limit:
            truncated = True
            close = getattr(items, "close", None)
            if close is not None:  # a generator reading a cursor: let it close the cursor now
                close()
            break
        text = ("," if n else "") + json.dumps(item, ensure_ascii=False, separators=(",", ":"))
        buffer.append(text)
        size += len(text)
        if size > 16384:
            yield "".join(buffer)
            buffer, size = [], 0
    buffer.append(f'],"truncated":{"true" if truncated else "false"}}}\n')
    yield "".join(buffer)


def stream_geojson(features: Iterable[dict[str, Any]], *, limit: int | None = None,
                   meta: dict[str, Any] | None = None) -> Response:
    """A streamed ``application/geo+json`` response."""
    return Response(stream_with_context(geojson_chunks(features, limit=limit, meta=meta)),
                    mimetype="application/geo+json")


# Templates --------------------------------------------------------------------------------------------------


def settings() -> dict[str, Any]:
    """What the map script needs (``map_settings`` in templates): tiles, where to open, the wards' boxes."""
    config = current_app.config
    return {
        "tiles": config.get("MAP_TILE_URL", ""), "attribution": config.get("MAP_TILE_ATTRIBUTION", ""),
        "centre": list(CENTRE), "bounds": LONDON.as_list(), "far_m": FAR_FROM_WARD_M,
        "wards": {w.name: {"centre": list(w.centre), "bounds": w.bounds.as_list()} for w in WARDS.values()},
    }


def init_app(app: Flask) -> None:
    """Give templates ``map_settings()`` (the ``map`` macro reads it)."""
    app.jinja_env.globals["map_settings"] = settings
