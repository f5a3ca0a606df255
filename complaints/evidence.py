"""Evidence files, for a complaint and for a case's timeline alike: which types are accepted
(by extension and by the file's first bytes, never by what the browser says), how many and how
large, and how a file is stored (a path without the original name, its size and SHA-256)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from arrears import config


# Evidence files: extension → (the content type stored, a check of the file's first bytes).
# The type is derived here, never taken from the browser; every type's content is checked.
def _starts(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(p) for p in prefixes)


def _iso_media(*brands: bytes) -> Callable[[bytes], bool]:
    # HEIC and M4A are ISO media files: a box size, then "ftyp" and the brand.
    return lambda head: head[4:8] == b"ftyp" and any(head[8:12] == b for b in brands)


def _office_zip(head: bytes) -> bool:
    # A .docx/.xlsx is a zip whose first entry is "[Content_Types].xml" (or another part).
    return head.startswith(b"PK\x03\x04") and (
        b"[Content_Types].xml" in head[:200]
        or b"word/" in head[:200]
        or b"xl/" in head[:200]
        or b"_rels/" in head[:200]
    )


ALLOWED_FILES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".pdf": ("application/pdf", _starts(b"%PDF")),
    ".jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    ".heic": ("image/heic", _iso_media(b"heic", b"heix", b"mif1", b"msf1")),
    ".doc": ("application/msword", _starts(b"\xd0\xcf\x11\xe0")),
    ".xls": ("application/vnd.ms-excel", _starts(b"\xd0\xcf\x11\xe0")),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _office_zip,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office_zip),
    ".mp3": (
        "audio/mpeg",
        lambda h: h.startswith(b"ID3") or h[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    ),
    ".m4a": ("audio/mp4", _iso_media(b"M4A ", b"mp42", b"isom")),
    ".amr": ("audio/amr", _starts(b"#!AMR")),
}


def file_type(name: str) -> str:
    ext = name[name.rfind(".") :].lower() if "." in name else ""
    return ALLOWED_FILES[ext][0] if ext in ALLOWED_FILES else "application/octet-stream"


def validate_files(files: Sequence[UploadedFile]) -> None:
    """Evidence files: count, size and type (by extension and by the file's first bytes)."""
    max_files = config.get("complaints.max_files")
    max_bytes = config.get("complaints.max_file_mb") * 1024 * 1024
    problems = []
    if len(files) > max_files:
        problems.append(_("证据材料最多 %(n)s 个") % {"n": max_files})
    for upload in files:
        name = upload.name or ""
        ext = name[name.rfind(".") :].lower() if "." in name else ""
        if ext not in ALLOWED_FILES:
            problems.append(
                _("不支持的文件类型：%(name)s（可上传图片、PDF、Word、Excel、录音）")
                % {"name": name}
            )
            continue
        if upload.size is not None and upload.size > max_bytes:
            problems.append(
                _("文件过大：%(name)s（单个不超过 %(mb)s MB）")
                % {"name": name, "mb": max_bytes // (1024 * 1024)}
            )
            continue
        head = upload.read(512)
        upload.seek(0)
        if not ALLOWED_FILES[ext][1](head):
            problems.append(_("文件内容与类型不符：%(name)s") % {"name": name})
    if problems:
        raise ValidationError({"evidence": problems})


def store_evidence(attachment: Any, upload: UploadedFile) -> Any:
    """Save an evidence file (complaint or case timeline): its name, a type derived on the
    server, its size and SHA-256, under a path that does not contain the original name."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment.original_name = (upload.name or "")[:200]
    attachment.content_type = file_type(upload.name or "")
    attachment.size = upload.size or 0
    attachment.sha256 = digest.hexdigest()
    attachment.file.save(attachment.sha256, upload, save=False)
    attachment.save()
    return attachment
