"""The model card: what a model was trained on, how good it is, where it fails.

``write_card(scorer, path)`` writes Markdown plus one precision-recall curve
per category (PNG, matplotlib Agg backend). ``path`` is either a directory
(files ``MODEL_CARD.md`` and ``pr_<category>.png`` go in it) or a model file
(``<file>.card.md`` and ``<file>.pr_<category>.png`` go beside it). Returns
the Markdown path. Everything comes from ``scorer.metrics`` (the held-out
evaluation made at training time), so a card can be redrawn at any time.
"""

from __future__ import annotations

import os
from pathlib import Path

from model import attributes
from model.categories import CATEGORIES

KNOWN_LIMITS = """\
- **Labels differ by source.** "Abuse" is offensive language in Davidson/OLID, hate in
  HatEval/Stormfront, overt aggression in TRAC, any toxicity in Jigsaw. Pooled metrics mix those
  definitions; read the per-source rows. Civil Comments 0s are borderline (pre-selected as toxic),
  so its row measures ranking among hard cases, not clean-vs-abusive.
- **Dialect bias.** Davidson's offensive tweets over-represent African-American English; its
  positive weight is reduced, but the model may still score AAE slang higher than it should.
- **The site's own abuse data is small.** ~2,700 hand-written comments by three authors (the
  Rotherham story, other policing stories, reply threads) teach the site's rule -- decide by
  target: criticism of what institutions did is allowed however harsh, insulting, threatening,
  sexualising or dehumanising people is not. Abuse without the usual words (veiled threats,
  condescension, coded hate, victim blaming) is caught less often than insults and slurs (see
  the per-case rows), and swearing aimed at nobody is still held about a third of the time.
- **English only**, British and American spelling; code-switched or non-English comments get
  unreliable scores.
- **Victim identification is learned from project-written comments** (~2k, one community's
  place and name patterns, plus a gazetteer of common UK first names). Names outside the
  gazetteer, unusual nicknames and identification by description alone ("the girl whose dad runs
  the garage") rely on n-grams and context words and are missed more often. Officials named
  without a title, and offenders named without "jailed/convicted/sentenced", can be held.
- **Obfuscation** handled: spaced/dotted letters, leetspeak inside words, homoglyphs, zero-width
  characters, elongation. Not handled: misspellings the char n-grams do not cover, images, sarcasm.
- **Probabilities** are calibrated at a 50 % reference prevalence (likelihood-ratio scale), so a
  threshold means the same across versions; on a live stream with ~1 % abuse most holds near the
  threshold are false positives -- see the realistic-stream row.
"""


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def _table(rows: list[dict], cols: list[str], first: str) -> list[str]:
    out = ["| " + " | ".join([first, *cols]) + " |", "|" + "---|" * (len(cols) + 1)]
    for name, r in rows:
        out.append("| " + " | ".join([name, *(_fmt(r.get(c)) for c in cols)]) + " |")
    return out


def _plot(metrics: dict, category: str, path: Path) -> bool:
    curve = (metrics.get(category) or {}).get("pr_curve")
    if not curve:
        return False
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    m = metrics[category]
    fig, ax = plt.subplots(figsize=(5.2, 4.0), dpi=100)
    ax.plot(curve["recall"], curve["precision"], color="#1f5fa8", lw=2,
            label=f"held-out (AP {_fmt(m.get('average_precision'))})")
    if m.get("recall") is not None and m.get("precision") is not None:
        ax.scatter([m["recall"]], [m["precision"]], color="#c0392b", zorder=5,
                   label=f"hold threshold {_fmt(m.get('threshold'))}")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("recall (share of positives held)")
    ax.set_ylabel("precision (share of holds that are right)")
    ax.set_title(f"{category}: precision-recall, held-out data")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return True


