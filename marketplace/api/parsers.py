"""The API's body parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): every JSON body read within bounds.

Each answers a body it will not take before any view sees it:
- a `charset=` other than UTF-8: a 415 `unsupported_media_type` (JSON is UTF-8, RFC 8259; were the client's
  charset the decoder, `charset=zlib` would inflate a body past the size bound and answer a 500);
- larger than the view's `max_body_bytes` (DEFAULT_MAX_BYTES unless the view says more): `too_large`;
- nested deeper than core.jsonlimits.MAX_DEPTH, malformed, NaN/Infinity or a number too large for a
  float: `parse_error`;
- a control character or lone surrogate in any string: a field error under the top-level key it is in,
  naming the path (`{"readings": ["Holds a control character (U+0000) (at readings[3].measured_at); ..."]}`).

The JSON parser reads the request stream itself rather than Django's `request.body`, so a view may take
more than DATA_UPLOAD_MAX_MEMORY_SIZE (the integration batch of 5,000 readings) while every other view
takes far less; the multipart parser checks the form fields beside an upload the same way.
"""

from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers
from rest_framework.settings import api_settings

from core import jsonlimits

# The largest ordinary body is a hauler's whole service area as a ZIP list (every US ZIP is about 400 KB).
DEFAULT_MAX_BYTES = 1024 * 1024
CHUNK = 64 * 1024


def _limit(parser_context) -> int:
    view = (parser_context or {}).get("view")
    return getattr(view, "max_body_bytes", DEFAULT_MAX_BYTES)


def _read(stream, limit: int) -> bytes:
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise exceptions.ParseError(f"The body is larger than {limit // 1024:,} KB; send less at once.", code="too_large")


def refuse_control_characters(data, *, text: str | None = None) -> None:
    """A field error (400) for the first string in `data` holding a control character, under its top-level key."""
    found = jsonlimits.control_character(data, text=text)
    if found is None:
        return
    path, sentence = found
    field = path[0] if path and type(path[0]) is str else api_settings.NON_FIELD_ERRORS_KEY
    raise exceptions.ValidationError({field: [sentence]})


def refuse_charsets_but_utf8(media_type: str | None) -> None:
    """A 415 for a Content-Type naming a charset other than UTF-8 (any case), before a byte is read."""
    _, params = parse_header_parameters(media_type or "")
    charset = params.get("charset")
    if charset is not None and charset.strip().lower() != "utf-8":
        raise exceptions.UnsupportedMediaType(
            media_type,
            detail=f"The body is read as UTF-8 only; send charset=utf-8 or no charset, not {charset[:40]!r}.",
        )


class BoundedJSONParser(parsers.BaseParser):
    """JSON, within a size, a depth and plain text (not a JSONParser subclass: DRF would hand it
    `request.body`, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE for every view alike)."""

    media_type = "application/json"
    renderer_class = parsers.JSONParser.renderer_class

    def parse(self, stream, media_type=None, parser_context=None):
        refuse_charsets_but_utf8(media_type)
        raw = _read(stream, _limit(parser_context))
        try:
            text = raw.decode("utf-8")  # strict: bytes that are not UTF-8 are a parse error, never guessed at
            data = jsonlimits.loads(text)
        except ValueError as error:  # JSONRefused, json's own errors, undecodable bytes
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        refuse_control_characters(data, text=text)
        return data


def _fields(query) -> dict:
    # A field sent once is named alone; one repeated, by its position too.
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists()}


class CheckedMultiPartParser(parsers.MultiPartParser):
    """Multipart forms (a proof photo and its fields): the text fields held to the same rule as JSON strings."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_control_characters(_fields(parsed.data))
        return parsed


class CheckedFormParser(parsers.FormParser):
    """URL-encoded forms, held to the same rule."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_control_characters(_fields(data))
        return data
