"""Token grid -> pixels, by the model's token layout (docs/contract.md, "Tokens" and "Previews").

pixel_patch (v1): a token is a p x p pixel patch; a preview is the finished sub-grid's own (g*p)^2-pixel image,
each pixel repeated stride x stride (nearest-neighbour upsampling to full size).
latent (v2): a token is a latent of the nested tokenizer; an image is the decoder's output on the grid, and the
preview of a scale is the decoder's output on the sub-grid with each latent repeated over its stride block
(rule expand_subgrid) or, where the model has one, the preview decoder's small picture of the sub-grid scaled up
bilinearly (rule preview_decoder).
Mirrors: src/tokens.ts (pixel_patch), src/latentDecoder.ts and src/previewDecoder.ts (latent).
"""
import torch

from .preview_decoder import ExportedPreviewDecoder, PreviewDecoder, upsample
from .sampler import sample
from .tokenizer import ExportedDecoder, NestedTokenizer, expand_subgrid
from .tokens import denormalize, unpatchify


def expand_cells(tokens_BNC, grid: int, stride: int):
    """The preview rule on a token grid [B, G*G, C] (cells row-major): tokenizer.expand_subgrid on the same values."""
    if stride == 1:
        return tokens_BNC
    B, N, C = tokens_BNC.shape
    z = tokens_BNC.transpose(1, 2).reshape(B, C, grid, grid)
    scale = (grid // stride).bit_length() - 1
    return expand_subgrid(z, scale).reshape(B, C, N).transpose(1, 2)


def decoded_pixels(tokenizer: NestedTokenizer, tokens_BNC):
    """Latent tokens -> uint8 [B, H, W, 3] exactly as the page rounds the decoder's [0, 1] output."""
    with torch.no_grad():
        x = ExportedDecoder(tokenizer).eval()(tokens_BNC)
    return torch.round(x * 255).to(torch.uint8)


def preview_pixels(preview_decoder: PreviewDecoder, tokens_BNC, grid: int, stride: int, size: int):
    """The preview_decoder rule: the sub-grid at `stride` through the preview decoder, scaled to size x size
    bilinearly, rounded as the page rounds: uint8 [B, size, size, 3]."""
    B, N, C = tokens_BNC.shape
    sub = tokens_BNC.reshape(B, grid, grid, C)[:, ::stride, ::stride]
    with torch.no_grad():
        small = ExportedPreviewDecoder(preview_decoder).eval()(sub)
        x = upsample(small.permute(0, 3, 1, 2), size).permute(0, 2, 3, 1)
    return torch.round(x * 255).to(torch.uint8)


def images_from_tokens(config, tokens_BNC, tokenizer: NestedTokenizer = None, stride: int = 1,
                       preview_decoder: PreviewDecoder = None):
    """Full-size uint8 images [B, H, W, 3] of a token grid; stride > 1 gives that scale's preview (by the
    preview decoder where one is given)."""
    if config.token_layout == "latent":
        if tokenizer is None:
            raise ValueError("a latent model needs its tokenizer to make pixels")
        if stride > 1 and preview_decoder is not None:
            return preview_pixels(preview_decoder, tokens_BNC, config.grid, stride, config.image_size)
        return decoded_pixels(tokenizer, expand_cells(tokens_BNC, config.grid, stride))
    B, N, C = tokens_BNC.shape
    sub = tokens_BNC.reshape(B, config.grid, config.grid, C)[:, ::stride, ::stride].reshape(B, -1, C)
    images = denormalize(unpatchify(sub, config.patch_size, config.channels), config.norm_mean, config.norm_std)
    return images.repeat_interleave(stride, dim=1).repeat_interleave(stride, dim=2)


def scale_previews(model, tokens_BNC, tokenizer=None, preview_decoder=None):
    """uint8 [S, B, H, W, 3]: every scale's full-size preview of these token grids (the last is the image)."""
    cfg = model.config
    return torch.stack([images_from_tokens(cfg, tokens_BNC, tokenizer, stride=cfg.grid >> s.scale,
                                           preview_decoder=preview_decoder) for s in model.scales])


def previews_of(model, tokenizer, class_index: int, seed: int, settings, batch: int, preview_decoder=None):
    """uint8 [S, B, H, W, 3]: every scale's full-size preview of freshly sampled images (the last is the image)."""
    return scale_previews(model, sample(model, class_index, seed, settings, batch), tokenizer, preview_decoder)
