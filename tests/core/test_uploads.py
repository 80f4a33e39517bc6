"""Uploaded images: decompression bombs (a tiny file of huge dimensions) are refused by their pixel count, read
from the header, before a single pixel is decoded."""

from __future__ import annotations

import time
import tracemalloc
from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image, ImageFile
from werkzeug.datastructures import FileStorage

from civic import uploads
from civic.errors import RuleViolation
from tests.support.images import huge_png


def upload(data: bytes, name: str = "photo.png") -> FileStorage:
    return FileStorage(BytesIO(data), filename=name, content_type="image/png")


@pytest.fixture
def decoded(monkeypatch):
    """How many times Pillow decoded pixels (``ImageFile.load``) during the test."""
    calls: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counting(image):
        calls.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    return calls


def saved_files() -> list[Path]:
    return list((Path(current_app.instance_path) / "uploads").glob("bombs/*"))


def test_a_64_megapixel_png_of_60_kb_is_refused_without_decoding_it(app, decoded):
    bomb = huge_png(8000, 8000)  # 64 megapixels: 64 MB once decoded
    assert len(bomb) < 100_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with app.test_request_context(), pytest.raises(RuleViolation) as refused:
            uploads.save_image(upload(bomb), "bombs", field="photo")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.field == "photo"
    assert "8,000 × 8,000 pixels" in refused.value.message
    assert "at most 40 megapixels" in refused.value.message
    assert decoded == []  # not one pixel decoded
    assert peak < 2_000_000  # well under the 64 MB its pixels would take
    assert elapsed < 0.5
    assert saved_files() == []


def test_beyond_pillows_own_guard_the_refusal_is_the_same(app, decoded):
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        uploads.save_image(upload(huge_png(12000, 8000)), "bombs", field="banner")  # 96 megapixels
    assert refused.value.field == "banner"
    assert "at most 40 megapixels" in refused.value.message
    assert decoded == []


def test_the_limit_is_a_pixel_count(app, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 200 * 100)
    with app.test_request_context():
        assert uploads.save_image(upload(huge_png(200, 100)), "bombs").endswith(".png")
        with pytest.raises(RuleViolation, match="201 × 100 pixels"):
            uploads.save_image(upload(huge_png(201, 100)), "bombs")
        with pytest.raises(RuleViolation, match="100 × 201 pixels"):
            uploads.save_image(upload(huge_png(100, 201)), "bombs")
    assert len(saved_files()) == 1


def test_a_large_photo_under_the_limit_is_accepted_and_made_smaller(app):
    with app.test_request_context():
        name = uploads.save_image(upload(huge_png(4000, 3000)), "bombs")  # 12 megapixels, like a phone's
    with Image.open(Path(current_app.instance_path) / "uploads" / name) as saved:
        assert saved.size == (1600, 1200)


def test_only_the_three_formats_are_opened(app, decoded):
    gif = BytesIO()
    Image.new("RGB", (20, 10), "red").save(gif, format="GIF")
    with app.test_request_context(), pytest.raises(RuleViolation, match="Choose a JPEG, PNG or WebP image"):
        uploads.save_image(upload(gif.getvalue(), "photo.gif"), "bombs")
    assert decoded == []
