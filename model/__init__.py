"""The moderation classifier: abuse and victim identification.

Public entry points: :mod:`model.scoring` (``Scorer``, ``Score``, ``Span``),
:mod:`model.artifact` (safe save/load), :mod:`model.train` and
:mod:`model.evaluate`. This package depends on nothing in ``service``,
``worker`` or ``storage``; they depend on it.
"""

from model.categories import CATEGORIES

__all__ = ["CATEGORIES"]
