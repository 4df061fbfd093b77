"""Fixed-window rate-limit counters: every window of one request in one round trip.

flask-limiter counts each limit of a request with a script of its own (two round trips
for the usual "per second; per minute" pair) and spends more CPU choosing the limits
than counting them; on the site's hot routes (posting and reading comments) that was
a third of a request's time. Here each request's windows are counted by one script.

The semantics are flask-limiter's fixed window: a window starts at its first request
and lasts its period (the counter's TTL); every request is counted, refused ones too,
so a caller hammering past its limit stays refused until the window ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem
from redis import Redis

from storage.keys import Keys

# Shared with the create script (storage/comments.py), which counts a POST's windows
# itself so that posting a comment stays one round trip.
COUNT_WINDOWS_LUA = """
-- Counts one request in windows 1..n: window i's counter is keys[key0 + i], its amount and
-- period (ms) args[arg0 + 2i - 1] and args[arg0 + 2i]. Returns 0 (allowed), or the index
-- of the first exceeded window and its ms left.
local function count_windows(keys, key0, args, arg0, n)
  local over = 0
  for i = 1, n do
    local key = keys[key0 + i]
    local count = redis.call('INCR', key)
    if count == 1 then redis.call('PEXPIRE', key, args[arg0 + 2 * i]) end
    if over == 0 and count > tonumber(args[arg0 + 2 * i - 1]) then over = i end
  end
  if over == 0 then return 0, 0 end
  return over, redis.call('PTTL', keys[key0 + over])
end
"""

_HIT = COUNT_WINDOWS_LUA + """
-- KEYS: one counter per window ; ARGV: amount, period (ms), amount, period, ...
-- Returns 0 (allowed), or {index of the first exceeded window, its ms left}.
local over, ms = count_windows(KEYS, 0, ARGV, 0, #KEYS)
if over == 0 then return 0 end
return {over, ms}
"""


@dataclass(frozen=True)
class Refusal:
    scope: str
    limit: RateLimitItem
    retry_after: int  # whole seconds, at least 1, at most the window


class RateWindows:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._hit = redis.register_script(_HIT)

    def hit(self, caller: str, scope: str, limits: Sequence[RateLimitItem]) -> Refusal | None:
        """Count one request of ``caller`` against every window of ``limits``; the first
        window it exceeds, if any."""
        if not limits:
            return None
        windows = Windows(self.keys, caller, scope, tuple(limits))
        found = self._hit(keys=windows.keys, args=windows.args)
        return windows.refusal(int(found[0]), int(found[1])) if found else None


@dataclass(frozen=True)
class Windows:
    """One request's windows, as a script counts them (keys and args in ``COUNT_WINDOWS_LUA``'s
    order)."""

    store_keys: Keys
    caller: str
    scope: str
    limits: tuple[RateLimitItem, ...]

    @property
    def keys(self) -> list[str]:
        return [self.store_keys.rate_window(self.caller, f"{self.scope}/{item}")
                for item in self.limits]

    @property
    def args(self) -> list[int]:
        args: list[int] = []
        for item in self.limits:
            args += [item.amount, int(item.get_expiry() * 1000)]
        return args

    def refusal(self, index: int, ms_left: int) -> Refusal:
        limit = self.limits[index - 1]
        window = int(limit.get_expiry())
        # Rounded up to whole seconds, never past the window (a lost TTL reads as the window).
        seconds = -(-ms_left // 1000) if ms_left > 0 else window
        return Refusal(scope=self.scope, limit=limit, retry_after=min(window, max(1, seconds)))
