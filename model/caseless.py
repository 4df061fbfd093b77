"""Case-insensitive patterns, run faster on ASCII text (same matches, same positions).

re skips an alternative by its first character only when it matches case-sensitively; with
IGNORECASE it enters every alternative at every position, which makes the detectors' and cues'
long word alternations several times slower. Lower-casing an ASCII text changes no position, and
under IGNORECASE a capital in the text matches exactly what its small letter matches. So
``ascii_twin(rx)`` -- the pattern matched case-sensitively, with its ``A-Z`` ranges made
``a-z`` -- run on ``text.lower()`` finds what ``rx`` finds on ``text``.

The same holds for a text with other characters (emoji, accents the normaliser keeps) as long as
each lower-cases to one character that IGNORECASE treats alike: true of every code point but
three (a test checks them all): dotted capital I (two characters in lower case), dotless i and
long s (IGNORECASE matches them to "i" and "s", which their lower case is not). ``twin_lower``
gives the text the twins may run on, or None.
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


# characters whose lower case is not what IGNORECASE matches them as (see the module's doc)
CASE_ODD = "\u0130\u0131\u017f"
_CASE_ODD = re.compile(f"[{CASE_ODD}]")


def twin_lower(text: str, lowered: str | None = None) -> str | None:
    """``text.lower()`` (``lowered``, when the caller has it) if the twins may run on it in place
    of their patterns on ``text``, else None."""
    if lowered is None:
        lowered = text.lower()
    if text.isascii() or (len(lowered) == len(text) and _CASE_ODD.search(text) is None):
        return lowered
    return None
