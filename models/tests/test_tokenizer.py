"""The nested tokenizer: the preview rule, the prefix losses that make previews pictures, the exported decoder's
interface, and the latent layout end to end (train a few steps, sample, make pixels)."""
import json
import os

import pytest
import torch

from nestar.config import ModelConfig
from nestar.layout import expand_cells, images_from_tokens
from nestar.model import NestAR
from nestar.sampler import SamplingSettings, sample
from nestar.tokenizer import (ExportedDecoder, NestedTokenizer, TokenizerConfig, blurred_target, expand_subgrid,
                              latent_tokens)

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "tiny-latent")


def tiny_tokenizer(image_size=32, channels=4):
    torch.manual_seed(0)
    return NestedTokenizer(TokenizerConfig(image_size=image_size, latent_channels=channels, widths=(16, 16),
                                           blocks_per_stage=1))


def test_expand_subgrid_repeats_each_sub_grid_latent_over_its_stride_block():
    z = torch.arange(16.0).reshape(1, 1, 4, 4)
    expected_scale1 = torch.tensor([[0, 0, 2, 2], [0, 0, 2, 2], [8, 8, 10, 10], [8, 8, 10, 10.0]])
    assert torch.equal(expand_subgrid(z, 1)[0, 0], expected_scale1)
    assert torch.equal(expand_subgrid(z, 2), z)


def test_expand_cells_on_token_grids_is_the_same_rule_as_on_latent_maps():
    z = torch.randn(2, 3, 8, 8)
    tokens = z.flatten(2).transpose(1, 2)  # [B, 64, C], cells row-major
    for scale, stride in ((1, 4), (2, 2), (3, 1)):
        via_tokens = expand_cells(tokens, 8, stride).transpose(1, 2).reshape(2, 3, 8, 8)
        assert torch.equal(via_tokens, expand_subgrid(z, scale))


def test_blurred_target_keeps_a_flat_image_and_averages_detail():
    flat = torch.full((1, 3, 16, 16), 0.3)
    torch.testing.assert_close(blurred_target(flat, 4), flat)
    checker = (torch.arange(16).reshape(16, 1) + torch.arange(16)).remainder(2).float().expand(1, 3, 16, 16)
    assert blurred_target(checker, 4).std() < 0.01  # a 1-pixel checkerboard holds nothing at 4x4


def test_losses_cover_every_coarse_scale_and_train_the_decoder_on_prefixes():
    tok = tiny_tokenizer()
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    losses = tok.losses(x, torch.Generator().manual_seed(0))
    assert set(losses) == {"full", "scale1", "latent_l2", "total"}  # 4x4 grid: scales 1 (prefix) and 2 (full)
    losses["total"].backward()
    assert all(p.grad is not None for p in tok.decoder.parameters())


def test_normalisation_gives_unit_channels_and_decode_inverts_it():
    tok = tiny_tokenizer().eval()
    x = torch.rand(64, 3, 32, 32) * 2 - 1
    raw = tok.encoder(x[:2])
    tok.normalise_from(x)
    z = tok.encode(x)
    torch.testing.assert_close(z.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-4, rtol=0)
    torch.testing.assert_close(z.std(dim=(0, 2, 3)), torch.ones(4), atol=1e-3, rtol=0)
    torch.testing.assert_close(tok.decode(tok.encode(x[:2])), tok.decoder(raw), atol=1e-5, rtol=0)


def test_exported_decoder_takes_the_token_grid_and_gives_clamped_pixels():
    tok = tiny_tokenizer().eval()
    tokens = torch.randn(3, 16, 4) * 5
    pixels = ExportedDecoder(tok)(tokens)
    assert pixels.shape == (3, 32, 32, 3)
    assert pixels.min() >= 0 and pixels.max() <= 1
    z = tokens.transpose(1, 2).reshape(3, 4, 4, 4)
    torch.testing.assert_close(pixels, ((tok.decode(z).permute(0, 2, 3, 1) + 1) / 2).clamp(0, 1))


def test_prefix_losses_make_the_coarse_preview_a_blurred_picture_not_a_corner():
    """A short training run on images of random flat 8x8 cells (one per latent), so a corner cell says nothing
    about its 2x2 block's average: with the prefix loss the 2x2 preview is much closer to the blurred image than
    the plain autoencoder's stripes are."""
    g = torch.Generator().manual_seed(0)
    cells = torch.rand(64, 3, 4, 4, generator=g) * 2 - 1
    x = cells.repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)

    def preview_error(prefix_weight):
        torch.manual_seed(0)
        tok = NestedTokenizer(TokenizerConfig(image_size=32, latent_channels=4, widths=(16, 16), blocks_per_stage=1,
                                              prefix_weight=prefix_weight))
        opt = torch.optim.Adam(tok.parameters(), lr=3e-3)
        for _ in range(150):
            loss = tok.losses(x, g)["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = tok.decoder(expand_subgrid(tok.encoder(x), 1))
            return ((pred - blurred_target(x, 2 * tok.config.pixels_per_latent)) ** 2).mean().item()

    assert preview_error(1.0) < 0.5 * preview_error(0.0)


def test_latent_layout_trains_samples_and_makes_pixels_and_previews():
    tok = tiny_tokenizer().eval()
    images = (torch.rand(8, 32, 32, 3) * 255).to(torch.uint8)
    tokens = latent_tokens(tok, images)
    assert tokens.shape == (8, 16, 4)
    cfg = ModelConfig(image_size=32, patch_size=8, token_layout="latent", latent_channels=4, module_widths=(32, 32),
                      module_depths=(1, 1), flow_width=16, flow_depth=1, head_dim=16, num_classes=3,
                      time_sampling="logit_normal")
    model = NestAR(cfg)
    loss, losses = model(tokens, torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    loss.backward()
    assert len(losses) == 2
    out = sample(model.eval(), 1, 7, SamplingSettings(ode_steps=2), batch=2)
    assert out.shape == (2, 16, 4)
    final = images_from_tokens(cfg, out, tok)
    assert final.shape == (2, 32, 32, 3) and final.dtype == torch.uint8
    preview = images_from_tokens(cfg, out, tok, stride=2)
    assert preview.shape == final.shape
    with pytest.raises(ValueError, match="tokenizer"):
        images_from_tokens(cfg, out)


def test_config_rejects_inconsistent_latent_settings():
    with pytest.raises(ValueError, match="latent_channels"):
        ModelConfig(image_size=64, patch_size=8, token_layout="latent")
    with pytest.raises(ValueError, match="token_layout"):
        ModelConfig(token_layout="voxels")
    with pytest.raises(ValueError, match="time_sampling"):
        ModelConfig(time_sampling="cosine")
    assert ModelConfig(image_size=64, patch_size=8, token_layout="latent", latent_channels=16).token_dim == 16


def test_latent_fixture_manifest_names_listed_decoders():
    with open(os.path.join(FIXTURE, "manifest.json")) as f:
        manifest = json.load(f)
    tokens = manifest["tokens"]
    assert tokens["layout"] == "latent" and tokens["preview"] == "preview_decoder"
    assert tokens["decoder"] in manifest["files"] and tokens["preview_decoder"] in manifest["files"]
    assert manifest["io"]["decoder"] == {"inputs": ["tokens"], "outputs": ["pixels"]}
    assert manifest["io"]["preview_decoder"] == {"inputs": ["tokens"], "outputs": ["pixels"]}
    assert tokens["preview_pixels_per_latent"] * tokens["grid"] // 2 <= manifest["image"]["size"]
    assert tokens["grid"] * tokens["patch_size"] == manifest["image"]["size"]
