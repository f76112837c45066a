"""HTTP validators tied to the data version: an ETag per (version, request, format), and
Last-Modified from the build time, so a client's cached answer stays valid until the
published store changes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from ..builds import data_version as build_version


def data_version(store_path: Path) -> tuple[str, datetime]:
    """The build's version (its directory name) and when it was built."""
    return build_version(store_path.parent)


def etag(version: str, *parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:24]
    return f'"{version}-{digest}"'


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def not_modified(headers: dict[str, str], tag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        candidates = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in candidates or tag in candidates
    since = headers.get("if-modified-since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
