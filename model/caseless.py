"""Case-insensitive patterns, run faster on ASCII text (same matches, same positions).

re skips an alternative by its first character only when it matches case-sensitively; with
IGNORECASE it enters every alternative at every position, which makes the detectors' and cues'
long word alternations several times slower. Nearly every comment is ASCII, and lower-casing an
ASCII text changes no position; under IGNORECASE a capital in the text matches exactly what its
small letter matches. So ``ascii_twin(rx)`` -- the pattern matched case-sensitively, with its
``A-Z`` ranges made ``a-z`` -- run on ``text.lower()`` finds what ``rx`` finds on ``text``.
"""

from __future__ import annotations

import re


def ascii_twin(rx: re.Pattern) -> re.Pattern | None:
    """``rx`` (IGNORECASE) as a case-sensitive pattern for lower-cased ASCII text.

    None when ``rx`` is not IGNORECASE or its source has a capital other than in an ``A-Z``
    range or a named group (a literal capital, or an escape such as ``\\S`` or ``\\B`` whose
    meaning a lower-cased source would change): such a pattern is only ever run as it is.
    """
    if not rx.flags & re.IGNORECASE:
        return None
    source = rx.pattern.replace("A-Z", "a-z")
    if any("A" <= c <= "Z" for c in source.replace("(?P<", "").replace("(?P=", "")):  # named groups
        return None
    return re.compile(source, rx.flags & ~re.IGNORECASE)


def ascii_lower(text: str) -> str | None:
    """``text.lower()`` when ``text`` is ASCII (what the twins run on), else None."""
    return text.lower() if text.isascii() else None
