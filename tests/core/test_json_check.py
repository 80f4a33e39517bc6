"""The app's JSON check (civic.request_cycle.CheckedJSONProvider): a body that is ASCII without a ``\\u`` escape
only has its nesting checked (the quick path ingest batches take); it must answer exactly as the full walk does."""

from __future__ import annotations

import json

import pytest
from werkzeug.exceptions import BadRequest

from civic import request_cycle
from civic.request_cycle import JSON_DEPTH


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("body", [
    b'{"readings": [{"quantity": "air_temperature", "value": 18.5, "timestamp": "2026-11-20T08:00:00Z"}]}',
    b'[1, 2.5, "three", null, true, {"a": {"b": [[], {}]}}]', b'"text"', b"42",
    nested(JSON_DEPTH), '{"name": "Zoë"}'.encode(),
])
def test_the_quick_path_gives_what_the_full_walk_gives(app, body):
    assert request_cycle._plain(body) == (body.isascii() and b"\\u" not in body)
    assert app.json.loads(body) == request_cycle._checked(json.loads(body), 0)


@pytest.mark.parametrize("body", [nested(JSON_DEPTH + 1), b'{"a": ' + nested(JSON_DEPTH) + b"}",
                                  b'[{"x": [1, {"y": ' + nested(JSON_DEPTH - 2) + b"}]}]"])
def test_too_deep_is_refused_on_either_path(app, body):
    assert request_cycle._plain(body)
    with app.test_request_context(), pytest.raises(BadRequest):
        app.json.loads(body)
    with app.test_request_context(), pytest.raises(BadRequest):
        request_cycle._checked(json.loads(body), 0)


def test_escapes_take_the_full_walk(app):
    assert not request_cycle._plain(b'{"a": "x\\u0000y"}')
    with app.test_request_context():
        assert app.json.loads(b'{"a": "x\\u0000y"}') == {"a": "xy"}
        with pytest.raises(BadRequest):
            app.json.loads(b'{"a": "\\ud800"}')
