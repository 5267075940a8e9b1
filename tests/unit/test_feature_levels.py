"""storage/feature_levels.py: the finalized levels UpdateFeatures changes, in a real data dir."""
from __future__ import annotations

from fastlog.storage.feature_levels import FILE, FeatureLevels

DEFAULTS = {"group.version": 1, "transaction.version": 2}
KEPT = frozenset({"transaction.version"})


def test_defaults_without_a_file(tmp_path):
    levels = FeatureLevels(str(tmp_path), DEFAULTS, KEPT)
    assert (levels.epoch, levels.finalized(), levels.level("transaction.version"), levels.level("nope")) == (
        0, DEFAULTS, 2, 0)
    assert not (tmp_path / FILE).exists()


def test_changes_of_kept_features_are_stored_with_an_epoch(tmp_path):
    levels = FeatureLevels(str(tmp_path), DEFAULTS, KEPT)
    levels.set({"transaction.version": 0, "group.version": 0})   # group.version is not kept: ignored
    assert (levels.epoch, levels.finalized()) == (1, {"group.version": 1})
    assert (tmp_path / FILE).read_text() == "epoch=1\ntransaction.version=0\n"
    levels.set({"transaction.version": 0})                         # no change, no new epoch
    assert levels.epoch == 1
    again = FeatureLevels(str(tmp_path), DEFAULTS, KEPT)
    assert (again.epoch, again.finalized()) == (1, {"group.version": 1})
    again.set({"transaction.version": 2})                          # back at the default: not written
    assert (tmp_path / FILE).read_text() == "epoch=2\n"
    assert FeatureLevels(str(tmp_path), DEFAULTS, KEPT).finalized() == DEFAULTS
