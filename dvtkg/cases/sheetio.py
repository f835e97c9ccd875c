"""Read a case sheet's text (a file or standard input) and its JSON, without rdflib.

Shared by the rdflib loader (``dvtkg.cases.load``) and the lean single-case path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.cases.strictjson import json_violations, parse_json, plain

RDF_FORMATS = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt"}
#: The largest case accepted unless told otherwise (``--max-input-mb``): a real case is a few kB.
DEFAULT_MAX_INPUT_MB = 10


def _limit_text(max_bytes: int) -> str:
    return f"larger than the input limit of {max_bytes / 1e6:g} MB (--max-input-mb)"


def _read_text(path: str, max_bytes: int = DEFAULT_MAX_INPUT_MB * 1_000_000) -> str:
    """The text of a case file or of standard input ('-'), at most ``max_bytes`` bytes."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise CaseInputError("-", "standard input is closed; give a case file instead")
        try:
            data = stream.read(max_bytes + 1)
        except (OSError, ValueError) as exc:
            raise CaseInputError("-", f"standard input cannot be read ({exc})") from None
        where = "-"
    else:
        p = Path(path)
        if not p.exists():
            raise CaseInputError(path, "no such file")
        if p.is_dir():
            raise CaseInputError(path, "is a directory, not a case file")
        try:
            if p.stat().st_size > max_bytes:
                raise CaseInputError(path, _limit_text(max_bytes))
            with p.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise CaseInputError(path, f"cannot be read ({exc.strerror or exc})") from None
        where = path
    if len(data) > max_bytes:
        raise CaseInputError(where, _limit_text(max_bytes))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseInputError(where, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _parse_json(text: str, source: str) -> dict[str, Any]:
    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise CaseInputError(source, "a case sheet must be a JSON object")
    bad = json_violations(data)
    if bad:
        raise CaseValidationError(source, bad)
    return plain(data)


