"""An adversarial loss for the tokenizer's decoder: a small patch discriminator, hinge losses, VQGAN's adaptive weight.

A decoder trained only on L1 + MSE draws the mean of what a latent could be, which is blurry; every strong image
tokenizer of the field (VQGAN, the SD and MAR autoencoders) adds a patch discriminator for sharp edges. Here it
judges only the full-grid reconstruction (the image the page paints last): the coarse scales' targets are blurred
on purpose. The adversarial gradient is scaled to the reconstruction gradient's size at the decoder's last layer
(Esser et al. 2021), so one weight works whatever the losses' scales are.
"""
import torch
from torch import nn
import torch.nn.functional as F


class PatchDiscriminator(nn.Module):
    """Images [B, 3, H, W] in [-1, 1] -> one real-vs-decoded logit per (H/8)x(H/8) patch [B, 1, H/8, W/8]."""

    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.GroupNorm(8, 2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1), nn.GroupNorm(8, 4 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 1, 3, padding=1))

    def forward(self, x_BCHW):
        return self.net(x_BCHW)


def discriminator_loss(real_logits, fake_logits):
    """Hinge loss of the discriminator: real patches above +1, decoded ones below -1."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def generator_loss(fake_logits):
    """The decoder's side of the hinge game: make the discriminator call its patches real."""
    return -fake_logits.mean()


def adaptive_weight(reconstruction_loss, adversarial_loss, last_layer_weight, max_weight: float = 1e4):
    """||d rec / d W|| / ||d adv / d W|| at the decoder's last layer W (detached): the adversarial term then pulls
    on the decoder as hard as the reconstruction does, times the configured weight."""
    g_rec = torch.autograd.grad(reconstruction_loss, last_layer_weight, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adversarial_loss, last_layer_weight, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0, max_weight).detach()


class Adversary:
    """The discriminator and its optimizer beside a tokenizer's training: the decoder's adversarial term, and the
    discriminator's own update. For the first `warmup` steps only the discriminator trains (a fresh one's patches
    would push the decoder anywhere)."""

    def __init__(self, weight: float, lr: float, warmup: int, started_at: int):
        self.weight = weight
        self.warmup = warmup
        self.started_at = started_at
        self.discriminator = PatchDiscriminator()
        self.optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.9))

    def decoder_term(self, reconstruction_loss, reconstruction, last_layer_weight, step: int):
        """(the term added to the decoder's loss, its logged parts); zero while the discriminator warms up."""
        if step - self.started_at < self.warmup:
            return torch.zeros(()), {}
        adv = generator_loss(self.discriminator(reconstruction))
        scale = adaptive_weight(reconstruction_loss, adv, last_layer_weight)
        return self.weight * scale * adv, {"adversarial": adv.detach(), "adaptive_weight": scale}

    def update(self, real, reconstruction):
        """One discriminator step on real images against the decoder's (detached) reconstructions."""
        loss = discriminator_loss(self.discriminator(real), self.discriminator(reconstruction.detach()))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def state_dict(self) -> dict:
        return {"model": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict(),
                "weight": self.weight, "started_at": self.started_at}

    def load_state_dict(self, state: dict):
        self.discriminator.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.started_at = state["started_at"]
