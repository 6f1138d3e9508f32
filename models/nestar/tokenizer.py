"""The nested tokenizer: a convolutional autoencoder whose every prefix of the nested order decodes.

64x64 RGB -> a G x G grid of continuous latents (G = image_size / downsample) and back. Trained with
  - the full grid: the decoder must give back the image;
  - each coarser scale s (the 2^s x 2^s sub-grid at stride G / 2^s), each latent repeated over its stride block:
    the decoder must give the image blurred to what that sub-grid can hold (average-pooled to
    `pixels_per_latent` pixels per latent, upsampled bilinearly).
The prefix losses are what make a finished scale a real low-resolution picture: a plain autoencoder puts only
its corner's content into a sub-grid latent and its previews are stripes (../shared/evidence/). The encoder has a
coarse context path (pooled to the coarse grids and added back) so that a sub-grid latent can know its block.

Latents are regularised by noise during training (a smooth latent space for the generator) and normalised per
channel after training; the exported decoder takes the normalised latents the generator produces.
"""
from dataclasses import asdict, dataclass
import math

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class TokenizerConfig:
    image_size: int = 64
    latent_channels: int = 16
    downsample: int = 8  # pixels per latent side: 64 / 8 = an 8x8 latent grid
    widths: tuple = (64, 128)  # at image/4 and image/8
    blocks_per_stage: int = 2
    latent_noise_std: float = 0.1  # training-time noise on the latents, relative to their batch std
    latent_l2: float = 1e-4  # keeps latents near the origin (the mean term of a KL)
    prefix_weight: float = 1.0  # weight of each coarse-scale loss
    pixels_per_latent: int = 4  # a stride-s sub-grid latent is asked for this many pixels of the blurred image

    def __post_init__(self):
        self.widths = tuple(self.widths)
        if self.downsample != 8 or len(self.widths) != 2:
            raise ValueError("this tokenizer patchifies by 4 and then halves once: downsample must be 8")
        g = self.grid
        if g < 2 or g & (g - 1):
            raise ValueError(f"latent grid {g} must be a power of two >= 2")

    @property
    def grid(self) -> int:
        return self.image_size // self.downsample

    @property
    def num_scales(self) -> int:
        return int(math.log2(self.grid))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TokenizerConfig":
        return cls(**d)


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(8, width), nn.SiLU(), nn.Conv2d(width, width, 3, padding=1),
                                  nn.GroupNorm(8, width), nn.SiLU(), nn.Conv2d(width, width, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class Encoder(nn.Module):
    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        w1, w2 = cfg.widths
        self.stem = nn.Conv2d(3, w1, 4, stride=4)  # patchify by 4
        self.stage1 = nn.Sequential(*[ResBlock(w1) for _ in range(cfg.blocks_per_stage)])
        self.down = nn.Conv2d(w1, w2, 2, stride=2)
        self.stage2 = nn.Sequential(*[ResBlock(w2) for _ in range(cfg.blocks_per_stage)])
        # Coarse context: one 1x1 projection per coarser grid (2x2, 4x4, ...), added back at full grid resolution.
        self.context = nn.ModuleList(nn.Conv2d(w2, w2, 1) for _ in range(cfg.num_scales - 1))
        self.out = nn.Sequential(nn.GroupNorm(8, w2), nn.SiLU(), nn.Conv2d(w2, cfg.latent_channels, 1))

    def forward(self, x_BCHW):
        h = self.stage2(self.down(self.stage1(self.stem(x_BCHW))))
        g = h.shape[-1]
        ctx = 0
        for k, proj in enumerate(self.context):
            side = 2 << k  # 2, 4, ...
            pooled = proj(F.adaptive_avg_pool2d(h, side))
            ctx = ctx + F.interpolate(pooled, size=(g, g), mode="nearest")
        return self.out(h + ctx)


class Decoder(nn.Module):
    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        w1, w2 = cfg.widths
        self.inp = nn.Conv2d(cfg.latent_channels, w2, 3, padding=1)
        self.stage2 = nn.Sequential(*[ResBlock(w2) for _ in range(cfg.blocks_per_stage)])
        self.up = nn.Sequential(nn.Conv2d(w2, 4 * w1, 1), nn.PixelShuffle(2))
        self.stage1 = nn.Sequential(*[ResBlock(w1) for _ in range(cfg.blocks_per_stage)])
        self.out = nn.Sequential(nn.GroupNorm(8, w1), nn.SiLU(), nn.Conv2d(w1, 3 * 16, 1), nn.PixelShuffle(4))

    @property
    def last_layer_weight(self):
        """The weight of the conv that makes the pixels (where an adversarial loss's adaptive weight is measured)."""
        return self.out[2].weight

    def forward(self, z_BCGG):
        """Latents [B, C, G, G] -> images [B, 3, H, W] in the normalised range of the training target (about -1..1)."""
        return self.out(self.stage1(self.up(self.stage2(self.inp(z_BCGG)))))


def expand_subgrid(z_BCGG, scale: int):
    """The preview rule (docs/contract.md): keep the scale-s sub-grid (stride G / 2^s) and repeat each of its
    latents over its stride block. Scale = num_scales returns the grid itself."""
    g = z_BCGG.shape[-1]
    stride = g >> scale
    if stride == 1:
        return z_BCGG
    sub = z_BCGG[:, :, ::stride, ::stride]
    return sub.repeat_interleave(stride, dim=2).repeat_interleave(stride, dim=3)


def blurred_target(x_BCHW, side_pixels: int):
    """The image as a grid can hold it: average-pooled to side_pixels^2, upsampled bilinearly to full size."""
    size = x_BCHW.shape[-1]
    small = F.adaptive_avg_pool2d(x_BCHW, side_pixels)
    return F.interpolate(small, size=(size, size), mode="bilinear", align_corners=False)


class NestedTokenizer(nn.Module):
    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        # Per-channel statistics of the training latents, set once after training (normalise_from).
        self.register_buffer("latent_mean", torch.zeros(cfg.latent_channels))
        self.register_buffer("latent_std", torch.ones(cfg.latent_channels))

    def encode(self, x_BCHW):
        """Images in [-1, 1] -> normalised latents [B, C, G, G] (what the generator models)."""
        z = self.encoder(x_BCHW)
        return (z - self.latent_mean[:, None, None]) / self.latent_std[:, None, None]

    def decode(self, z_BCGG):
        """Normalised latents -> images in [-1, 1] (unclamped)."""
        return self.decoder(z_BCGG * self.latent_std[:, None, None] + self.latent_mean[:, None, None])

    def losses(self, x_BCHW, generator=None, train_encoder: bool = True):
        """Training losses on images in [-1, 1]: dict of the full reconstruction, each coarse scale and the
        latent penalty; 'total' is what is minimised. train_encoder=False computes the latents without a graph
        (decoder fine-tuning: the latent space, which a generator may already model, stays exactly as it is)."""
        return self.losses_and_reconstruction(x_BCHW, generator, train_encoder)[0]

    def losses_and_reconstruction(self, x_BCHW, generator=None, train_encoder: bool = True):
        """(losses, the full-grid reconstruction in its graph): what an adversarial loss on the decoder judges."""
        cfg = self.config
        with torch.set_grad_enabled(train_encoder and torch.is_grad_enabled()):
            z = self.encoder(x_BCHW)
        # Relative noise: the encoder cannot escape it by scaling its latents up.
        sigma = cfg.latent_noise_std * z.detach().std()
        noisy = z + sigma * torch.randn(z.shape, generator=generator, device=z.device)
        out = {}
        rec = self.decoder(noisy)
        out["full"] = F.l1_loss(rec, x_BCHW) + F.mse_loss(rec, x_BCHW)
        total = out["full"]
        for s in range(1, cfg.num_scales):
            side = (1 << s) * cfg.pixels_per_latent
            target = blurred_target(x_BCHW, side)
            pred = self.decoder(expand_subgrid(noisy, s))
            out[f"scale{s}"] = F.l1_loss(pred, target) + F.mse_loss(pred, target)
            total = total + cfg.prefix_weight * out[f"scale{s}"]
        out["latent_l2"] = z.pow(2).mean()
        out["total"] = total + cfg.latent_l2 * out["latent_l2"]
        return out, rec

    @torch.no_grad()
    def normalise_from(self, images_BCHW, batch: int = 256):
        """Sets the per-channel mean and std from the raw latents of these (training) images."""
        zs = torch.cat([self.encoder(images_BCHW[i:i + batch]) for i in range(0, len(images_BCHW), batch)])
        self.latent_mean.copy_(zs.mean(dim=(0, 2, 3)))
        self.latent_std.copy_(zs.std(dim=(0, 2, 3)).clamp_min(1e-6))


class ExportedDecoder(nn.Module):
    """The browser's decoder session: normalised latent tokens [B, G*G, C] (cells row-major, the generator's
    token grid) -> pixels [B, H, W, 3] in [0, 1] (clamped; the page rounds to uint8)."""

    def __init__(self, tokenizer: NestedTokenizer):
        super().__init__()
        self.tokenizer = tokenizer

    def forward(self, tokens_BNC):
        B, N, C = tokens_BNC.shape
        g = self.tokenizer.config.grid
        z = tokens_BNC.transpose(1, 2).reshape(B, C, g, g)
        x = self.tokenizer.decode(z)
        return ((x.permute(0, 2, 3, 1) + 1) * 0.5).clamp(0, 1)


def images_to_input(images_BHWC_uint8):
    """uint8 HWC images -> float BCHW in [-1, 1], the tokenizer's input and target range."""
    return images_BHWC_uint8.permute(0, 3, 1, 2).float() / 127.5 - 1


def latent_tokens(tokenizer: NestedTokenizer, images_BHWC_uint8, batch: int = 256):
    """uint8 images -> the generator's tokens [N, G*G, C] (normalised latents, cells row-major)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(images_BHWC_uint8), batch):
            z = tokenizer.encode(images_to_input(images_BHWC_uint8[i:i + batch]))
            out.append(z.flatten(2).transpose(1, 2))
    return torch.cat(out)
