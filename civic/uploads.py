"""Uploaded images: checked by content (not by name), size-limited, metadata stripped, resized.

Files are saved under ``instance/uploads/<folder>/`` with random names and served by
``pages.upload``. Only JPEG, PNG and WebP are accepted; everything is re-encoded, which drops
EXIF (including GPS positions) and any payload hidden in the file.

Serving asks the file's owner: each folder has an owner (:func:`register_owner`, e.g. proposals for
``proposals/``, processes for ``banners/``) that says whether this person may see the file now — the owning
object's own visibility, so a hidden proposal's photo or an unpublished process's banner is "not found" like a
file that does not exist. A folder nobody owns is never served. A random name is not a secret.

Where the bytes go is a small storage interface (:class:`Store`), chosen by ``CIVIC_UPLOADS_STORE``:
:class:`FolderStore` (the default: ``instance/uploads`` or ``CIVIC_UPLOADS_DIR``, a shared volume when there are
several app servers) or :class:`DatabaseStore` (each image a row of ``upload_files``, written in the request's
own transaction). Both are served by ``pages.upload`` with the same headers (a validator, ``no-cache``,
``private``, 304 answers). docs/uploads.md says how an S3-compatible store would plug in.

Decompression bombs (a small file of huge dimensions: a 186 KB PNG can hold 64 megapixels, over half a
gigabyte once decoded) are refused by their pixel count, read from the file's header before any pixel is
decoded: at most :data:`MAX_PIXELS` (40 megapixels). Pillow's own guard stays on behind it, at twice that.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from flask import Response, current_app, request, send_from_directory
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from civic import registries
from civic.db import Base, db, utcnow
from civic.errors import RuleViolation

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
ACCEPTED = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera; checked before decoding
# Pillow's own guard, behind ours: it warns above this and refuses above twice this when a file is opened.
Image.MAX_IMAGE_PIXELS = 2 * MAX_PIXELS


def upload_root() -> Path:
    """The folder store's folder: ``CIVIC_UPLOADS_DIR``, or ``instance/uploads``."""
    return Path(current_app.config.get("UPLOADS_DIR") or Path(current_app.instance_path) / "uploads")


# Storage ----------------------------------------------------------------------------------------------------


class Store(Protocol):
    """Where uploaded files live. ``name`` is ``folder/random.ext``; a name is written once and never changed."""

    def save(self, name: str, data: bytes) -> None:
        """Keep ``data`` under ``name`` (in the request's transaction, where the store can join it)."""

    def delete(self, name: str) -> None:
        """Forget ``name`` (called after the commit that stopped using it; unknown names are ignored)."""

    def response(self, name: str) -> Response:
        """The file as a response with a validator (``ETag``/``Last-Modified``), answering conditional
        requests with 304; ``NotFound`` when there is no such file. ``pages.upload`` adds the cache headers."""


