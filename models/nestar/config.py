"""Model configuration: one dataclass, stored in every checkpoint and exported into the manifest."""
from dataclasses import asdict, dataclass, field
import math


@dataclass
class ModelConfig:
    architecture: str = "nestar"  # "nestar" (scaled modules, patch per step) or "raster" (one module, token per step)
    image_size: int = 32
    channels: int = 3
    patch_size: int = 4  # pixels per token side: 32 / 4 = 8x8 grid, 64 tokens of dim 48
    # "pixel_patch": a token is a p x p pixel patch (dim 3p^2); "latent": a token is one latent vector of the
    # nested tokenizer (dim latent_channels), patch_size is then the tokenizer's downsampling factor.
    token_layout: str = "pixel_patch"
    latent_channels: int = 0
    num_classes: int = 70
    # Per module transformer widths and depths (NestAR: one entry per scale; raster: exactly one entry).
    module_widths: tuple = (128, 128, 128)
    module_depths: tuple = (4, 4, 4)
    head_dim: int = 32
    mlp_ratio: int = 4
    flow_width: int = 128
    flow_depth: int = 3
    flow_draws: int = 4  # (t, noise) draws per token per training step
    # Training distribution of the flow time t: "uniform" or "logit_normal" (sigmoid of a standard normal: more
    # draws in the middle of the path, where the velocity is hardest to predict; SD3, arXiv 2403.03206).
    time_sampling: str = "uniform"
    class_dropout: float = 0.1  # probability of the null class, for classifier-free guidance
    prefix_noise_std: float = 0.1  # max std of the noise put on module m >= 2's prefix during training; 0 = off
    norm_mean: float = 0.5
    norm_std: float = 0.5

    def __post_init__(self):
        self.module_widths = tuple(self.module_widths)
        self.module_depths = tuple(self.module_depths)
        if self.architecture not in ("nestar", "raster"):
            raise ValueError(f"architecture must be 'nestar' or 'raster', got {self.architecture!r}")
        if self.time_sampling not in ("uniform", "logit_normal"):
            raise ValueError(f"time_sampling must be 'uniform' or 'logit_normal', got {self.time_sampling!r}")
        if self.token_layout not in ("pixel_patch", "latent"):
            raise ValueError(f"token_layout must be 'pixel_patch' or 'latent', got {self.token_layout!r}")
        if (self.token_layout == "latent") != (self.latent_channels > 0):
            raise ValueError("latent_channels is set exactly when token_layout is 'latent'")
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        g = self.grid
        if g < 2 or g & (g - 1):
            raise ValueError(f"token grid {g} must be a power of two >= 2")
        want = self.num_scales if self.architecture == "nestar" else 1
        if len(self.module_widths) != want or len(self.module_depths) != want:
            raise ValueError(f"{self.architecture} with a {g}x{g} grid needs {want} module widths and depths, "
                             f"got {len(self.module_widths)} and {len(self.module_depths)}")
        for w in self.module_widths:
            if w % self.head_dim:
                raise ValueError(f"module width {w} is not a multiple of head_dim {self.head_dim}")

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_tokens(self) -> int:
        return self.grid ** 2

    @property
    def token_dim(self) -> int:
        if self.token_layout == "latent":
            return self.latent_channels
        return self.channels * self.patch_size ** 2

    @property
    def num_scales(self) -> int:
        return int(math.log2(self.grid))

    @property
    def null_class(self) -> int:
        return self.num_classes

    def to_dict(self) -> dict:
        d = asdict(self)
        d["module_widths"] = list(self.module_widths)
        d["module_depths"] = list(self.module_depths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        return cls(**d)


PRESETS = {
    # The shipped model: sized by measurement to train in hours on 2 CPU cores (see models/README.md).
    "emoji32-nestar": ModelConfig(),
    # Same networks, token-by-token: the speed and quality baseline.
    "emoji32-raster": ModelConfig(architecture="raster", module_widths=(128,), module_depths=(4,)),
    # Module-size ablation: later modules much smaller.
    "emoji32-nestar-small-late": ModelConfig(module_widths=(128, 64, 32), module_depths=(4, 2, 2)),
    # v2 flagship: NestAR on the 8x8x16 latent grid of the nested tokenizer (models/nestar/tokenizer.py), 64 px.
    "emoji64-nestar": ModelConfig(image_size=64, patch_size=8, token_layout="latent", latent_channels=16),
    # v3 flagship: v2 with the winners of the equal-budget recipe ablation (models/ablation/v2_recipe.sh, table in
    # README.md, Quality): a 256-wide flow head (FID -12%, right class +14% at 1,000 steps) and logit-normal
    # flow times (FID -4%, recall +8%, recall in class +14%).
    "emoji64-nestar-v3": ModelConfig(image_size=64, patch_size=8, token_layout="latent", latent_channels=16,
                                     flow_width=256, time_sampling="logit_normal"),
    # Test fixture of the latent layout: 32 px, a 4x4 grid of 4-channel latents, 2 modules.
    "tiny-latent": ModelConfig(image_size=32, patch_size=8, token_layout="latent", latent_channels=4,
                               module_widths=(32, 32), module_depths=(1, 1), flow_width=32, flow_depth=1, head_dim=16),
    # Test fixture: a few hundred KB.
    "tiny": ModelConfig(image_size=16, module_widths=(32, 32), module_depths=(1, 1), flow_width=32,
                        flow_depth=1, patch_size=4, head_dim=16),
}
