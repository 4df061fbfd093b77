"""The progress display of long work (training) on the command line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal,
    so logs of `moderation up` under docker or CI stay readable)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.monotonic()
        self.last: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        width = 28
        filled = int(round(fraction * width))
        bar = "#" * filled + "-" * (width - filled)
        line = f"[{bar}] {fraction * 100:5.1f}%  {time.monotonic() - self.t0:6.1f}s  {stage}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
            if fraction >= 1.0:
                self.stream.write("\n")
        elif stage != self.last:
            self.stream.write(line + "\n")
        self.last = stage
        self.stream.flush()
