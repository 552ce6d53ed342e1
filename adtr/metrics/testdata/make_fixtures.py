#!/usr/bin/python3
"""Writes fixtures.json: reference metric values for the Go tests of package metrics.

Run with the Debian interpreter, which has scikit-learn and SciPy:

    /usr/bin/python3 make_fixtures.py

AUROC and F1-max come from scikit-learn (roc_auc_score, precision_recall_curve). AU-PRO has no
scikit-learn function; it is computed here by brute force, independently of the Go sweep: for
every distinct threshold, the FPR over all normal pixels and the overlap of every 8-connected
ground-truth region (scipy.ndimage.label) are recounted from scratch, then the curve from (0, 0)
is integrated with the trapezoid rule up to max_fpr (interpolated there) and divided by max_fpr.
"""
import json
import os

import numpy as np
from scipy import ndimage
from sklearn.metrics import precision_recall_curve, roc_auc_score


def f1_max(labels, scores):
    precision, recall, _ = precision_recall_curve(labels, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    return float(np.nanmax(f1))


def binary_case(name, rng, n, pos_frac, levels, shift):
    """n scores quantised to `levels` steps (ties), positives shifted by `shift` (negative = inverted)."""
    labels = rng.random(n) < pos_frac
    labels[0], labels[1] = True, False  # both classes present
    scores = rng.normal(size=n) + shift * labels
    if levels:
        scores = np.round(scores * levels) / levels
    scores = np.round(scores, 4)
    return {
        "name": name,
        "scores": scores.tolist(),
        "labels": labels.astype(int).tolist(),
        "auroc": float(roc_auc_score(labels, scores)),
        "f1max": f1_max(labels, scores),
    }


def blob_mask(rng, w, h, blobs):
    """A mask with `blobs` random filled ellipses, plus a pair of pixels touching only diagonally."""
    yy, xx = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), dtype=np.uint8)
    for _ in range(blobs):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = rng.uniform(1, w / 5), rng.uniform(1, h / 5)
        mask[((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1] = 1
    if blobs:
        x, y = rng.integers(0, w - 1), rng.integers(0, h - 1)
        mask[y, x] = 1
        mask[y + 1, x + 1] = 1
    return mask


def brute_pro(maps, masks, max_fpr):
    normal, regions = [], []
    for m, g in zip(maps, masks):
        if g is None:
            continue
        labelled, n = ndimage.label(g, structure=np.ones((3, 3), dtype=int))
        normal.append(m[labelled == 0])
        regions += [m[labelled == k] for k in range(1, n + 1)]
    normal = np.concatenate(normal)
    thresholds = np.unique(np.concatenate([normal] + regions))[::-1]
    fpr = [0.0] + [float(np.mean(normal >= t)) for t in thresholds]
    pro = [0.0] + [float(np.mean([np.mean(r >= t) for r in regions])) for t in thresholds]
    area = 0.0
    for i in range(1, len(fpr)):
        x0, x1, y0, y1 = fpr[i - 1], fpr[i], pro[i - 1], pro[i]
        if x0 >= max_fpr:
            break
        if x1 > max_fpr:
            y1 = y0 + (y1 - y0) * (max_fpr - x0) / (x1 - x0)
            x1 = max_fpr
        area += (x1 - x0) * (y0 + y1) / 2
    return area / max_fpr


def pro_case(name, rng, n_images, w, h, levels, signal, drop_mask, max_fprs):
    maps, masks = [], []
    for i in range(n_images):
        mask = blob_mask(rng, w, h, blobs=i % 3)  # image 0 is normal, others have 1 or 2 blobs
        noise = ndimage.gaussian_filter(rng.normal(size=(h, w)), 1.0)
        m = np.round((noise + signal * ndimage.gaussian_filter(mask.astype(float), 1.0)) * levels) / levels
        maps.append(m.astype(np.float32))
        masks.append(None if i == drop_mask else mask)
    used_maps = [m for m, g in zip(maps, masks) if g is not None]
    used_masks = [g for g in masks if g is not None]
    pixel_labels = np.concatenate([g.ravel() for g in used_masks])
    pixel_scores = np.concatenate([m.ravel() for m in used_maps])
    return {
        "name": name,
        "width": w,
        "height": h,
        "maps": [m.ravel().astype(float).tolist() for m in maps],
        "masks": [None if g is None else g.ravel().tolist() for g in masks],
        "pixel_auroc": float(roc_auc_score(pixel_labels, pixel_scores)),
        "aupro": [{"max_fpr": f, "value": brute_pro(maps, masks, f)} for f in max_fprs],
    }


def main():
    rng = np.random.default_rng(20240611)
    fixtures = {
        "binary": [
            binary_case("n8-integer-ties", rng, 8, 0.5, 1, 1.0),
            binary_case("n37-coarse-ties", rng, 37, 0.3, 2, 1.5),
            binary_case("n200-ties", rng, 200, 0.2, 10, 1.0),
            binary_case("n200-inverted", rng, 200, 0.5, 10, -1.0),
            binary_case("n1000-fine", rng, 1000, 0.1, 0, 0.5),
            binary_case("n1000-ties-balanced", rng, 1000, 0.5, 4, 0.3),
        ],
        "pro": [
            pro_case("4x16x16", rng, 4, 16, 16, 8, 1.5, -1, [0.3, 0.05, 1.0]),
            pro_case("6x20x12-nil-mask", rng, 6, 20, 12, 4, 1.0, 4, [0.3, 0.1]),
            pro_case("5x24x24-fine", rng, 5, 24, 24, 1000, 0.8, -1, [0.3]),
        ],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
    with open(path, "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
