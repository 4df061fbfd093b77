"""Safe model files: skops with an explicit list of trusted types.

Never pickle, never ``trusted=True``. A file is refused (``ModelLoadError``)
when it is not a valid skops archive, when it names any type outside
``TRUSTED_TYPES`` (skops' own defaults -- numpy, scipy, scikit-learn
estimators -- plus ours), when its SHA-256 does not match the one expected
(the manifest's, or the caller's, e.g. the registry's), or when it was built
by an incompatible feature version.

``save`` writes ``PATH`` atomically and a sidecar manifest ``PATH.json``
(version, sha256, created_at, thresholds, metrics); ``load`` checks it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import skops.io as sio

from model.features import FEATURE_VERSION

# Our own classes; everything else must be on skops' default trusted list.
TRUSTED_TYPES: list[str] = [
    "model.domain_gate.GatedLinear",
    "model.features.AbuseLexiconFeatures",
    "model.features.CharNgramHasher",
    "model.features.VictimFeatures",
    "model.features.WordNgramHasher",
    "model.normalize.TextNormalizer",
    "model.scoring.Scorer",
    "model.teacher_lexicon.TeacherLexiconFeatures",
]
MANIFEST_SUFFIX = ".json"
FORMAT = "moderation-model/skops-1"


class ModelLoadError(Exception):
    """The bytes are not a model this code will run (foreign, tampered, corrupt, stale)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(scorer) -> bytes:
    return sio.dumps(scorer, compression=zipfile.ZIP_DEFLATED, compresslevel=6)


def loads(data: bytes, expected_sha256: str | None = None):
    """Load a Scorer from bytes, refusing anything untrusted or unexpected."""
    from model.scoring import Scorer

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelLoadError("model data must be bytes")
    data = bytes(data)
    if expected_sha256 is not None and sha256_hex(data) != expected_sha256.lower():
        raise ModelLoadError("model data does not match its expected sha256 (tampered or truncated)")
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # not a zip, missing schema, ...
        raise ModelLoadError(f"not a valid model file ({type(exc).__name__})") from None
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ModelLoadError(f"model file contains untrusted types: {', '.join(unexpected[:10])}")
    try:
        obj = sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ModelLoadError(f"model file could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, Scorer):
        raise ModelLoadError(f"model file holds a {type(obj).__name__}, not a Scorer")
    if getattr(obj, "feature_version", None) != FEATURE_VERSION:
        raise ModelLoadError(
            f"model built with feature version {getattr(obj, 'feature_version', None)!r}; this code "
            f"computes version {FEATURE_VERSION!r} -- retrain it")
    return obj


def manifest_of(scorer, sha: str) -> dict:
    return {
        "format": FORMAT,
        "version": scorer.version,
        "sha256": sha,
        "created_at": scorer.created_at,
        "feature_version": scorer.feature_version,
        "thresholds": scorer.thresholds,
        "metrics": scorer.metrics,
    }


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(scorer, path: str | os.PathLike) -> str:
    """Write the model and its manifest; return the file's sha256."""
    path = Path(path)
    data = dumps(scorer)
    sha = sha256_hex(data)
    _atomic_write(path, data)
    manifest = json.dumps(manifest_of(scorer, sha), indent=2, sort_keys=True).encode("utf-8")
    _atomic_write(Path(str(path) + MANIFEST_SUFFIX), manifest)
    return sha


def read_manifest(path: str | os.PathLike) -> dict:
    mpath = Path(str(path) + MANIFEST_SUFFIX)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"no manifest {mpath.name} beside the model file") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"unreadable manifest {mpath.name}: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sha256"), str):
        raise ModelLoadError(f"manifest {mpath.name} has no sha256")
    return manifest


def load(path: str | os.PathLike, expected_sha256: str | None = None):
    """Load a model file, checking it against its manifest (and `expected_sha256` if given)."""
    path = Path(path)
    manifest = read_manifest(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read model file: {exc}") from None
    if expected_sha256 is not None and manifest["sha256"] != expected_sha256.lower():
        raise ModelLoadError("manifest sha256 differs from the expected one")
    scorer = loads(data, expected_sha256=manifest["sha256"])
    if manifest.get("version") != scorer.version:
        raise ModelLoadError("manifest version does not match the model file")
    return scorer
