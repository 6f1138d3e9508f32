"""Token grid -> pixels, by the model's token layout (docs/contract.md, "Tokens" and "Previews").

pixel_patch (v1): a token is a p x p pixel patch; a preview is the finished sub-grid's own (g*p)^2-pixel image,
each pixel repeated stride x stride (nearest-neighbour upsampling to full size).
latent (v2): a token is a latent of the nested tokenizer; an image is the decoder's output on the grid, and the
preview of a scale is the decoder's output on the sub-grid with each latent repeated over its stride block.
Mirrors: src/tokens.ts (pixel_patch) and src/latentDecoder.ts (latent).
"""
import torch

from .tokenizer import ExportedDecoder, NestedTokenizer
from .tokens import denormalize, unpatchify


def expand_cells(tokens_BNC, grid: int, stride: int):
    """The preview rule on a token grid: cell (r, c) takes the value of cell (r - r % stride, c - c % stride)."""
    if stride == 1:
        return tokens_BNC
    B, N, C = tokens_BNC.shape
    x = tokens_BNC.reshape(B, grid, grid, C)[:, ::stride, ::stride]
    x = x.repeat_interleave(stride, dim=1).repeat_interleave(stride, dim=2)
    return x.reshape(B, N, C)


def decoded_pixels(tokenizer: NestedTokenizer, tokens_BNC):
    """Latent tokens -> uint8 [B, H, W, 3] exactly as the page rounds the decoder's [0, 1] output."""
    with torch.no_grad():
        x = ExportedDecoder(tokenizer).eval()(tokens_BNC)
    return torch.round(x * 255).to(torch.uint8)


def images_from_tokens(config, tokens_BNC, tokenizer: NestedTokenizer = None, stride: int = 1):
    """Full-size uint8 images [B, H, W, 3] of a token grid; stride > 1 gives that scale's preview."""
    if config.token_layout == "latent":
        if tokenizer is None:
            raise ValueError("a latent model needs its tokenizer to make pixels")
        return decoded_pixels(tokenizer, expand_cells(tokens_BNC, config.grid, stride))
    B, N, C = tokens_BNC.shape
    sub = tokens_BNC.reshape(B, config.grid, config.grid, C)[:, ::stride, ::stride].reshape(B, -1, C)
    images = denormalize(unpatchify(sub, config.patch_size, config.channels), config.norm_mean, config.norm_std)
    return images.repeat_interleave(stride, dim=1).repeat_interleave(stride, dim=2)
