"""Images <-> pixel-patch tokens (layout "pixel_patch", element order (dy, dx, rgb); docs/contract.md)."""
import torch


def patchify(images_BHWC, patch: int):
    """uint8 or float images [B, H, W, C] -> tokens [B, (H/p)*(W/p), p*p*C], cells row-major."""
    B, H, W, C = images_BHWC.shape
    x = images_BHWC.reshape(B, H // patch, patch, W // patch, patch, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, (H // patch) * (W // patch), patch * patch * C)


def unpatchify(tokens_BNC, patch: int, channels: int = 3):
    B, N, _ = tokens_BNC.shape
    g = int(round(N ** 0.5))
    x = tokens_BNC.reshape(B, g, g, patch, patch, channels).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, g * patch, g * patch, channels)


def normalize(images_uint8, mean: float, std: float):
    return (images_uint8.float() / 255.0 - mean) / std


def denormalize(x, mean: float, std: float):
    """-> uint8 pixels, as the browser decodes them."""
    return torch.round((x * std + mean).clamp(0, 1) * 255).to(torch.uint8)
