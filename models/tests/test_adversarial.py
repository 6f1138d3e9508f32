"""The decoder's adversarial loss (nestar/adversarial.py) and how train_tokenizer.py keeps it across runs."""
import argparse

import torch

from nestar import checkpoint
from nestar.adversarial import Adversary, PatchDiscriminator, adaptive_weight, discriminator_loss
from test_decoder_finetune import save_tokenizer, tiny_tokenizer
from train_tokenizer import resume_adversary


def test_adaptive_weight_is_the_ratio_of_gradient_norms_at_the_last_layer():
    w = torch.randn(3, 3, requires_grad=True)
    x = torch.randn(5, 3)
    rec = (x @ w).pow(2).mean()
    adv = (x @ w).sum()
    g_rec = torch.autograd.grad(rec, w, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adv, w, retain_graph=True)[0]
    expected = g_rec.norm() / (g_adv.norm() + 1e-4)
    assert torch.allclose(adaptive_weight(rec, adv, w), expected)
    # Scaling the adversarial loss scales the weight back: the product's pull on the decoder stays the same.
    assert torch.allclose(adaptive_weight(rec, 10 * adv, w) * 10, expected, rtol=1e-3)
    assert not adaptive_weight(rec, adv, w).requires_grad


def test_the_discriminator_learns_to_tell_images_from_flat_reconstructions():
    torch.manual_seed(0)
    disc = PatchDiscriminator()
    assert disc(torch.zeros(2, 3, 64, 64)).shape == (2, 1, 8, 8)
    real = torch.rand(8, 3, 32, 32) * 2 - 1
    fake = torch.zeros(8, 3, 32, 32)
    opt = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.9))
    first = None
    for _ in range(30):
        loss = discriminator_loss(disc(real), disc(fake))
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_adversary_waits_for_its_warmup_then_pulls_on_the_decoder_only():
    tok = tiny_tokenizer()
    adversary = Adversary(weight=0.5, lr=1e-3, warmup=2, started_at=10)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    losses, rec = tok.losses_and_reconstruction(x, torch.Generator().manual_seed(0), train_encoder=False)
    term, parts = adversary.decoder_term(losses["full"], rec, tok.decoder.last_layer_weight, step=11)
    assert term.item() == 0 and parts == {}
    term, parts = adversary.decoder_term(losses["full"], rec, tok.decoder.last_layer_weight, step=12)
    assert set(parts) == {"adversarial", "adaptive_weight"} and parts["adaptive_weight"] > 0
    (losses["total"] + term).backward()
    assert all(p.grad is None for p in tok.encoder.parameters())
    before = [p.detach().clone() for p in adversary.discriminator.parameters()]
    adversary.update(x, rec)
    assert any(not torch.equal(a, b) for a, b in zip(before, adversary.discriminator.parameters()))

    again = Adversary(weight=0.5, lr=1e-3, warmup=2, started_at=99)
    again.load_state_dict(adversary.state_dict())
    assert again.started_at == 10
    assert all(torch.equal(a, b) for a, b in zip(again.discriminator.parameters(), adversary.discriminator.parameters()))


def test_a_run_that_started_adversarial_stays_adversarial_when_resumed(tmp_path):
    path = str(tmp_path / "tokenizer.pt")
    args = argparse.Namespace(adversarial=0.0, lr=1e-3, adversarial_warmup=5, discriminator_lr=None,
                              new_discriminator=False)
    assert resume_adversary(path, args, step=0) is None
    checkpoint.save(path, {"adversary": None})
    assert resume_adversary(path, args, step=3) is None
    fresh = resume_adversary(path, argparse.Namespace(adversarial=0.3, lr=1e-3, adversarial_warmup=5, discriminator_lr=None,
                                                         new_discriminator=False), step=3)
    assert (fresh.weight, fresh.started_at) == (0.3, 3)
    checkpoint.save(path, {"adversary": fresh.state_dict()})
    resumed = resume_adversary(path, args, step=40)
    assert (resumed.weight, resumed.started_at) == (0.3, 3)


def test_a_generator_checkpoint_keeps_the_adversarial_training_but_not_the_discriminator(tmp_path):
    tok = tiny_tokenizer()
    opt = torch.optim.AdamW(tok.parameters())
    save_tokenizer(tmp_path / "plain.pt", tok, opt)
    assert checkpoint.tokenizer_entry(str(tmp_path / "plain.pt"))["adversarial"] is None
    adversary = Adversary(weight=0.1, lr=1e-3, warmup=2, started_at=7)
    save_tokenizer(tmp_path / "adv.pt", tok, opt, adversary=adversary.state_dict())
    entry = checkpoint.tokenizer_entry(str(tmp_path / "adv.pt"))
    assert entry["adversarial"] == {"weight": 0.1, "from_step": 7}
    assert "adversary" not in entry


def test_a_resumed_discriminator_takes_the_new_rate_or_starts_afresh(tmp_path):
    path = str(tmp_path / "tokenizer.pt")
    first = resume_adversary(path, argparse.Namespace(adversarial=0.5, lr=2e-4, adversarial_warmup=5, discriminator_lr=None,
                                                      new_discriminator=False), step=3)
    assert first.optimizer.param_groups[0]["lr"] == 2e-4
    checkpoint.save(path, {"adversary": first.state_dict()})
    slower = resume_adversary(path, argparse.Namespace(adversarial=0.0, lr=2e-4, adversarial_warmup=5,
                                                       discriminator_lr=5e-5, new_discriminator=False), step=40)
    assert slower.started_at == 3 and slower.optimizer.param_groups[0]["lr"] == 5e-5
    torch.manual_seed(1)
    fresh = resume_adversary(path, argparse.Namespace(adversarial=0.0, lr=2e-4, adversarial_warmup=5,
                                                      discriminator_lr=None, new_discriminator=True), step=40)
    assert (fresh.weight, fresh.started_at) == (0.5, 40)  # the file's weight, a warm-up from now
    assert not all(torch.equal(a, b) for a, b in zip(fresh.discriminator.parameters(), first.discriminator.parameters()))
