"""Per-token flow-matching head: net, loss and nothing else (the ODE loop lives in the sampler and in TS).

Rectified flow: x_t = t * x + (1 - t) * eps, the net predicts the velocity x - eps from (x_t, t, z), where z is the
transformer's condition for that token. A residual MLP whose LayerNorms are modulated by (z, t) (adaptive LN)."""
import math
import torch
from torch import nn


def timestep_embedding(t_N1, dim: int):
    """Sinusoidal features of t in [0, 1] (scaled by 1000, as in diffusion practice). t_N1: [N, 1] -> [N, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t_N1.device) / half)
    args = 1000.0 * t_N1 * freqs
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class PlainLayerNorm(nn.Module):
    """LayerNorm without affine parameters, written out: torch 1.13 exports nn.LayerNorm(elementwise_affine=False)
    with an empty scale input that onnx.checker rejects. Same numbers, same (empty) state dict."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, h):
        mean = h.mean(dim=-1, keepdim=True)
        var = ((h - mean) ** 2).mean(dim=-1, keepdim=True)
        return (h - mean) / torch.sqrt(var + self.eps)


class AdaLNResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.norm = PlainLayerNorm()
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))
        nn.init.zeros_(self.modulation[1].weight)  # each block starts as the identity
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, h_ND, c_ND):
        shift, scale, gate = self.modulation(c_ND).chunk(3, dim=-1)
        return h_ND + gate * self.mlp(self.norm(h_ND) * (1 + scale) + shift)


class FlowHead(nn.Module):
    def __init__(self, token_dim: int, cond_width: int, width: int, depth: int):
        super().__init__()
        self.width = width
        self.input = nn.Linear(token_dim, width)
        self.cond = nn.Linear(cond_width, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(AdaLNResBlock(width) for _ in range(depth))
        self.final_norm = PlainLayerNorm()
        self.final_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.output = nn.Linear(width, token_dim)
        nn.init.zeros_(self.final_modulation[1].weight)
        nn.init.zeros_(self.final_modulation[1].bias)

    def forward(self, z_ND, x_NC, t_N1):
        """One velocity evaluation: z_ND condition, x_NC point on the path, t_N1 time in [0, 1] -> v_NC."""
        return self.trunk(x_NC, self.cond(z_ND) + self.time(timestep_embedding(t_N1, self.width)))

    def evaluation(self, x_NC, cond_ND, t: float):
        """v at one time t shared by all rows, given cond_ND = self.cond(z) computed once per token: the time
        embedding runs on one row and is broadcast. The same numbers as forward; in an exported ODE graph
        (ode.GuidedOdeSampler) the embedding of each constant t then folds into a constant, where per row it ran
        the time MLP on every row at every evaluation (v3's first module: 805 -> 639 nodes, 2.2 -> 1.55 ms a call)."""
        return self.trunk(x_NC, cond_ND + self.time(timestep_embedding(cond_ND.new_full((1, 1), t), self.width)))

    def trunk(self, x_NC, c_ND):
        """The residual MLP on x, modulated by the summed condition c (few_step_head.py adds more to c)."""
        h = self.input(x_NC)
        for block in self.blocks:
            h = block(h, c_ND)
        shift, scale = self.final_modulation(c_ND).chunk(2, dim=-1)
        return self.output(self.final_norm(h) * (1 + scale) + shift)

    def loss(self, z_ND, x_NC, draws: int, generator=None, time_sampling: str = "uniform"):
        """Rectified-flow loss with `draws` (t, eps) pairs per token, averaged; t uniform or logit-normal."""
        z = z_ND.repeat_interleave(draws, dim=0)
        x = x_NC.repeat_interleave(draws, dim=0)
        if time_sampling == "logit_normal":
            t = torch.sigmoid(torch.randn(x.shape[0], 1, device=x.device, generator=generator))
        else:
            t = torch.rand(x.shape[0], 1, device=x.device, generator=generator)
        eps = torch.randn(x.shape, device=x.device, generator=generator)
        x_t = t * x + (1 - t) * eps
        return ((self(z, x_t, t) - (x - eps)) ** 2).mean()
