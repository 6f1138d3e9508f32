"""Sample-quality metrics on feature vectors (numpy float64), independent of where the features come from.

- FID (Heusel et al. 2017): Frechet distance between Gaussians fitted to two feature sets.
- Inception-Score analogue (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))) with our classifier; at most the
  number of classes, high when each image is confidently one class and the classes are spread.
- Precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of balls reaching each point's
  k-th nearest neighbour in that set; precision = share of generated points inside the real manifold (fidelity),
  recall = share of real points inside the generated manifold (coverage, the diversity that matters).
- Within-class precision and recall: the same, between the real and generated images of one class, averaged over
  classes. Plain precision and recall do not look at labels: good images of the wrong class score well there.
  Within a class, wrong-class images cost precision, and recall asks for the variety of that class.
- Diversity: mean pairwise feature distance between images of one class, averaged over classes.
"""
import numpy as np


def gaussian(features: np.ndarray):
    return features.mean(0), np.cov(features, rowvar=False)


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^1/2); the trace of the square root is taken through the symmetric
    form (C1^1/2 C2 C1^1/2)^1/2, which has the same eigenvalues and keeps the computation in eigh."""
    w1, v1 = np.linalg.eigh(cov1)
    sqrt1 = (v1 * np.sqrt(np.clip(w1, 0, None))) @ v1.T
    inner = sqrt1 @ cov2 @ sqrt1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    return frechet_distance(*gaussian(features_a), *gaussian(features_b))


def inception_score(probs: np.ndarray) -> float:
    marginal = probs.mean(0, keepdims=True)
    kl = (probs * (np.log(probs + 1e-12) - np.log(marginal + 1e-12))).sum(1)
    return float(np.exp(kl.mean()))


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest other point of the same set."""
    d = pairwise_distances(features, features)
    np.fill_diagonal(d, np.inf)
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def coverage(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1024) -> float:
    """Share of `points` inside at least one ball (centres[i], radii[i])."""
    inside = 0
    for i in range(0, len(points), chunk):
        inside += (pairwise_distances(points[i:i + chunk], centres) <= radii[None, :]).any(1).sum()
    return float(inside / len(points))


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3):
    precision = coverage(fake, real, knn_radii(real, k))
    recall = coverage(real, fake, knn_radii(fake, k))
    return precision, recall


def class_diversity(features: np.ndarray, labels: np.ndarray) -> float:
    """Mean over classes (with >= 2 images) of the mean pairwise feature distance within the class."""
    per_class = []
    for c in np.unique(labels):
        f = features[labels == c]
        if len(f) < 2:
            continue
        d = pairwise_distances(f, f)
        per_class.append(d.sum() / (len(f) * (len(f) - 1)))
    return float(np.mean(per_class))


def class_precision_recall(real: np.ndarray, real_labels: np.ndarray, fake: np.ndarray, fake_labels: np.ndarray,
                           k: int = 3, seed: int = 0):
    """Precision and recall per class, on sets of equal size (the smaller of the two), averaged over the classes
    that have more than k images on both sides."""
    rng = np.random.default_rng(seed)
    precisions, recalls = [], []
    for c in np.unique(fake_labels):
        r, f = real[real_labels == c], fake[fake_labels == c]
        m = min(len(r), len(f))
        if m <= k:
            continue
        p, rc = precision_recall(r[rng.permutation(len(r))[:m]], f[rng.permutation(len(f))[:m]], k)
        precisions.append(p)
        recalls.append(rc)
    return float(np.mean(precisions)), float(np.mean(recalls))
