"""Uploaded documents and photos are checked by what they contain, not what they are called."""

from django.core.exceptions import ValidationError

SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
DOCUMENT_TYPES = ("pdf", "jpeg", "png")
PHOTO_TYPES = ("jpeg", "png")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def sniff(upload) -> str | None:
    """The type a file's first bytes say it is (pdf, jpeg, png), or None."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def check_upload(upload, *, allowed: tuple[str, ...], field: str, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Refuse an empty, oversized or wrong-typed file with a message for `field`; return its type."""
    names = ", ".join(kind.upper() for kind in allowed)
    if upload is None or upload.size == 0:
        raise ValidationError({field: f"Choose a file ({names})."})
    if upload.size > max_bytes:
        size, limit = upload.size / 1_048_576, max_bytes // 1_048_576
        raise ValidationError({field: f"The file is {size:.1f} MB; the limit is {limit} MB."})
    kind = sniff(upload)
    if kind not in allowed:
        raise ValidationError({field: f"That file is not a {names} (whatever its name says)."})
    return kind
