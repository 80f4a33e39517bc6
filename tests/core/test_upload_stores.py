"""Uploaded images behind the storage interface (civic/uploads.py): the folder store (the default) and the
database store (``CIVIC_UPLOADS_STORE=database``) keep, serve and forget a file alike, with the same headers
and the same answers to a browser asking again (304)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from civic import uploads
from civic.db import db
from civic.uploads import UploadFile

FOLDER = "storetest"


def _anyone(name, user) -> bool:
    return True


uploads.register_owner(FOLDER, _anyone)


def png() -> FileStorage:
    out = BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="PNG")
    return FileStorage(BytesIO(out.getvalue()), filename="photo.png", content_type="image/png")


@pytest.fixture(params=["folder", "database"])
def store(request, app):
    saved = app.config.get("UPLOADS_STORE")
    app.config["UPLOADS_STORE"] = request.param
    yield request.param
    app.config["UPLOADS_STORE"] = saved


def files_on_disk() -> list[Path]:
    return list((Path(current_app.instance_path) / "uploads" / FOLDER).glob("*"))


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(UploadFile)) or 0


def test_a_photo_is_kept_served_and_forgotten(app, client, store):
    before_files, before_rows = len(files_on_disk()), rows()
    with app.test_request_context():
        name = uploads.save_image(png(), FOLDER)
    db.session.commit()
    assert name.startswith(f"{FOLDER}/") and name.endswith(".png")
    if store == "folder":
        assert len(files_on_disk()) == before_files + 1 and rows() == before_rows
    else:
        assert len(files_on_disk()) == before_files and rows() == before_rows + 1  # no file on this machine

    with client.get(f"/uploads/{name}") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert Image.open(BytesIO(response.data)).size == (40, 30)
        assert "no-cache" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        etag = response.headers["ETag"]
        assert etag and response.headers["Last-Modified"]
    with client.get(f"/uploads/{name}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""  # the browser keeps its copy, asking each time
        assert "no-cache" in again.headers["Cache-Control"]

    with app.test_request_context():
        uploads.delete_image(name)
    assert client.get(f"/uploads/{name}").status_code == 404
    assert client.get(f"/uploads/{FOLDER}/never-there.png").status_code == 404


def test_the_database_store_rolls_back_with_the_request(app, client):
    app.config["UPLOADS_STORE"] = "database"
    try:
        before = rows()
        with app.test_request_context():
            savepoint = db.session.begin_nested()
            name = uploads.save_image(png(), FOLDER)
            assert rows() == before + 1
            savepoint.rollback()  # the request failed after the photo was taken
        assert rows() == before
        assert client.get(f"/uploads/{name}").status_code == 404
    finally:
        app.config["UPLOADS_STORE"] = "folder"


def test_an_unknown_store_is_named(app):
    app.config["UPLOADS_STORE"] = "s3"
    try:
        with app.test_request_context(), pytest.raises(ValueError, match="CIVIC_UPLOADS_STORE"):
            uploads.store()
    finally:
        app.config["UPLOADS_STORE"] = "folder"
