"""The evaluation's feature network: a small CNN classifier trained on the emoji training split.

FID, the Inception-Score analogue, precision/recall and diversity are computed in its 128-d penultimate feature
space, and its class predictions score conditioning fidelity. An ImageNet Inception network cannot be downloaded
here, and it would not know 32 px emoji anyway; a network trained on this data set sees the differences that
matter in it. Its held-out accuracy (on the eval split's unseen emoji identities) is reported with every result,
since metrics in its feature space are only as meaningful as the features.
"""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FEATURE_DIM = 128


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


class FeatureNet(nn.Module):
    """32x32 RGB uint8 -> 128-d features (global average pool) -> class logits."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.body = nn.Sequential(
            conv_block(3, 32), nn.MaxPool2d(2),          # 16x16
            conv_block(32, 64), nn.MaxPool2d(2),         # 8x8
            conv_block(64, FEATURE_DIM), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(FEATURE_DIM, num_classes)

    @staticmethod
    def prepare(images_u8: torch.Tensor) -> torch.Tensor:
        """uint8 [N, H, W, 3] -> float [N, 3, H, W] in [-1, 1]."""
        return images_u8.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)

    def forward(self, x: torch.Tensor):
        features = self.body(x)
        return features, self.classifier(self.dropout(features))


def shifted(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Random translation by up to max_shift pixels, filled with white (the data set's background, +1)."""
    n, _, h, w = x.shape
    padded = F.pad(x, [max_shift] * 4, value=1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train_feature_net(train_images: torch.Tensor, train_labels: torch.Tensor, num_classes: int,
                      epochs: int = 16, batch_size: int = 128, seed: int = 0, log=print) -> FeatureNet:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = FeatureNet(num_classes)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=5e-4)
    steps = epochs * ((len(train_labels) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    x_all = FeatureNet.prepare(train_images)
    start = time.time()
    net.train()
    for epoch in range(epochs):
        order = torch.randperm(len(train_labels), generator=generator)
        correct = 0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            x = shifted(x_all[idx], 2, generator)
            _, logits = net(x)
            loss = F.cross_entropy(logits, train_labels[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            correct += (logits.argmax(1) == train_labels[idx]).sum().item()
        log(f"feature net epoch {epoch + 1}/{epochs}: train accuracy {correct / len(order):.3f}, "
            f"{time.time() - start:.0f} s")
    return net.eval()


@torch.no_grad()
def embed(net: FeatureNet, images_u8: torch.Tensor, batch_size: int = 500):
    """(features float64 [N, 128], class probabilities float64 [N, C]) of uint8 images [N, H, W, 3]."""
    net.eval()
    feats, probs = [], []
    for i in range(0, len(images_u8), batch_size):
        f, logits = net(FeatureNet.prepare(images_u8[i:i + batch_size]))
        feats.append(f.double())
        probs.append(logits.double().softmax(1))
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float((probs.argmax(1) == labels).mean())
