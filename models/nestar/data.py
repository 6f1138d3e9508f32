"""The emoji data set built by models/data/build_emoji_dataset.mjs, as tensors."""
import json
import os

import numpy as np
import torch

from .tokens import normalize, patchify

DEFAULT_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", ".cache")


class EmojiDataset:
    """All images of one split in memory (a few MB): uint8 [N, S, S, 3], labels [N], plus the index metadata."""

    def __init__(self, split: str, image_size: int = 32, root: str = DEFAULT_ROOT):
        folder = os.path.join(root, f"emoji-{image_size}")
        index_path = os.path.join(folder, "index.json")
        if not os.path.exists(index_path):
            raise FileNotFoundError(f"no emoji data set at {folder}: build it with "
                                    f"`node models/data/build_emoji_dataset.mjs --size {image_size}`")
        with open(index_path) as f:
            self.index = json.load(f)
        if self.index["size"] != image_size:
            raise ValueError(f"{index_path} holds {self.index['size']}px images, asked for {image_size}px")
        raw = np.fromfile(os.path.join(folder, "images.u8"), dtype=np.uint8)
        expected = self.index["count"] * image_size * image_size * 3
        if raw.size != expected:
            raise ValueError(f"images.u8 has {raw.size} bytes, index.json promises {expected}: rebuild with --force")
        images = raw.reshape(self.index["count"], image_size, image_size, 3)
        if split not in ("train", "eval", "all"):
            raise ValueError(f"split must be train, eval or all, got {split!r}")
        keep = [i for i, it in enumerate(self.index["items"]) if split == "all" or it["split"] == split]
        self.images = torch.from_numpy(images[keep].copy())
        self.labels = torch.tensor([self.index["items"][i]["class"] for i in keep])
        self.classes = self.index["classes"]

    def __len__(self):
        return len(self.labels)

    def tokens(self, patch: int, mean: float, std: float):
        """Normalised pixel-patch tokens [N, n, 3p^2]."""
        return patchify(normalize(self.images, mean, std), patch)
