"""Decoder fine-tuning: train_tokenizer.py --decoder-only keeps the latents bit for bit, and replace_decoder.py
puts only such a decoder into a generator's checkpoint."""
import copy
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "eval"))
from tokenizer_fid import load_tokenizer  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.tokenizer import NestedTokenizer, TokenizerConfig  # noqa: E402
from replace_decoder import replace_decoder  # noqa: E402
from train_tokenizer import resume  # noqa: E402


def tiny_tokenizer():
    torch.manual_seed(0)
    return NestedTokenizer(TokenizerConfig(image_size=32, latent_channels=4, widths=(16, 16), blocks_per_stage=1))


def save_tokenizer(path, tok, opt, step=10, **extra):
    checkpoint.save(str(path), {"config": tok.config.to_dict(), "model": tok.state_dict(),
                                "optimizer": opt.state_dict(), "step": step, "elapsed_s": 60.0,
                                "params": sum(p.numel() for p in tok.parameters()), **extra})


def train_steps(tok, opt, decoder_only, steps=3):
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    for _ in range(steps):
        loss = tok.losses(x, torch.Generator().manual_seed(0), train_encoder=not decoder_only)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_losses_without_encoder_training_are_the_same_and_leave_the_encoder_without_gradients():
    tok = tiny_tokenizer()
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    both = tok.losses(x, torch.Generator().manual_seed(1))
    frozen = tok.losses(x, torch.Generator().manual_seed(1), train_encoder=False)
    assert torch.equal(both["total"], frozen["total"])
    frozen["total"].backward()
    assert all(p.grad is None for p in tok.encoder.parameters())
    assert all(p.grad is not None for p in tok.decoder.parameters())


def test_decoder_only_runs_keep_the_latent_space_and_stay_decoder_only(tmp_path):
    path = tmp_path / "tokenizer.pt"
    tok = tiny_tokenizer()
    tok.latent_std.fill_(2.0)
    full_opt = torch.optim.AdamW(tok.parameters(), lr=1e-3)
    train_steps(tok, full_opt, decoder_only=False)
    save_tokenizer(path, tok, full_opt)
    before = copy.deepcopy(tok.state_dict())

    fine = NestedTokenizer(tok.config)
    opt, step, _, frozen_at = resume(fine, str(path), decoder_only=True, lr=1e-3)
    assert (step, frozen_at) == (10, 10)
    assert {id(p) for g in opt.param_groups for p in g["params"]} == {id(p) for p in fine.decoder.parameters()}
    train_steps(fine, opt, decoder_only=True)
    after = fine.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before if k.startswith(("encoder.", "latent_")))
    assert not torch.equal(after["decoder.inp.weight"], before["decoder.inp.weight"])
    save_tokenizer(path, fine, opt, step=13, encoder_frozen_at=frozen_at)

    # A second decoder-only run continues the decoder's optimizer; a full run is refused.
    opt, step, _, frozen_at = resume(NestedTokenizer(tok.config), str(path), decoder_only=True, lr=1e-3)
    assert (step, frozen_at) == (13, 10) and len(opt.state) == len(list(fine.decoder.parameters()))
    with pytest.raises(SystemExit, match="frozen at step 10"):
        resume(NestedTokenizer(tok.config), str(path), decoder_only=False, lr=1e-3)
    with pytest.raises(SystemExit, match="train one first"):
        resume(NestedTokenizer(tok.config), str(tmp_path / "none.pt"), decoder_only=True, lr=1e-3)


def test_replace_decoder_takes_a_fine_tuned_decoder_and_refuses_other_latents(tmp_path):
    tok = tiny_tokenizer()
    opt = torch.optim.AdamW(tok.parameters())
    save_tokenizer(tmp_path / "old.pt", tok, opt)
    generator = {"model_config": {}, "ema": {}, "step": 7, "tokenizer": checkpoint.tokenizer_entry(str(tmp_path / "old.pt"))}

    with torch.no_grad():
        tok.decoder.inp.weight.add_(0.5)
    save_tokenizer(tmp_path / "fine.pt", tok, opt, step=20)
    replaced = replace_decoder(generator, str(tmp_path / "fine.pt"))
    assert torch.equal(replaced["tokenizer"]["model"]["decoder.inp.weight"], tok.decoder.inp.weight)
    assert replaced["tokenizer"]["decoder_replaced"] == {"from_step": 10, "to_step": 20}
    assert replaced["step"] == 7 and generator["tokenizer"]["step"] == 10  # the input state is left alone

    for change in ("encoder", "normalisation"):
        other = tiny_tokenizer()
        with torch.no_grad():
            (other.encoder.stem.weight if change == "encoder" else other.latent_std).add_(0.1)
        save_tokenizer(tmp_path / f"{change}.pt", other, opt)
        with pytest.raises(ValueError, match="other latents"):
            replace_decoder(generator, str(tmp_path / f"{change}.pt"))
    with pytest.raises(ValueError, match="pixel patches"):
        replace_decoder({"model_config": {}, "ema": {}}, str(tmp_path / "fine.pt"))


def test_tokenizer_fid_reads_a_tokenizer_file_or_a_generators_tokenizer(tmp_path):
    tok = tiny_tokenizer()
    with torch.no_grad():
        tok.decoder.inp.weight.add_(0.5)
    save_tokenizer(tmp_path / "tok.pt", tok, torch.optim.AdamW(tok.parameters()))
    generator = {"model_config": {}, "ema": {}, "tokenizer": checkpoint.tokenizer_entry(str(tmp_path / "tok.pt"))}
    checkpoint.save(str(tmp_path / "gen.pt"), generator)
    for name in ("tok.pt", "gen.pt"):
        loaded = load_tokenizer(str(tmp_path / name))
        assert not loaded.training
        assert torch.equal(loaded.decoder.inp.weight, tok.decoder.inp.weight)
    checkpoint.save(str(tmp_path / "pixels.pt"), {"model_config": {}, "ema": {}})
    with pytest.raises(ValueError, match="pixel patches"):
        load_tokenizer(str(tmp_path / "pixels.pt"))
    checkpoint.save(str(tmp_path / "other.pt"), {"weights": {}})
    with pytest.raises(ValueError, match="neither a tokenizer"):
        load_tokenizer(str(tmp_path / "other.pt"))
