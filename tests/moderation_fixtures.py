"""Fixtures of the moderation tests (a plugin module: see ``pytest_plugins`` there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.moderation_support import StubActive, TableScorer


@pytest.fixture
def scorer() -> TableScorer:
    return TableScorer()


@pytest.fixture
def worker_ctx(settings, redis_client, scorer) -> Iterator[object]:
    from worker.context import WorkerContext, set_context

    context = WorkerContext.build(settings, redis_client)
    context.model = StubActive(scorer)
    set_context(context)
    yield context
    set_context(None)
