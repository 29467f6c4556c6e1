"""What an upload holds: size and SHA-256 (read in chunks, stopping past the limit) and its
MIME type, judged from the first bytes and reconciled with the file name.

The content decides. A name that claims a type the content contradicts is refused with
MIME_MISMATCH rather than stored under either type: a `.pdf` that is a PNG, a `.png` that is
not an image, a `.csv` or `.json` with binary content. Formats without a signature (CSV, JSON,
Parquet, model weights) keep the type their name gives, or `text/plain` /
`application/octet-stream` by content.
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

import filetype

from services.storage.base import CHUNK

HEAD = 8192
# extensions whose formats have a signature filetype recognises: their content must match
SIGNED = {t.extension: t.mime for t in filetype.types}
ZIP = "application/zip"
ZIP_CONTAINERS = ("application/vnd.openxmlformats", "application/vnd.oasis",
                  "application/java-archive", "application/epub+zip")
TEXTUAL_SUFFIXES = ("json", "xml", "yaml", "javascript", "x-ndjson", "csv", "x-sh")


@dataclass(frozen=True, slots=True)
class Inspected:
    size: int
    sha256: str
    head: bytes
    too_large: bool


def inspect(source: BinaryIO, max_bytes: int) -> Inspected:
    """Read the upload once from the start; stops as soon as it passes `max_bytes`."""
    source.seek(0)
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := source.read(CHUNK):
        if len(head) < HEAD:
            head += chunk[:HEAD - len(head)]
        size += len(chunk)
        if size > max_bytes:
            return Inspected(size, "", head, too_large=True)
        digest.update(chunk)
    source.seek(0)
    return Inspected(size, digest.hexdigest(), head, too_large=False)


def is_textual(mime: str | None) -> bool:
    return mime is not None and (mime.startswith("text/")
                                 or mime.split("/")[-1].endswith(TEXTUAL_SUFFIXES))


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


class Mismatch(Exception):
    pass


def content_type(filename: str, head: bytes) -> str:
    """The MIME type to store; raises Mismatch when the name contradicts the content."""
    extension = PurePosixPath(filename.lower()).suffix.lstrip(".")
    named = mimetypes.guess_type(f"x.{extension}", strict=False)[0] if extension else None
    detected = filetype.guess_mime(head) if head else None
    claimed = SIGNED.get(extension)
    if detected is not None:
        if named is not None and named.startswith(ZIP_CONTAINERS) and detected == ZIP:
            return named  # a zip-based office, Java or e-book file
        if (claimed is not None and claimed != detected) or is_textual(named):
            raise Mismatch(f"The name says {named or claimed} but the content is {detected}")
        return detected
    if claimed is not None:
        raise Mismatch(f"The name says {claimed} but the content is not")
    if looks_like_text(head):
        return named if is_textual(named) else "text/plain"
    if is_textual(named):
        raise Mismatch(f"The name says {named} but the content is binary")
    return named or "application/octet-stream"
