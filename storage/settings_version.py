"""The settings version: one key that every writer of a setting a scoring batch reads
changes in the same transaction (MULTI) as its write.

A worker keeps those settings in memory (worker/policy.py ``PolicyCache``) and reads
only this key per batch; a new value makes it read them again. Hence the rules for
writers:

- bump in the same MULTI as the write (``queue_bump`` on the writer's transaction
  pipeline), never before it: a worker that read the new version must find the write;
- every writer of these keys bumps: hold thresholds (all tenants' and a tenant's), a
  tenant's rules and spot-check rate, article policies, webhook registrations and the
  tenants' DSA settings (statement-of-reasons templates go out with webhook events).

The value is a random token rather than a counter, so a store flushed and written again
cannot bring back a value some worker still holds.
"""

from __future__ import annotations

import secrets
from typing import Any

from storage.keys import Keys


def queue_bump(pipe: Any, keys: Keys) -> None:
    """Queue the version change on the writer's own transaction pipeline."""
    pipe.set(keys.settings_version, secrets.token_hex(8))
