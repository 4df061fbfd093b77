"""Model files: tampered, foreign, corrupt or stale files are refused."""

from __future__ import annotations

import json
import pickle
import zipfile

import pytest
import skops.io as sio

from model import artifact
from model.artifact import ModelLoadError


class NotAModel:
    def __init__(self):
        self.payload = "anything"


@pytest.fixture
def saved(small_scorer, tmp_path):
    path = tmp_path / "model.skops"
    sha = artifact.save(small_scorer, path)
    return path, sha


def test_save_writes_a_manifest_and_load_checks_it(saved, small_scorer):
    path, sha = saved
    manifest = json.loads((path.parent / "model.skops.json").read_text())
    assert manifest["sha256"] == sha and manifest["version"] == small_scorer.version
    assert manifest["thresholds"] == small_scorer.thresholds and "abuse" in manifest["metrics"]
    assert artifact.load(path, expected_sha256=sha).version == small_scorer.version


def test_a_tampered_file_is_refused(saved):
    path, sha = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="sha256"):
        artifact.load(path)
    with pytest.raises(ModelLoadError):
        artifact.loads(bytes(data), expected_sha256=sha)
    with pytest.raises(ModelLoadError):  # no expected hash: a corrupt archive still fails
        artifact.loads(bytes(data))


def test_bytes_that_do_not_match_the_expected_hash_are_refused(small_scorer):
    data = artifact.dumps(small_scorer)
    with pytest.raises(ModelLoadError, match="sha256"):
        artifact.loads(data, expected_sha256="0" * 64)
    assert artifact.loads(data, expected_sha256=artifact.sha256_hex(data)).version == \
        small_scorer.version


def test_a_foreign_file_with_untrusted_types_is_refused(tmp_path):
    data = sio.dumps(NotAModel())
    with pytest.raises(ModelLoadError, match="untrusted"):
        artifact.loads(data)
    # ...also when it arrives with a matching manifest
    path = tmp_path / "foreign.skops"
    path.write_bytes(data)
    (tmp_path / "foreign.skops.json").write_text(json.dumps(
        {"sha256": artifact.sha256_hex(data), "version": "x"}))
    with pytest.raises(ModelLoadError, match="untrusted"):
        artifact.load(path)


def test_a_trusted_but_wrong_object_is_refused():
    with pytest.raises(ModelLoadError, match="not a Scorer"):
        artifact.loads(sio.dumps({"version": "1"}))


def test_pickles_and_garbage_are_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(NotAModel())
    for data in (payload, b"", b"PK\x03\x04 not really a zip", b"\x00" * 100):
        with pytest.raises(ModelLoadError):
            artifact.loads(data)
    assert not marker.exists()


def test_a_model_file_without_its_manifest_is_refused(saved):
    path, _ = saved
    (path.parent / "model.skops.json").unlink()
    with pytest.raises(ModelLoadError, match="manifest"):
        artifact.load(path)


def test_an_archive_with_a_swapped_member_is_refused(saved, tmp_path):
    path, _ = saved
    evil = tmp_path / "evil.skops"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "schema.json":
                schema = json.loads(body)
                schema["__class__"] = "NotAModel"
                schema["__module__"] = "tests.test_model_artifact"
                body = json.dumps(schema).encode()
            dst.writestr(item, body)
    with pytest.raises(ModelLoadError):
        artifact.loads(evil.read_bytes())


def test_a_model_from_an_incompatible_feature_version_is_refused(small_scorer, monkeypatch):
    data = artifact.dumps(small_scorer)
    monkeypatch.setattr(artifact, "FEATURE_VERSION", "0-other")
    with pytest.raises(ModelLoadError, match="feature version"):
        artifact.loads(data)