def card_markdown(scorer, images: dict[str, str]) -> str:
    m = scorer.metrics or {}
    lines = [f"# Model card: `{scorer.version}`", "",
             f"Created {scorer.created_at}. Categories: {', '.join(CATEGORIES)}.", ""]
    lines += ["## Decision thresholds (calibrated defaults)", ""]
    rules = (m.get("threshold_rules") or {})
    for cat in CATEGORIES:
        rule = (rules.get(cat) or {}).get("rule", "")
        lines.append(f"- `{cat}`: hold at probability >= **{_fmt(scorer.thresholds.get(cat))}**"
                     + (f" ({rule})" if rule else ""))
    lines += ["", "Probabilities are Platt-calibrated on data the classifier never saw, at a 50 % "
              "reference prevalence, so a threshold means the same in every version.", ""]

    lines += ["## Held-out results", ""]
    cols = ["n", "positives", "roc_auc", "average_precision", "precision", "recall", "clean_held"]
    rows = [(cat, m.get(cat) or {}) for cat in CATEGORIES]
    if (m.get("abuse") or {}).get("excluding_borderline"):
        rows.insert(1, ("abuse, borderline 0s excluded", m["abuse"]["excluding_borderline"]))
    if (m.get("abuse") or {}).get("site_comments"):
        rows.insert(1, ("abuse, the site's own comments", m["abuse"]["site_comments"]))
    lines += _table(rows, cols, "category") + [""]
    ab = m.get("abuse") or {}
    if ab.get("stream_1pct"):
        s = ab["stream_1pct"]
        lines += [f"Realistic stream (1 comment in 100 abusive, borderline sources excluded): "
                  f"{_fmt(s.get('clean_held'))} of clean comments held, {_fmt(s.get('abusive_held'))} "
                  f"of abusive ones held, {_fmt(s.get('holds_per_1000'))} holds per 1,000 comments, "
                  f"precision {_fmt(s.get('precision'))}.", ""]
    vi = m.get("victim_identification") or {}
    if vi:
        lines += [f"Victim identification: hard negatives (officials, officers, journalists, "
                  f"convicted offenders, self-disclosure, anonymised labels, ...) held "
                  f"{_fmt(vi.get('hard_negative_held'))} of the time "
                  f"(n={_fmt(vi.get('hard_negatives_n'))}); ordinary comments from the abuse corpora "
                  f"held {_fmt(vi.get('background_clean_held'))}, the site's own comments (which "
                  f"identify nobody) {_fmt(vi.get('site_comments_held'))}.", ""]
    for cat in CATEGORIES:
        if cat in images:
            lines += [f"![{cat} precision-recall curve]({images[cat]})", ""]

    lines += attributes.card_lines(m)
    lines += ["### Abuse by source", ""]
    rows = sorted((ab.get("by_source") or {}).items())
    lines += _table(rows, cols, "source") + [""]
    if ab.get("by_case"):
        lines += ["### Abuse on the site's own comments, by case (share held)", ""]
        lines += _table(sorted(ab["by_case"].items()), ["n", "held"], "case") + [""]
    if vi.get("by_case"):
        lines += ["### Victim identification by case (share held)", ""]
        rows = sorted(vi["by_case"].items())
        lines += _table(rows, ["n", "held"], "case") + [""]

    lines += ["## Data", ""]
    counts = m.get("training_counts") or {}
    for cat in CATEGORIES:
        c = counts.get(cat) or {}
        for split in ("train", "calibration", "heldout"):
            if split in c:
                total = sum(v.get("n", 0) for v in c[split].values())
                pos = sum(v.get("positives", 0) for v in c[split].values())
                lines.append(f"- `{cat}` {split}: {total} comments ({pos} positive) from "
                             + ", ".join(f"{s} {v.get('n', 0)}" for s, v in c[split].items()))
    tr = getattr(scorer, "training", {}) or {}
    lines += ["", f"Abuse corpora: {', '.join(tr.get('abuse_data') or []) or '–'}; "
              f"max per source: {_fmt(tr.get('max_per_source'))}; moderator decisions: "
              f"{_fmt(tr.get('extra'))}; training took {_fmt(m.get('training_seconds'))} s.",
              "Split: a hash of the normalised text puts 15 % of every corpus in held-out and 10 % in "
              "calibration, and a fifth of the site's own abuse comments in calibration; the "
              "victim-identification and site-comment held-out files are written independently "
              "and never trained on.", ""]
    lines += ["## Model", "",
              "Text is de-obfuscated (model/normalize.py), then hashed word 1-2 grams and character "
              "2-5 grams (no vocabulary), plus hand-crafted evidence features: person names "
              "(gazetteer, capitalised pairs; officials excluded), streets/estates/addresses, "
              "schools and year groups, workplaces, exact ages, handles and links, relationship "
              "words, victim-context words and negative evidence (titles, 'said', "
              "convicted/jailed, self-disclosure, 'Girl A'); for abuse, a lexicon and cues "
              "(targeted insults, calls for violence, group hate, victim blaming, sexual remarks). "
              "Abuse: logistic regression (SGD); "
              "victim identification: logistic regression (liblinear) with 5-fold out-of-fold "
              "calibration. Source weights: "
              + ", ".join(f"{k} {v}" for k, v in (tr.get("source_weights") or {}).items()) + "."
              + (f" Teacher lexicon `{tr['teacher_lexicon']}`: word priors read from "
                 "all-MiniLM-L6-v2 (built offline, tools/build_teacher_lexicon.py), three columns "
                 f"beside the abuse generalist's n-grams at gamma {tr.get('teacher_gamma')}."
                 if tr.get("teacher_lexicon") else ""), ""]
    lines += ["## Known limits", "", KNOWN_LIMITS]
    return "\n".join(lines)


def write_card(scorer, path: str | os.PathLike) -> Path:
    """Write the card (and PR-curve PNGs) for `scorer`; return the Markdown file's path."""
    path = Path(path)
    if path.is_dir():
        md = path / "MODEL_CARD.md"
        image = {cat: path / f"pr_{cat}.png" for cat in CATEGORIES}
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        md = Path(str(path) + ".card.md")
        image = {cat: Path(f"{path}.pr_{cat}.png") for cat in CATEGORIES}
    drawn = {cat: p.name for cat, p in image.items() if _plot(scorer.metrics or {}, cat, p)}
    md.write_text(card_markdown(scorer, drawn), encoding="utf-8")
    return md
