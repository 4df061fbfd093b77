"""Per-process caches of the feature code, bounded by the bytes they hold.

A cache bounded by its number of entries is bounded in memory only while its keys are short:
100,000 cached 10,000-character tokens are a gigabyte. These caches count the bytes of each
entry (key, value and the table slot) and start again empty when the next entry would pass
their budget; a key longer than ``max_key_chars`` is not cached at all (a long token rarely
comes back, and computing its value costs little next to reading it).

They are a ``dict`` and a ``set`` underneath, so that a look-up stays a C call (``get``,
``in``, ``map(cache.get, tokens)``) on the hot path; only a miss goes through ``put``/``add``.
"""

from __future__ import annotations

import sys
from typing import TypeVar

V = TypeVar("V")

# a table slot (hash, key and value pointers, index) with the table's spare room
SLOT_BYTES = 64


class BytesBoundedDict(dict):
    """A dict cache holding at most ``max_bytes`` of entries (``nbytes``)."""

    def __init__(self, max_bytes: int, max_key_chars: int = 64):
        super().__init__()
        self.max_bytes = max_bytes
        self.max_key_chars = max_key_chars
        self.nbytes = 0

    def put(self, key: str, value: V) -> V:
        """Cache ``value`` under ``key`` (unless the key is too long) and return it."""
        if len(key) > self.max_key_chars or key in self:
            return value
        size = sys.getsizeof(key) + sys.getsizeof(value) + SLOT_BYTES
        if self.nbytes + size > self.max_bytes:
            self.clear()
        self[key] = value
        self.nbytes += size
        return value

    def clear(self) -> None:
        super().clear()
        self.nbytes = 0


class BytesBoundedSet(set):
    """A set cache holding at most ``max_bytes`` of keys (``nbytes``)."""

    def __init__(self, max_bytes: int, max_key_chars: int = 64):
        super().__init__()
        self.max_bytes = max_bytes
        self.max_key_chars = max_key_chars
        self.nbytes = 0

    def put(self, key: str) -> None:
        if len(key) > self.max_key_chars or key in self:
            return
        size = sys.getsizeof(key) + SLOT_BYTES
        if self.nbytes + size > self.max_bytes:
            self.clear()
        self.add(key)
        self.nbytes += size

    def clear(self) -> None:
        super().clear()
        self.nbytes = 0
