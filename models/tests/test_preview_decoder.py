"""The preview decoder: its interface at every coarse grid size, the rule's pixels (sub-grid, preview decoder,
bilinear scaling), that training moves it towards the full decoder's previews, and that a file refuses a tokenizer
it was not trained for."""
import os
import sys

import pytest
import torch
import torch.nn.functional as F

from nestar.config import ModelConfig
from nestar.layout import images_from_tokens, preview_pixels
from nestar.preview_decoder import (ExportedPreviewDecoder, PreviewDecoder, PreviewDecoderConfig, conv_multiply_adds,
                                    load, subgrid, teacher_preview, tokenizer_fingerprint, upsample)
from nestar.tokenizer import NestedTokenizer, TokenizerConfig, expand_subgrid, images_to_input

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from train_preview_decoder import held_out_metrics, save, train_preview_decoder  # noqa: E402


def tiny_tokenizer(seed=0):
    torch.manual_seed(seed)
    return NestedTokenizer(TokenizerConfig(image_size=32, latent_channels=4, widths=(16, 16), blocks_per_stage=1)).eval()


def test_exported_preview_decoder_takes_any_sub_grid_and_returns_its_picture_in_unit_range():
    decoder = ExportedPreviewDecoder(PreviewDecoder(PreviewDecoderConfig(latent_channels=4, pixels_per_latent=8, width=8)))
    for g in (1, 2, 4):
        pixels = decoder(torch.randn(3, g, g, 4) * 5)
        assert pixels.shape == (3, 8 * g, 8 * g, 3)
        assert pixels.min() >= 0 and pixels.max() <= 1


def test_preview_pixels_are_the_sub_grid_through_the_decoder_scaled_bilinearly():
    decoder = PreviewDecoder(PreviewDecoderConfig(latent_channels=4, pixels_per_latent=4, width=8)).eval()
    tokens = torch.randn(2, 16, 4)  # a 4x4 grid, cells row-major
    out = preview_pixels(decoder, tokens, grid=4, stride=2, size=32)
    z = tokens.transpose(1, 2).reshape(2, 4, 4, 4)
    with torch.no_grad():
        small = ((decoder(subgrid(z, 1)) + 1) * 0.5).clamp(0, 1)
        expected = torch.round(upsample(small, 32).permute(0, 2, 3, 1) * 255).to(torch.uint8)
    assert torch.equal(out, expected)
    # upsample is PyTorch's half-pixel bilinear: a constant stays constant, sizes come out right.
    assert torch.allclose(upsample(torch.full((1, 3, 2, 2), 0.3), 16), torch.full((1, 3, 16, 16), 0.3))


def test_images_from_tokens_uses_the_preview_decoder_for_coarse_scales_only():
    tok = tiny_tokenizer()
    cfg = ModelConfig(image_size=32, patch_size=8, token_layout="latent", latent_channels=4, module_widths=(32, 32),
                      module_depths=(1, 1), flow_width=16, flow_depth=1, head_dim=16, num_classes=3)
    decoder = PreviewDecoder(PreviewDecoderConfig(latent_channels=4, width=8)).eval()
    tokens = torch.randn(1, 16, 4)
    assert torch.equal(images_from_tokens(cfg, tokens, tok, stride=2, preview_decoder=decoder),
                       preview_pixels(decoder, tokens, 4, 2, 32))
    assert torch.equal(images_from_tokens(cfg, tokens, tok, stride=1, preview_decoder=decoder),
                       images_from_tokens(cfg, tokens, tok, stride=1))


def test_training_fits_the_full_decoders_pooled_previews(tmp_path):
    tok = tiny_tokenizer()
    images = (torch.rand(64, 32, 32, 3) * 255).to(torch.uint8)
    cfg = PreviewDecoderConfig(latent_channels=4, pixels_per_latent=8, width=16)
    with torch.no_grad():
        z = tok.encode(images_to_input(images))
        target = teacher_preview(tok, z, 1, cfg.pixels_per_latent)
    torch.manual_seed(1)
    error = lambda d: F.mse_loss(d(subgrid(z, 1)), target).item()  # noqa: E731
    untrained = error(PreviewDecoder(cfg).eval())
    torch.manual_seed(1)
    decoder, steps = train_preview_decoder(tok, images, cfg, max_steps=150, batch_size=16, log=lambda m: None)
    assert steps == 150
    assert error(decoder) < 0.4 * untrained  # 150 steps: 0.063 -> 0.018 when written
    metrics = held_out_metrics(tok, decoder, images)
    assert set(metrics["scale1"]) == {"vs_full_decoder_preview", "to_final", "full_decoder_to_final"}
    path = str(tmp_path / "preview_decoder.pt")
    save(path, decoder, tok, {"steps": steps})
    again = load(path, tok)
    assert torch.equal(again(z), decoder(z))


def test_a_preview_decoder_file_refuses_another_tokenizer(tmp_path):
    tok, other = tiny_tokenizer(0), tiny_tokenizer(1)
    assert tokenizer_fingerprint(tok) != tokenizer_fingerprint(other)
    path = str(tmp_path / "preview_decoder.pt")
    save(path, PreviewDecoder(PreviewDecoderConfig(latent_channels=4, width=8)), tok, {})
    with pytest.raises(ValueError, match="another tokenizer"):
        load(path, other)
    torch.save({"format": "something else"}, str(tmp_path / "bad.pt"))
    with pytest.raises(ValueError, match="not a preview decoder"):
        load(str(tmp_path / "bad.pt"), tok)


def test_teacher_preview_is_the_full_decoders_expanded_preview_pooled():
    tok = tiny_tokenizer()
    z = torch.randn(2, 4, 4, 4)
    target = teacher_preview(tok, z, 1, pixels_per_latent=8)
    assert target.shape == (2, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(target, F.adaptive_avg_pool2d(tok.decode(expand_subgrid(z, 1)), 16))


def test_conv_multiply_adds_counts_every_convolution_once():
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.SiLU(), torch.nn.Conv2d(8, 2, 1))
    assert conv_multiply_adds(net, torch.zeros(1, 4, 5, 5)) == 25 * 8 * 4 * 9 + 25 * 2 * 8
    # The preview decoder on a g x g grid costs (its convolutions' weights) x g^2, whatever the batch shape.
    decoder = PreviewDecoder(PreviewDecoderConfig(latent_channels=16, pixels_per_latent=16, width=96))
    assert conv_multiply_adds(decoder, torch.zeros(1, 16, 4, 4)) == (16 * 96 * 9 + 96 * 96 * 9 + 96 * 768) * 16
