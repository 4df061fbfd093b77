"""The abuse classifier as a domain-gated blend of two linear models on the same features.

The site's own comments need their heavy weight (docs/MODEL.md, "Data, weights, split"): without
it the model holds a third of the site's abuse. The same weight costs comments unlike the site's
(the leave-one-source-out table): trained with the site's rows at weight 1 the model ranks the
public corpora better and the site's comments worse. So both are kept, and a third linear model
-- the domain model, "site-like" (the site's comments, moderator decisions, the victim data) vs
the public corpora, trained on the same training rows -- decides per comment which one speaks:

    g = sigmoid((domain(x) - shift) / temp)
    d = g * specialist(x) + (1 - g) * generalist(x)

Site comments are ranked as the specialist ranks them, comments unlike the site's by the
generalist. All three are linear in the same hashed features (IDF factors folded in), so
scoring costs two more dot products, not another feature extraction. ``shift`` < 0 leans
towards the specialist: a site comment the domain model is unsure of keeps the site's ranking.
Chosen on the leave-one-source-out table and the site's dev split (bench/loo_levers.py).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

# the sharpness and the lean of the gate (bench/loo_levers.py, "gated_w1_a1e-5_s-1")
GATE_TEMP = 0.25
GATE_SHIFT = -1.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


class GatedLinear(ClassifierMixin, BaseEstimator):
    """Three fitted linear models' weights; ``coef_``/``intercept_`` are the specialist's (the
    wording spans are read from them), ``gen_coef_``/``dom_coef_`` the generalist's and the
    domain model's. Plain arrays only, so the model file holds no further estimator."""

    def __init__(self, temp: float = GATE_TEMP, shift: float = GATE_SHIFT):
        self.temp = temp
        self.shift = shift

    @classmethod
    def from_models(cls, specialist, generalist, domain, *, temp: float = GATE_TEMP,
                    shift: float = GATE_SHIFT) -> GatedLinear:
        """Wrap three fitted binary linear classifiers (``coef_``, ``intercept_``)."""
        self = cls(temp=temp, shift=shift)
        self.classes_ = np.asarray(specialist.classes_)
        self.coef_ = np.asarray(specialist.coef_, dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.asarray(specialist.intercept_, dtype=np.float64).ravel()[:1]
        self.gen_coef_ = np.asarray(generalist.coef_, dtype=np.float64).reshape(1, -1)
        self.gen_intercept_ = np.asarray(generalist.intercept_, dtype=np.float64).ravel()[:1]
        self.dom_coef_ = np.asarray(domain.coef_, dtype=np.float64).reshape(1, -1)
        self.dom_intercept_ = np.asarray(domain.intercept_, dtype=np.float64).ravel()[:1]
        return self

    def fit(self, X, y, sample_weight=None):
        """Not fitted on its own: three models are (``model.train.fit_abuse``), then wrapped with
        :meth:`from_models`."""
        raise NotImplementedError("GatedLinear is built from fitted models (GatedLinear.from_models)")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "dom_coef_")

    def parts(self) -> list[tuple[np.ndarray, float]]:
        """(weights, intercept) of the specialist, the generalist and the domain model."""
        return [(np.ravel(c), float(np.ravel(b)[0])) for c, b in
                ((self.coef_, self.intercept_), (self.gen_coef_, self.gen_intercept_),
                 (self.dom_coef_, self.dom_intercept_))]

    def combine(self, spec: np.ndarray, gen: np.ndarray, dom: np.ndarray) -> np.ndarray:
        """The blended decision from the three linear decisions."""
        g = _sigmoid((np.asarray(dom) - self.shift) / self.temp)
        return g * spec + (1.0 - g) * gen

    def gate(self, X) -> np.ndarray:
        """How site-like each row is (0..1)."""
        dom = X @ np.ravel(self.dom_coef_) + float(self.dom_intercept_[0])
        return _sigmoid((np.asarray(dom).ravel() - self.shift) / self.temp)

    def decision_function(self, X) -> np.ndarray:
        spec, gen, dom = (np.asarray(X @ c).ravel() + b for c, b in self.parts())
        return self.combine(spec, gen, dom)

    def predict_proba(self, X) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


__all__ = ["GatedLinear", "GATE_TEMP", "GATE_SHIFT"]
