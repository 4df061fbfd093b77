"""Split a comment into plain and highlighted segments for the template.

The template prints every segment through Jinja's autoescape and wraps the
highlighted ones in ``<mark>``; no markup is ever built from comment text in
Python, so a comment's own HTML can only ever appear as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# CSS class of each model category's highlight.
MARK_CLASSES = {"victim_identification": "vi", "abuse": "abuse", "spam": "rule", "word_list": "rule"}


@dataclass(frozen=True)
class Segment:
    text: str
    css: str | None = None  # None: plain text
    kind: str | None = None


def segments(text: str, spans: Iterable[Mapping[str, Any]] | None) -> list[Segment]:
    """``text`` cut at the spans' offsets; overlaps keep the earlier span, bad offsets are dropped."""
    usable = []
    for span in spans or ():
        try:
            start, end = int(span["start"]), int(span["end"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(start, 0), min(end, len(text))
        if start < end:
            usable.append((start, end, str(span.get("category", "")), str(span.get("kind", ""))))
    usable.sort(key=lambda s: (s[0], -s[1]))
    out: list[Segment] = []
    pos = 0
    for start, end, category, kind in usable:
        start = max(start, pos)
        if start >= end:
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], MARK_CLASSES.get(category, "other"), kind or category))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
