"""release.sh ship replaces the shipped model only when the snapshot's quick FID is lower (models/release_gate.py)."""
import json

from release_gate import main


def scores_file(tmp_path, shipped_fid, snapshot_fid):
    path = tmp_path / "score.json"
    path.write_text(json.dumps({
        "floor": {"fid": 0.9},
        'models/checkpoints/m.pt {"guidance": 4}': {"fid": shipped_fid},
        'runs/m-snap/checkpoint.pt {"guidance": 4}': {"fid": snapshot_fid},
    }))
    return str(path)


def test_a_better_snapshot_passes(tmp_path):
    assert main([scores_file(tmp_path, 6.6, 5.9), "models/checkpoints/m.pt", "runs/m-snap/checkpoint.pt"]) == 0


def test_a_worse_or_equal_snapshot_is_refused(tmp_path):
    assert main([scores_file(tmp_path, 5.9, 6.6), "models/checkpoints/m.pt", "runs/m-snap/checkpoint.pt"]) == 1
    assert main([scores_file(tmp_path, 6.0, 6.0), "models/checkpoints/m.pt", "runs/m-snap/checkpoint.pt"]) == 1


def test_a_missing_score_is_an_error_not_a_pass(tmp_path):
    # A path that is a prefix of a scored one must not match it.
    assert main([scores_file(tmp_path, 6.6, 5.9), "models/checkpoints/m.pt", "runs/m-snap/check"]) == 2


def test_a_nan_score_is_refused(tmp_path):
    # A diverged snapshot scores NaN, and NaN >= x is False: the gate must not read that as "better".
    assert main([scores_file(tmp_path, 6.6, float("nan")), "models/checkpoints/m.pt", "runs/m-snap/checkpoint.pt"]) == 1
