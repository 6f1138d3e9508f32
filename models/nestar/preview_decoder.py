"""The preview decoder: a coarse scale's sub-grid of latents -> the small picture that sub-grid holds, without the
full decoder.

The nested tokenizer is trained so that a stride-s sub-grid, each latent repeated over its stride block, decodes to
the image blurred to what the sub-grid can hold (tokenizer.py). Decoding that costs a full decoder call per scale
(80M multiply-adds at 64 px): for v2 the three decoder calls cost more than the whole few-step generator (155M), and
in the page they were a third of a run. The preview decoder is a tiny convolutional net (2.7M multiply-adds at the
4x4 grid) trained to give that same blurred picture at a smaller size (pixels_per_latent pixels per latent: 32x32
for the 2x2 grid), which the runtime scales to full size bilinearly; the full decoder runs once, for the image.
Feeding the small sub-grid to the full decoder instead would not do: it was never trained on such a grid (mean
squared error to the final image 0.34 against 0.07 for the expanded preview, 2x2 scale, v3's tokenizer).

Mirrors src/previewDecoder.ts (the sub-grid it is fed and the bilinear upsampling).
"""
from dataclasses import asdict, dataclass
import hashlib

import torch
from torch import nn
import torch.nn.functional as F

from .checkpoint import load_of_format
from .tokenizer import NestedTokenizer, expand_subgrid

FORMAT = "nestar-preview-decoder"


@dataclass
class PreviewDecoderConfig:
    latent_channels: int = 16
    # Pixels per latent side of the small picture. The tokenizer's blurred targets hold 4, but its decoder draws
    # them smoothly, and the bilinear scaling loses that: for v2 the 4x4 preview's error to the final image was
    # 0.042 at 4, 0.037 at 8 and 0.034 at 16 (width 96; full decoder 0.024, train_preview_decoder.py).
    pixels_per_latent: int = 16
    width: int = 96

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PreviewDecoderConfig":
        return cls(**d)


class PreviewDecoder(nn.Module):
    """Normalised latents [B, C, g, g] -> pixels [B, 3, g*p, g*p] in the tokenizer's [-1, 1] range (any g)."""

    def __init__(self, cfg: PreviewDecoderConfig):
        super().__init__()
        self.config = cfg
        w, p = cfg.width, cfg.pixels_per_latent
        self.net = nn.Sequential(nn.Conv2d(cfg.latent_channels, w, 3, padding=1, padding_mode="replicate"), nn.SiLU(),
                                 nn.Conv2d(w, w, 3, padding=1, padding_mode="replicate"), nn.SiLU(),
                                 nn.Conv2d(w, 3 * p * p, 1), nn.PixelShuffle(p))

    def forward(self, z_BCgg):
        return self.net(z_BCgg)


class ExportedPreviewDecoder(nn.Module):
    """The browser's preview session: a scale's sub-grid of normalised latent tokens [B, g, g, C] (row-major, as
    the generator's grid holds them) -> pixels [B, g*p, g*p, 3] in [0, 1] (clamped)."""

    def __init__(self, decoder: PreviewDecoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, tokens_BggC):
        x = self.decoder(tokens_BggC.permute(0, 3, 1, 2))
        return ((x.permute(0, 2, 3, 1) + 1) * 0.5).clamp(0, 1)


def subgrid(z_BCGG, scale: int):
    """The scale-s sub-grid: the latents at stride G / 2^s."""
    stride = z_BCGG.shape[-1] >> scale
    return z_BCGG[:, :, ::stride, ::stride]


@torch.no_grad()
def teacher_preview(tokenizer: NestedTokenizer, z_BCGG, scale: int, pixels_per_latent: int):
    """What the preview decoder learns: the full decoder's output on the expanded sub-grid, average-pooled to
    pixels_per_latent pixels per sub-grid latent, in [-1, 1]."""
    side = (1 << scale) * pixels_per_latent
    return F.adaptive_avg_pool2d(tokenizer.decode(expand_subgrid(z_BCGG, scale)), side)


def upsample(x_BCHW, size: int):
    """The runtime's scaling of a preview to full size: bilinear with half-pixel centres, edges clamped
    (src/previewDecoder.ts upsampleBilinear)."""
    return F.interpolate(x_BCHW, size=(size, size), mode="bilinear", align_corners=False)


@torch.no_grad()
def conv_multiply_adds(module: nn.Module, x) -> int:
    """Multiply-adds of the convolutions of one forward pass of `module` on `x` (what dominates both decoders)."""
    total = 0

    def count(conv, _inputs, output):
        nonlocal total
        total += output.numel() * conv.in_channels // conv.groups * conv.kernel_size[0] * conv.kernel_size[1]

    hooks = [m.register_forward_hook(count) for m in module.modules() if isinstance(m, nn.Conv2d)]
    try:
        module(x)
    finally:
        for h in hooks:
            h.remove()
    return total


def tokenizer_fingerprint(tokenizer: NestedTokenizer) -> str:
    """Identifies the tokenizer a preview decoder was trained for (its decoder weights and latent statistics)."""
    h = hashlib.sha256()
    for name, t in sorted(tokenizer.state_dict().items()):
        if name.startswith("decoder.") or name.startswith("latent_"):
            h.update(name.encode())
            h.update(t.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def load(path: str, tokenizer: NestedTokenizer) -> PreviewDecoder:
    """A preview decoder file (models/train_preview_decoder.py), checked against the tokenizer it must serve."""
    state = load_of_format(path, FORMAT, "preview decoder", "models/train_preview_decoder.py")
    if state["tokenizer_fingerprint"] != tokenizer_fingerprint(tokenizer):
        raise ValueError(f"{path} was trained for another tokenizer (fingerprint {state['tokenizer_fingerprint']}, "
                         f"this one {tokenizer_fingerprint(tokenizer)})")
    decoder = PreviewDecoder(PreviewDecoderConfig.from_dict(state["config"]))
    decoder.load_state_dict(state["model"])
    return decoder.eval()
