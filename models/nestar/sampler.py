"""The reference sampler: the browser's scheduler (src/scheduler.ts) must reproduce it to float tolerance.

It runs exactly what the exported graphs run: one backbone call per step with an explicit key/value cache, then an
ODE over the flow head from t = 0 (noise) to t = 1 (tokens), with classifier-free guidance on the velocity; or, with
solver "few_step", per module the few-step head's K evaluations on the conditional z alone (few_step_head.py) or the
guided ODE in a few steps (ode.py).

Guidance is set per module (docs/contract.md, "Settings and guidance per module"): the first module, which lays out
the coarsest scale, takes `coarse_guidance`, the others `guidance`. Measured on the 64 px flagship (few-step, 2,000
samples): a lower guidance for the layout keeps the images varied while a higher one for the detail keeps them
sharp and on class, better on both counts than any single guidance."""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from . import prng
from .few_step_head import few_step_sample
from .model import NestAR, step_bias
from .ode import guided_ode_sample, integrate
from .schedule import NO_PARENT


@dataclass
class SamplingSettings:
    ode_steps: int = 16
    solver: str = "heun"
    guidance: float = 3.0
    temperature: float = 1.0
    coarse_guidance: Optional[float] = None  # the first module's guidance; None: the same as `guidance`

    def validate(self):
        if self.solver not in ("euler", "heun", "few_step"):
            raise ValueError(f"solver must be 'euler', 'heun' or 'few_step', got {self.solver!r}")
        if not 1 <= self.ode_steps <= 1000:
            raise ValueError(f"ode_steps must be in [1, 1000], got {self.ode_steps}")
        if not 0 <= self.temperature <= 10 or not all(-10 <= w <= 100 for w in self.guidances()):
            raise ValueError(f"temperature {self.temperature} or guidance {self.guidance} / coarse guidance "
                             f"{self.coarse_guidance} out of range")

    def guidances(self) -> tuple:
        """The distinct guidance scales the settings name: (coarse, fine), or (guidance,) when they agree."""
        coarse = self.guidance if self.coarse_guidance is None else self.coarse_guidance
        return (self.guidance,) if coarse == self.guidance else (coarse, self.guidance)

    def module_guidance(self, module: int, num_modules: int) -> float:
        """Module k's guidance: `coarse_guidance` for the first module of a model that has later ones, else
        `guidance` (a one-module model, the raster baseline, has no coarse scale of its own)."""
        if module == 0 and num_modules > 1 and self.coarse_guidance is not None:
            return self.coarse_guidance
        return self.guidance

    def as_dict(self) -> dict:
        """The manifest's `sampling.defaults` form: coarse_guidance only when it is set."""
        d = {"ode_steps": self.ode_steps, "solver": self.solver, "guidance": self.guidance,
             "temperature": self.temperature}
        return d if self.coarse_guidance is None else {**d, "coarse_guidance": self.coarse_guidance}


def starting_noise(seeds, module: int, step: int, count: int, dim: int):
    """[B, count, dim] float32: image b's noise from seed seeds[b] (docs/contract.md)."""
    stream = prng.stream_of(module, step)
    return torch.from_numpy(np.stack([prng.normal(s, stream, count * dim).reshape(count, dim) for s in seeds]))


@torch.no_grad()
def sample(model: NestAR, class_index: int, seed: int, settings: SamplingSettings, batch: int = 1,
           on_step=None, on_scale=None):
    """Generates `batch` images of one class; image b uses seed (seed + b) mod 2^32. Returns tokens [B, N, C].
    on_step(module, step, noise_BQC, tokens_BQC) and on_scale(scale, tokens_BNC) observe the run (fixtures, UI)."""
    cfg = model.config
    if not 0 <= class_index < cfg.num_classes:
        raise ValueError(f"unknown class {class_index}: the model has classes 0..{cfg.num_classes - 1}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2^32), got {seed}")
    settings.validate()
    few_step = settings.solver == "few_step"
    if few_step:
        if model.few_step_heads is None:
            raise ValueError("solver 'few_step' needs the model's few-step heads (checkpoint.attach_few_step)")
        # Trained ranges only, as the runtime enforces them (docs/contract.md, "Few-step sampler").
        for name, (lo, hi), values in (("guidance", model.few_step_config.guidance, settings.guidances()),
                                       ("temperature", model.few_step_config.temperature, (settings.temperature,))):
            for value in values:
                if not lo <= value <= hi:
                    raise ValueError(f"the few-step heads were trained for {name} in [{lo}, {hi}], got {value}")
    device = next(model.parameters()).device
    N, C = cfg.num_tokens, cfg.token_dim
    seeds = [(seed + b) % 2**32 for b in range(batch)]
    conditional = torch.full((batch,), class_index, dtype=torch.long, device=device)
    grid = torch.zeros(batch, N + 1, C, device=device)  # cell N stays zero: class slot and "no parent"
    scale_after = {(s.module, s.step): s for s in model.scales}
    for k, steps in enumerate(model.schedule):
        net, head = model.backbones[k], model.heads[k]
        w = settings.module_guidance(k, len(model.schedule))
        # The few-step head folds guidance in: the backbone sees only the conditional batch. On the ODE path a module
        # with w == 1 runs undoubled too (each module starts with an empty cache, so this is decided per module). A
        # module whose few-step sampler is the guided ODE (ode.GuidedOdeSampler) always takes the doubled batch.
        ode_in_call = model.few_step_config.ode_of(k) if few_step else None
        guided = (w != 1.0 and not few_step) or ode_in_call is not None
        labels = torch.cat([conditional, torch.full_like(conditional, cfg.null_class)]) if guided else conditional
        rows = labels.shape[0]
        past = net.empty_cache(rows, device)
        for j, step in enumerate(steps):
            content_cells = torch.tensor(step.content_cells, device=device)
            query_cells = torch.tensor(step.query_cells, device=device)
            parents = torch.tensor([N if p == NO_PARENT else p for p in step.query_parent_cells], device=device)
            bias = step_bias(past.shape[4], len(step.content_cells), len(step.query_cells), device)
            rows_grid = torch.cat([grid, grid]) if guided else grid
            z, past = net(labels, rows_grid[:, content_cells], content_cells, rows_grid[:, parents], query_cells, past,
                          bias)
            Q = len(step.query_cells)
            noise = starting_noise(seeds, k, j, Q, C).to(device)
            z_flat = z.reshape(rows * Q, -1)  # with guidance: the conditional rows, then the unconditional ones
            x0 = settings.temperature * noise.reshape(batch * Q, C)
            w_col = torch.full((batch * Q, 1), w, device=device)
            if few_step and ode_in_call is None:
                x = few_step_sample(model.few_step_heads[k], z_flat, x0, w_col, model.few_step_config.evaluations_of(k))
            elif guided:  # the ODE path's guided modules, and a few-step module that runs the guided ODE
                solver, steps = ((ode_in_call["solver"], ode_in_call["steps"]) if ode_in_call is not None
                                 else (settings.solver, settings.ode_steps))
                x = guided_ode_sample(head, z_flat, x0, w_col, solver, steps)
            else:
                cond = head.cond(z_flat)  # the same at every evaluation, as in guided_ode_sample
                x = integrate(lambda x, t: head.evaluation(x, cond, t), x0, settings.ode_steps, settings.solver)
            x = x.reshape(batch, Q, C)
            grid[:, query_cells] = x
            if on_step:
                on_step(k, j, noise, x)
            if on_scale and (k, j) in scale_after:
                on_scale(scale_after[(k, j)], grid[:, :N])
    return grid[:, :N].clone()
