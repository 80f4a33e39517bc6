"""Uploaded images: checked by content (not by name), size-limited, metadata stripped, resized.

Files are saved under ``instance/uploads/<folder>/`` with random names and served by
``pages.upload``. Only JPEG, PNG and WebP are accepted; everything is re-encoded, which drops
EXIF (including GPS positions) and any payload hidden in the file.

Serving asks the file's owner: each folder has an owner (:func:`register_owner`, e.g. proposals for
``proposals/``, processes for ``banners/``) that says whether this person may see the file now — the owning
object's own visibility, so a hidden proposal's photo or an unpublished process's banner is "not found" like a
file that does not exist. A folder nobody owns is never served. A random name is not a secret.

Decompression bombs (a small file of huge dimensions: a 186 KB PNG can hold 64 megapixels, over half a
gigabyte once decoded) are refused by their pixel count, read from the file's header before any pixel is
decoded: at most :data:`MAX_PIXELS` (40 megapixels). Pillow's own guard stays on behind it, at twice that.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from civic import registries
from civic.errors import RuleViolation

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
ACCEPTED = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera; checked before decoding
# Pillow's own guard, behind ours: it warns above this and refuses above twice this when a file is opened.
Image.MAX_IMAGE_PIXELS = 2 * MAX_PIXELS


def upload_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


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
    path = upload_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    clean.save(path, format=kind, **({"quality": 85, "optimize": True} if kind == "JPEG" else {}))
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
        (upload_root() / name).unlink(missing_ok=True)


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
