"""`moderation train | score | evaluate` -- the model's command-line tools.

``register(subparsers)`` adds the three sub-commands; each sets
``func=<callable(args) -> int>``. ``train_main(args)`` returns the trained
Scorer so the caller (the CLI / registry code) can also store it in Redis.
Progress goes to stderr; results to stdout. Comment texts are never logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.tenants import ALL_TENANTS, check_tenant
from model.categories import CATEGORIES
from moderation.progress import ProgressBar


def _settings():
    from core.config import Settings

    return Settings.from_env()


def _thresholds(scorer, settings) -> dict[str, float]:
    out = dict(scorer.thresholds)
    for cat in CATEGORIES:
        override = getattr(settings, f"hold_threshold_{cat}", -1.0)
        if override is not None and override >= 0:
            out[cat] = float(override)
    return out



def _summary(metrics: dict) -> dict:
    """The headline figures printed after training (full metrics are stored with the model)."""
    out: dict = {}
    for cat in CATEGORIES:
        m = metrics.get(cat) or {}
        keep = {k: m.get(k) for k in ("n", "positives", "threshold", "roc_auc", "average_precision",
                                      "precision", "recall", "clean_held")}
        if cat == "abuse":
            keep["stream_1pct"] = m.get("stream_1pct")
            keep["by_source"] = {s: {k: v.get(k) for k in ("n", "roc_auc", "average_precision",
                                                           "precision", "recall", "clean_held")}
                                 for s, v in (m.get("by_source") or {}).items()}
        else:
            keep["hard_negative_held"] = m.get("hard_negative_held")
            keep["background_clean_held"] = m.get("background_clean_held")
        out[cat] = keep
    # Training comments per source, so that a missing source shows at a glance.
    counts = metrics.get("training_counts") or {}
    out["trained_on"] = {cat: {source: c.get("n") for source, c in (counts.get(cat) or {})
                               .get("train", {}).items()} for cat in CATEGORIES}
    out["training_seconds"] = metrics.get("training_seconds")
    return out


def default_model_path(settings, version: str) -> Path:
    return Path(settings.model_dir) / f"model-{version}.skops"


def train_main(args) -> object:
    """Train, print metrics, write the model file(s) and card; return the Scorer."""
    from model import artifact, card
    from model.train import train

    settings = _settings()
    progress = ProgressBar()
    source = args.data or settings
    scorer = train(source, max_per_source=args.max_per_source, progress=progress,
                   victim_data=getattr(args, "victim_data", None), extra=getattr(args, "extra", ()))
    outputs = []
    if not getattr(args, "no_save", False):
        outputs.append(default_model_path(settings, scorer.version))
    if args.out:
        outputs.append(Path(args.out))
    for path in outputs:
        sha = artifact.save(scorer, path)
        card_path = card.write_card(scorer, path)
        print(f"wrote {path} (sha256 {sha[:12]}...), card {card_path}", file=sys.stderr)
    print(json.dumps({"version": scorer.version, "thresholds": scorer.thresholds,
                      "metrics": _summary(scorer.metrics)}, indent=2))
    return scorer


def _tenant_or_all(value: str) -> str:
    try:
        return check_tenant(value, allow_all=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _cmd_train(args) -> int:
    if not (args.register or args.activate):
        train_main(args)
        return 0
    # Registering: train on the moderator decisions in Redis too, as the training job does.
    import getpass

    from storage.connection import connect
    from storage.keys import Keys
    from storage.model_registry import ModelRegistry
    from worker.publishing import publish
    from worker.training import moderator_examples

    settings = _settings()
    redis, keys = connect(settings), Keys(settings.key_prefix)
    tenant = None if args.tenant == ALL_TENANTS else args.tenant
    args.extra, decisions = moderator_examples(redis, keys, tenant)
    print(f"moderator decisions ({'all tenants' if tenant is None else 'tenant ' + tenant}): "
          f"{json.dumps(decisions)}", file=sys.stderr)
    scorer = train_main(args)
    result = publish(ModelRegistry(redis, keys), settings, scorer, created_by=f"cli:{getpass.getuser()}",
                     activate_if_passed=args.activate,
                     extra_meta={"moderator_decisions": decisions,
                                 "options": {"tenant": tenant} if tenant else {}},
                     progress=ProgressBar())
    gate = result["gate"]
    verdict = "passed" if gate["passed"] else "failed: " + ", ".join(gate["failed"])
    print(f"registered {result['version']}; quality gate {verdict}; "
          f"{'activated' if result['activated'] else 'not activated (candidate)'}", file=sys.stderr)
    if result.get("note"):
        print(result["note"], file=sys.stderr)
    return 0


def _load(args):
    """The model named by --model (else the newest in MODEL_DIR); exits with code 2 and one
    line on stderr when it is missing, foreign or tampered with."""
    from model import artifact

    if args.model:
        path = args.model
    else:
        candidates = sorted(Path(_settings().model_dir).glob("*.skops"), key=lambda p: p.stat().st_mtime)
        if not candidates:
            raise SystemExit("no model file: pass --model PATH or run `moderation train`")
        path = candidates[-1]
    try:
        return artifact.load(path)
    except artifact.ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _cmd_score(args) -> int:
    from model.scoring import decide

    scorer = _load(args)
    thresholds = _thresholds(scorer, _settings())
    batch: list[tuple[int, str | None, str]] = []
    status = 0

    def flush():
        texts = [t for _, _, t in batch if t is not None]
        scores = iter(scorer.score_batch(texts)) if texts else iter(())
        for lineno, err, _text in batch:
            if err is not None:
                sys.stdout.write(json.dumps({"error": err, "line": lineno}) + "\n")
                continue
            s = next(scores)
            decision, reasons = decide(s, thresholds)
            row = {c: s.scores[c] for c in CATEGORIES}
            row.update(decision=decision, reasons=reasons, spans=[sp.to_dict() for sp in s.spans],
                       model_version=scorer.version)
            if s.kinds:  # a model with abuse kind heads
                row["abuse_kinds"] = s.kinds
            sys.stdout.write(json.dumps(row) + "\n")
        sys.stdout.flush()
        batch.clear()

    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            text = obj["text"] if isinstance(obj, dict) else None
            if not isinstance(text, str):
                raise KeyError("text")
            batch.append((lineno, None, text))
        except (ValueError, KeyError):
            batch.append((lineno, "expected a JSON object with a string 'text'", None))
            status = 1
        if len(batch) >= args.batch_size:
            flush()
    flush()
    return status


REPO_MODEL_DOC = Path(__file__).resolve().parents[2] / "docs" / "MODEL.md"


def _cmd_leave_one_out(args) -> int:
    from model.leave_one_out import format_table, leave_one_out, write_into_doc

    sources = [s for s in (args.sources or "").split(",") if s] or None
    result = leave_one_out(args.data or _settings(), max_per_source=args.max_per_source,
                           sources=sources, progress=ProgressBar(),
                           teacher_folds=args.teacher_folds)
    table = format_table(result)
    print(table)
    # a quick run never replaces the release table unless asked to
    doc = args.doc or (REPO_MODEL_DOC if args.max_per_source is None and REPO_MODEL_DOC.exists()
                       else None)
    if doc and not args.no_doc:
        write_into_doc(doc, table)
        print(f"wrote the table into {doc}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _cmd_evaluate(args) -> int:
    from model.corpora import load_file
    from model.evaluate import evaluate

    if args.leave_one_out:
        return _cmd_leave_one_out(args)
    if not args.data:
        print("error: --data FILE is required (or --leave-one-out)", file=sys.stderr)
        return 2
    scorer = _load(args)
    examples = list(load_file(args.data))
    if not examples:
        print("error: no labelled examples in --data", file=sys.stderr)
        return 1
    thresholds = _thresholds(scorer, _settings())
    metrics = evaluate(scorer, examples, thresholds)
    metrics = {"model_version": scorer.version, "examples": len(examples), **metrics}
    print(json.dumps(metrics, indent=2))
    return 0


def register(subparsers) -> None:
    """Add `train`, `score` and `evaluate` to an argparse sub-parser collection."""
    p = subparsers.add_parser("train", help="train a model (abuse + victim identification)",
                              description="Train on the abuse corpora (ABUSE_DATA) and the "
                              "project's victim-identification data; print held-out metrics; "
                              "write the model, its manifest and model card under MODEL_DIR.")
    p.add_argument("--out", metavar="PATH", help="also write the model to PATH (+ PATH.json, card)")
    p.add_argument("--max-per-source", type=int, default=None, metavar="N",
                   help="at most N training comments per abuse source (quick runs)")
    p.add_argument("--data", metavar="PATH", default=None,
                   help="abuse corpora folder or file (default: ABUSE_DATA)")
    p.add_argument("--no-save", action="store_true", help="do not write under MODEL_DIR")
    p.add_argument("--register", action=argparse.BooleanOptionalAction, default=False,
                   help="also train on the moderator decisions in Redis, store the version in the "
                        "Redis registry as a candidate (with its model card) and run the quality gate")
    p.add_argument("--activate", action="store_true",
                   help="with --register: activate the new version if it passes the quality gate")
    p.add_argument("--tenant", default=ALL_TENANTS, type=_tenant_or_all, metavar="T",
                   help="with --register: learn from the moderator decisions of tenant T only "
                        "(default '*': every tenant's)")
    p.set_defaults(func=_cmd_train)

    p = subparsers.add_parser("score", help="score JSON lines from stdin",
                              description="Read JSON lines with a 'text' field on stdin; write "
                              "one JSON line each, in order: abuse, victim_identification, "
                              "decision, reasons, spans.")
    p.add_argument("--model", metavar="PATH", help="model file (default: newest in MODEL_DIR)")
    p.add_argument("--batch-size", type=int, default=256, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_score)

    p = subparsers.add_parser("evaluate", help="metrics of a model on labelled JSON lines, or the "
                              "leave-one-source-out table")
    p.add_argument("--model", metavar="PATH", help="model file (default: newest in MODEL_DIR)")
    p.add_argument("--data", metavar="FILE",
                   help="JSON lines with 'text' and 0/1 labels per category (with --leave-one-out: "
                        "the abuse corpora folder, default ABUSE_DATA)")
    p.add_argument("--leave-one-out", action="store_true",
                   help="train without each abuse corpus in turn and score it, against a plain "
                        "TF-IDF baseline trained on the same rows; print the table and write it "
                        "into docs/MODEL.md (full runs)")
    p.add_argument("--max-per-source", type=int, default=None, metavar="N",
                   help="with --leave-one-out: at most N training rows per source (quick runs; "
                        "the table is written only with --doc)")
    p.add_argument("--sources", metavar="A,B", help="with --leave-one-out: leave out only these")
    p.add_argument("--doc", metavar="PATH", help="with --leave-one-out: write the table into PATH "
                   "(between the leave-one-out markers)")
    p.add_argument("--no-doc", action="store_true", help="with --leave-one-out: print only")
    p.add_argument("--json", metavar="PATH", help="with --leave-one-out: also write the figures as JSON")
    p.add_argument("--teacher-folds", metavar="DIR",
                   help="with --leave-one-out: the per-fold teacher-lexicon tables "
                        "(tools/build_teacher_lexicon.py --folds DIR); without it the folds' models "
                        "have no teacher columns")
    p.set_defaults(func=_cmd_evaluate)


def main(argv=None) -> int:
    """Stand-alone entry point (`python -m moderation.commands.model ...`)."""
    parser = argparse.ArgumentParser(prog="moderation")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