class FolderStore:
    """Files under a folder of this machine (with several app servers, a volume they all mount)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # never half a file for another server reading the shared volume

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def response(self, name: str) -> Response:
        return send_from_directory(self.root, name, max_age=0)


class UploadFile(Base):
    """An uploaded file kept in the database (``CIVIC_UPLOADS_STORE=database``)."""

    __tablename__ = "upload_files"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(80))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: A digest of ``data``: the response's ETag.
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DatabaseStore:
    """Files as rows of ``upload_files``: every app server sees them as soon as the request commits, and a
    rolled-back request leaves no file behind. Fine for photos of a few hundred KB (they are re-encoded and at
    most 1,600 px); a store for large files belongs in object storage (docs/uploads.md)."""

    def save(self, name: str, data: bytes) -> None:
        db.session.add(UploadFile(name=name, content_type=_content_type(name), data=data,
                                  etag=hashlib.blake2b(data, digest_size=16).hexdigest()))
        db.session.flush()

    def delete(self, name: str) -> None:
        db.session.execute(delete(UploadFile).where(UploadFile.name == name))
        db.session.commit()  # called after the request's commit, in a transaction of its own

    def response(self, name: str) -> Response:
        row = db.session.execute(select(UploadFile.content_type, UploadFile.etag, UploadFile.created_at)
                                 .where(UploadFile.name == name)).first()
        if row is None:
            raise NotFound()
        response = Response(mimetype=row.content_type)
        response.set_etag(row.etag)
        response.last_modified = row.created_at
        response.cache_control.max_age = 0
        response.make_conditional(request)
        if response.status_code != 304 and request.method != "HEAD":
            response.set_data(db.session.scalar(select(UploadFile.data).where(UploadFile.name == name)) or b"")
            response.set_etag(row.etag)
        return response


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


STORES: dict[str, Callable[[], Store]] = {
    "folder": lambda: FolderStore(upload_root()),
    "database": DatabaseStore,
}


def store() -> Store:
    """The store the app is configured with (``CIVIC_UPLOADS_STORE``: folder or database)."""
    kind = current_app.config.get("UPLOADS_STORE") or "folder"
    try:
        return STORES[kind]()
    except KeyError:
        raise ValueError(f"CIVIC_UPLOADS_STORE must be one of {', '.join(STORES)} (got {kind!r})") from None


def save_image(upload: FileStorage, folder: str, *, field: str = "photo") -> str:
    """Store an uploaded image; returns its path relative to the uploads folder (``folder/name.ext``)."""
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise RuleViolation("The image is larger than 5 MB. Choose a smaller one.", field=field)
    if not data:
        raise RuleViolation("The file is empty. Choose an image.", field=field)
    try:
        with Image.open(BytesIO(data), formats=list(ACCEPTED)) as probe:  # the header only: no pixel decoded
            kind = probe.format
            _refuse_bombs(probe.size, field)
            probe.verify()
        if kind not in ACCEPTED:
            raise RuleViolation("Choose a JPEG, PNG or WebP image.", field=field)
        with Image.open(BytesIO(data), formats=[kind]) as image:
            image = ImageOps.exif_transpose(image)  # keep the orientation the camera meant
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if kind == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            clean = Image.new(image.mode, image.size)
            clean.paste(image)  # a fresh image carries no metadata
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # the warning, when made an error
        raise _too_large(field) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise RuleViolation("This file is not an image we can read. Choose a JPEG, PNG or WebP image.",
                            field=field) from None
    name = f"{folder}/{secrets.token_urlsafe(12)}.{ACCEPTED[kind]}"
    out = BytesIO()
    clean.save(out, format=kind, **({"quality": 85, "optimize": True} if kind == "JPEG" else {}))
    store().save(name, out.getvalue())
    return name


def _refuse_bombs(size: tuple[int, int], field: str) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise _too_large(field, width, height)


def _too_large(field: str, width: int | None = None, height: int | None = None) -> RuleViolation:
    limit = _("Choose an image of at most %(limit)d megapixels (for example 7,000 × 5,000 pixels) or make "
              "it smaller first.", limit=MAX_PIXELS // 1_000_000)
    if width is None or height is None:
        return RuleViolation(_("This image has too many pixels.") + " " + limit, field=field)
    return RuleViolation(_("This image is %(width)s × %(height)s pixels, too many to accept.",
                           width=f"{width:,}", height=f"{height:,}") + " " + limit, field=field)


def delete_image(name: str | None) -> None:
    if name:
        store().delete(name)


#: folder -> ``may_see(name, user) -> bool``: whether this person may see the file ``folder/...`` now.
_owners: dict[str, Callable[[str, Any], bool]] = {}


def register_owner(folder: str, may_see: Callable[[str, Any], bool]) -> None:
    """Declare who owns the files of ``folder``: ``may_see(name, user)`` looks up the object whose file ``name``
    is and answers with that object's visibility (False when no object has it)."""
    registries.put(_owners, folder, may_see, "upload folder")


def may_see(name: str, user: Any) -> bool:
    """Whether this file may be served to this person: its folder's owner decides; nobody's folder, nobody."""
    folder, _sep, rest = name.partition("/")
    owner = _owners.get(folder)
    return bool(rest) and owner is not None and bool(owner(name, user))
