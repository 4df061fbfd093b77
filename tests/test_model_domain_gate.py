"""The domain-gated abuse classifier: site-like comments ranked by the specialist, others by the
generalist, one feature extraction."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from model import train as T
from model.corpora import Example
from model.domain_augment import blend, fit_shared
from model.domain_gate import GatedLinear
from tests.model_fixtures import ABUSIVE, CLEAN, _copy


def _linear(coef, intercept):
    m = SGDClassifier(loss="log_loss")
    m.classes_ = np.array([0, 1])
    m.coef_ = np.asarray([coef], dtype=float)
    m.intercept_ = np.asarray([intercept], dtype=float)
    return m


def test_the_gate_hands_site_like_rows_to_the_specialist_and_the_rest_to_the_generalist():
    # column 0: "site-like" (the domain model's only weight); columns 1-2: the two models differ
    spec, gen = _linear([0.0, 2.0, -1.0], 0.1), _linear([0.0, -3.0, 5.0], -0.2)
    dom = _linear([20.0, 0.0, 0.0], -10.0)
    g = GatedLinear.from_models(spec, gen, dom, temp=0.25, shift=-1.0)
    X = sp.csr_matrix(np.array([[1.0, 0.7, 0.2],     # site-like
                                [0.0, 0.7, 0.2],     # unlike the site
                                [0.5, 0.3, 0.9]]))   # in between: a mix of both
    d = g.decision_function(X)
    d_spec, d_gen = spec.decision_function(X), gen.decision_function(X)
    assert np.isclose(d[0], d_spec[0])
    assert np.isclose(d[1], d_gen[1])
    assert min(d_spec[2], d_gen[2]) < d[2] < max(d_spec[2], d_gen[2])
    gate = g.gate(X)
    assert gate[0] > 0.999 and gate[1] < 0.001 and 0.0 < gate[2] < 1.0
    # the specialist's weights are the classifier's coef_ (the wording spans read them)
    assert np.array_equal(g.coef_, spec.coef_)


def _examples():
    out = []
    for i in range(4):
        for lbl, ts in ((1, ABUSIVE), (0, CLEAN)):
            for t in ts:
                out.append(Example(f"{t} {_copy(i)}", {"abuse": lbl}, "news_comments"))
                out.append(Example(f"{t.upper()} lol #tag {_copy(i + 7)}", {"abuse": lbl}, "davidson_tweets"))
    return out


def test_fit_abuse_gates_between_the_shipped_weights_and_the_generalist_on_mixed_sources():
    examples = _examples()
    y = np.array([e.labels["abuse"] for e in examples])
    pipe = T.build_pipelines(2**12, 2**13)["abuse"]
    X = T._features(pipe, [e.text for e in examples]).tocsr()
    clf = T.fit_abuse(pipe, X, examples, y, gate=True)
    assert isinstance(clf, GatedLinear) and pipe.named_steps["clf"] is clf
    # the domain model tells the site's rows from the tweets it trained on
    site = np.array([e.source == "news_comments" for e in examples])
    gate = clf.gate(X)
    assert gate[site].mean() > 0.9 > 0.1 > gate[~site].mean()
    # the specialist is exactly the ungated training
    plain = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], X, examples, y, gate=False)
    assert np.allclose(plain.coef_, clf.coef_)
    assert not np.allclose(clf.gen_coef_, clf.coef_)
    # the generalist trains on NB column factors (GENERALIST_NB), folded back into its weights
    no_nb = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], X, examples, y, gate=True,
                        generalist_nb=None)
    assert T.GENERALIST_NB is not None
    assert np.allclose(no_nb.coef_, clf.coef_) and np.allclose(no_nb.dom_coef_, clf.dom_coef_)
    assert not np.allclose(no_nb.gen_coef_, clf.gen_coef_)
    Z = X @ sp.diags(T.idf_factors(X, T.text_blocks(pipe)))
    gen_w = T._weights(examples, "abuse", dict(T.SOURCE_WEIGHTS, news_comments=(1.0, 1.0),
                                                moderator=(1.0, 1.0)))
    nb = T.nb_factors(Z, y, gen_w, T.text_blocks(pipe), T.GENERALIST_NB)
    Zn = Z @ sp.diags(nb)
    ref = SGDClassifier(loss="log_loss", alpha=T.ABUSE_ALPHA, max_iter=T.ABUSE_EPOCHS, tol=None,
                        random_state=0).fit(Zn, y, sample_weight=gen_w)
    # without the shared-weights share (GENERALIST_SHARED None) it is the plain NB generalist
    plain_gen = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], X, examples, y, gate=True,
                            generalist_shared=None)
    assert np.allclose(X @ plain_gen.gen_coef_.ravel() + plain_gen.gen_intercept_[0],
                       ref.decision_function(Zn))
    # with it, that model blended with the augmented model's shared weights (domain_augment)
    assert T.GENERALIST_SHARED is not None
    sources = [e.source for e in examples]
    own = fit_shared(ref, Zn, y, gen_w, sources, T.GENERALIST_OWN_SCALE)
    want = blend(ref, own, T.GENERALIST_SHARED, Zn).decision_function(Zn)
    assert np.allclose(X @ clf.gen_coef_.ravel() + clf.gen_intercept_[0], want)
    assert not np.allclose(clf.gen_coef_, plain_gen.gen_coef_)
    # one domain only (no site rows): nothing to gate, the plain model
    tweets = [e for e in examples if e.source != "news_comments"]
    yt = np.array([e.labels["abuse"] for e in tweets])
    Xt = T._features(pipe, [e.text for e in tweets]).tocsr()
    alone = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], Xt, tweets, yt, gate=True)
    assert not isinstance(alone, GatedLinear)


def test_the_shipped_scorer_is_gated_and_scores_as_its_pipeline_does(small_scorer):
    clf = small_scorer.pipelines["abuse"].named_steps["clf"]
    assert isinstance(clf, GatedLinear)
    # the generalist's knobs are on record with the model (manifest, card)
    t = small_scorer.training
    assert (t["generalist_nb"], t["generalist_shared"], t["generalist_own_scale"]) == (
        T.GENERALIST_NB, T.GENERALIST_SHARED, T.GENERALIST_OWN_SCALE)
    texts = ABUSIVE[:5] + CLEAN[:5] + ["lol u r such a clown #fail @someone"]
    fast = small_scorer.decision_values(texts)["abuse"]
    assert np.allclose(fast, small_scorer.pipelines["abuse"].decision_function(texts), atol=1e-6)
