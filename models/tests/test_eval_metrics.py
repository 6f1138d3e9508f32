"""The quality metrics on feature sets whose answers are known in closed form; the comparison table's row names."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "eval"))
from evaluate import COMPARISON, ROOT, class_counts, describe_row  # noqa: E402
from metrics import (class_diversity, class_precision_recall, fid, frechet_distance, inception_score,  # noqa: E402
                     precision_recall)


def test_fid_is_zero_for_one_set_and_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 8))
    assert fid(a, a) == pytest.approx(0, abs=1e-8)
    # Gaussians N(0, I) and N(m, s^2 I) in d dims: |m|^2 + d (1 - s)^2.
    d, s = 8, 2.0
    mu2 = np.full(d, 0.5)
    assert frechet_distance(np.zeros(d), np.eye(d), mu2, s * s * np.eye(d)) == pytest.approx(d * 0.25 + d * (1 - s) ** 2)
    # ...and the estimate from samples approaches it.
    b = rng.normal(size=(4000, d)) * s + mu2
    assert fid(a, b) == pytest.approx(d * 0.25 + d * (1 - s) ** 2, rel=0.08)


def test_fid_handles_non_diagonal_covariances():
    cov1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    cov2 = np.array([[1.0, -0.3], [-0.3, 0.5]])
    # Reference value from the definition tr(C1 + C2 - 2 (C1 C2)^1/2) with the eigen-decomposition of C1 C2.
    w = np.linalg.eigvals(cov1 @ cov2)
    expected = np.trace(cov1) + np.trace(cov2) - 2 * np.sqrt(w).real.sum()
    assert frechet_distance(np.zeros(2), cov1, np.zeros(2), cov2) == pytest.approx(expected)


def test_inception_score_bounds():
    confident_uniform = np.eye(10)[np.arange(1000) % 10]
    assert inception_score(confident_uniform) == pytest.approx(10, rel=1e-6)
    all_one_class = np.eye(10)[np.zeros(1000, dtype=int)]
    assert inception_score(all_one_class) == pytest.approx(1, rel=1e-6)
    unsure = np.full((1000, 10), 0.1)
    assert inception_score(unsure) == pytest.approx(1, rel=1e-6)


def test_precision_and_recall_separate_fidelity_from_coverage():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(1000, 2))
    same = rng.normal(size=(1000, 2))
    p, r = precision_recall(real, same)
    assert p > 0.9 and r > 0.9
    far = rng.normal(size=(1000, 2)) + 50
    assert precision_recall(real, far) == (0.0, 0.0)
    # A generator that collapses onto one corner of the real data: precise but without coverage.
    collapsed = rng.normal(size=(1000, 2)) * 0.1 + np.array([1.0, 1.0])
    p, r = precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.2


def test_class_diversity_is_the_mean_within_class_distance():
    features = np.array([[0.0, 0], [3, 4], [0, 0], [0, 1], [9, 9]])
    labels = np.array([0, 0, 1, 1, 2])  # class 2 has one image and is left out
    assert class_diversity(features, labels) == pytest.approx((5 + 1) / 2)


def test_class_counts_follow_the_training_split():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    assert class_counts(labels, 4, 10) == [5, 3, 2, 0]
    counts = class_counts(np.array([0, 1, 2]), 3, 100)
    assert sum(counts) == 100 and max(counts) - min(counts) <= 1


def test_within_class_precision_and_recall_see_what_the_labels_ask_for():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [20.0, 0.0]])
    real_labels = np.repeat([0, 1], 300)
    real = centres[real_labels] + rng.normal(size=(600, 2))
    fake_labels = rng.integers(0, 2, 600)
    # Good images of the wrong class: the label-blind metrics see nothing wrong, the within-class ones do.
    swapped = centres[1 - fake_labels] + rng.normal(size=(600, 2))
    p, r = precision_recall(real, swapped)
    assert p > 0.9 and r > 0.9
    assert class_precision_recall(real, real_labels, swapped, fake_labels) == (0.0, 0.0)
    # Labels ignored (a coin flip): half of each class's samples are wrong, which costs precision in class.
    label_blind = centres[rng.integers(0, 2, 600)] + rng.normal(size=(600, 2))
    cp, _ = class_precision_recall(real, real_labels, label_blind, fake_labels)
    assert cp < 0.6
    honest = centres[fake_labels] + rng.normal(size=(600, 2))
    cp, cr = class_precision_recall(real, real_labels, honest, fake_labels)
    assert cp > 0.85 and cr > 0.85


def test_comparison_rows_describe_the_shipped_flagship_from_its_manifest():
    name, model_dir, what = COMPARISON[0]
    manifest = json.load(open(os.path.join(ROOT, model_dir, "manifest.json")))
    name, what = describe_row(name, what, manifest)
    widths = "/".join(map(str, manifest["model_config"]["module_widths"]))
    assert name == f"{manifest['title']}, shipped"
    assert f"3 modules {widths}, flow head {manifest['model_config']['flow_width']} wide" in what
    assert f"{manifest['training']['steps']:,} steps" in what and "{" not in what


def test_results_page_has_a_temperature_table_with_the_default_in_bold():
    from evaluate import markdown

    def metrics(fid):
        return {"fid": fid, "inception_score": 6.0, "class_accuracy": 0.7, "precision": 0.9, "recall": 0.5,
                "class_precision": 0.8, "class_recall": 0.6, "diversity": 6.0, "seconds_per_image": 0.03}

    results = {"floor": metrics(1.0), "train_count": 10, "eval_count": 5, "feature_net_heldout_accuracy": 0.5,
               "classes": 2, "samples": 10, "k": 3, "set_size": 5, "defaults_text": "few-step sampler",
               "comparison": [], "sweep": [], "pair_sweep": [], "missing": [], "sweep_model": "public/models/m",
               "temperature_sweep": [{"temperature": 0.75, "default": False, "metrics": metrics(2.3)},
                                     {"temperature": 0.85, "default": True, "metrics": metrics(2.2)}]}
    text = markdown(results)
    assert "**Temperature sweep** (public/models/m" in text
    assert "| 0.75 | 2.30 (2.3x) |" in text and "| **0.85** | 2.20 (2.2x) |" in text
    del results["temperature_sweep"]  # an earlier run's results.json has none: no table
    assert "Temperature sweep" not in markdown(results)
