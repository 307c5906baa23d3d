"""Small synthetic inputs shared by the CRF tests (blob images with network-like probabilities)."""
import numpy as np
import torch


def blob_batch(n, h, w, c, seed=0):
    """(images (n, h, w, 3) uint8, probs (n, c, h, w) float32 tensor) with coloured blobs per class."""
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, h, w, 3), np.float32)
    logits = np.zeros((n, c, h, w), np.float32)
    yy, xx = np.mgrid[:h, :w]
    for i in range(n):
        imgs[i] = rng.uniform(0, 255, 3)
        logits[i, 0] = 1.0
        for _ in range(3):
            k = int(rng.integers(1, c))
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(min(h, w) / 8, min(h, w) / 3)
            m = (yy - cy)**2 + (xx - cx)**2 < r * r
            imgs[i][m] = rng.uniform(0, 255, 3)
            logits[i, k][m] += 2.0
        imgs[i] += rng.normal(0, 6, (h, w, 3))
    logits += rng.normal(0, 1.0, logits.shape).astype(np.float32)
    probs = torch.softmax(torch.from_numpy(logits), 1)
    return np.clip(imgs, 0, 255).astype(np.uint8), probs
