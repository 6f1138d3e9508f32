"""Reconstruction quality of the nested tokenizer: held-out PSNR of the image and of every scale's preview, and
the picture of its previews (rows: input, then the decoder's output from the 2x2, 4x4, ... sub-grids and the
full grid), as train_tokenizer.py reports them and the model card shows them."""
import torch
from PIL import Image

from .layout import decoded_pixels
from .tokenizer import NestedTokenizer, blurred_target, expand_subgrid, latent_tokens


def psnr(a, b):
    """Both in [-1, 1] -> dB over the [0, 1] pixel range."""
    mse = (((a.clamp(-1, 1) - b) / 2) ** 2).mean(dim=(1, 2, 3))
    return (10 * torch.log10(1 / mse.clamp_min(1e-10))).mean().item()


@torch.no_grad()
def measure(tok: NestedTokenizer, x_BCHW):
    """Held-out PSNR of the full reconstruction and of each scale's preview against its blurred target."""
    tok.eval()
    cfg = tok.config
    z = torch.cat([tok.encode(x_BCHW[i:i + 256]) for i in range(0, len(x_BCHW), 256)])
    out = {}
    for s in range(1, cfg.num_scales + 1):
        rec = torch.cat([tok.decode(expand_subgrid(z[i:i + 256], s)) for i in range(0, len(z), 256)])
        target = x_BCHW if s == cfg.num_scales else blurred_target(x_BCHW, (1 << s) * cfg.pixels_per_latent)
        out[f"psnr_scale{s}"] = round(psnr(rec, target), 2)
        out[f"psnr_scale{s}_vs_image"] = round(psnr(rec, x_BCHW), 2)
    tok.train()
    return out


@torch.no_grad()
def preview_grid(tok: NestedTokenizer, x_BCHW, path: str):
    tok.eval()
    z = tok.encode(x_BCHW)
    rows = [x_BCHW] + [tok.decode(expand_subgrid(z, s)) for s in range(1, tok.config.num_scales + 1)]
    tok.train()
    pix = [((r.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1) for r in rows]  # [B, H, W, 3]
    grid = torch.cat([torch.cat(list(p), dim=1) for p in pix], dim=0)
    Image.fromarray(grid.numpy()).save(path)


@torch.no_grad()
def reconstruct(tok: NestedTokenizer, images_BHWC_uint8, batch: int = 256):
    """uint8 images -> their uint8 reconstructions through the full latent grid, rounded as the page rounds."""
    tok.eval()
    return torch.cat([decoded_pixels(tok, latent_tokens(tok, images_BHWC_uint8[i:i + batch]))
                      for i in range(0, len(images_BHWC_uint8), batch)])
