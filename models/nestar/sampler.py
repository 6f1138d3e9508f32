"""The reference sampler: the browser's scheduler (src/scheduler.ts) must reproduce it to float tolerance.

It runs exactly what the exported graphs run: one backbone call per step with an explicit key/value cache, then an
ODE over the flow head from t = 0 (noise) to t = 1 (tokens), with classifier-free guidance on the velocity; or, with
solver "few_step", the few-step head's K evaluations on the conditional z alone (few_step_head.py)."""
from dataclasses import dataclass

import numpy as np
import torch

from . import prng
from .few_step_head import few_step_sample
from .model import NestAR, step_bias
from .schedule import NO_PARENT


@dataclass
class SamplingSettings:
    ode_steps: int = 16
    solver: str = "heun"
    guidance: float = 3.0
    temperature: float = 1.0

    def validate(self):
        if self.solver not in ("euler", "heun", "few_step"):
            raise ValueError(f"solver must be 'euler', 'heun' or 'few_step', got {self.solver!r}")
        if not 1 <= self.ode_steps <= 1000:
            raise ValueError(f"ode_steps must be in [1, 1000], got {self.ode_steps}")
        if not 0 <= self.temperature <= 10 or not -10 <= self.guidance <= 100:
            raise ValueError(f"temperature {self.temperature} or guidance {self.guidance} out of range")


def starting_noise(seeds, module: int, step: int, count: int, dim: int):
    """[B, count, dim] float32: image b's noise from seed seeds[b] (docs/contract.md)."""
    stream = prng.stream_of(module, step)
    return torch.from_numpy(np.stack([prng.normal(s, stream, count * dim).reshape(count, dim) for s in seeds]))


def integrate(velocity, x0, steps: int, solver: str, trajectory: list = None):
    """dx/dt = velocity(x, t) from t = 0 to 1 in `steps` equal steps (Euler or Heun). `trajectory`, if given,
    receives x at t = 0, dt, ..., 1 (the few-step head's distillation targets)."""
    x, dt = x0, 1.0 / steps
    if trajectory is not None:
        trajectory.append(x)
    for i in range(steps):
        t = i * dt
        v1 = velocity(x, t)
        if solver == "euler":
            x = x + dt * v1
        else:
            v2 = velocity(x + dt * v1, t + dt)
            x = x + dt * (v1 + v2) / 2
        if trajectory is not None:
            trajectory.append(x)
    return x


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
        for name, (lo, hi) in (("guidance", model.few_step_config.guidance),
                               ("temperature", model.few_step_config.temperature)):
            if not lo <= getattr(settings, name) <= hi:
                raise ValueError(f"the few-step heads were trained for {name} in [{lo}, {hi}], "
                                 f"got {getattr(settings, name)}")
    device = next(model.parameters()).device
    N, C = cfg.num_tokens, cfg.token_dim
    seeds = [(seed + b) % 2**32 for b in range(batch)]
    # The few-step head folds guidance in: the backbone sees only the conditional batch.
    guided = settings.guidance != 1.0 and not few_step
    labels = torch.full((batch,), class_index, dtype=torch.long, device=device)
    if guided:
        labels = torch.cat([labels, torch.full_like(labels, cfg.null_class)])
    rows = labels.shape[0]
    grid = torch.zeros(rows, N + 1, C, device=device)  # row N stays zero: class slot and "no parent"
    scale_after = {(s.module, s.step): s for s in model.scales}
    for k, steps in enumerate(model.schedule):
        net, head = model.backbones[k], model.heads[k]
        past = net.empty_cache(rows, device)
        for j, step in enumerate(steps):
            content_cells = torch.tensor(step.content_cells, device=device)
            query_cells = torch.tensor(step.query_cells, device=device)
            parents = torch.tensor([N if p == NO_PARENT else p for p in step.query_parent_cells], device=device)
            bias = step_bias(past.shape[4], len(step.content_cells), len(step.query_cells), device)
            z, past = net(labels, grid[:, content_cells], content_cells, grid[:, parents], query_cells, past, bias)
            Q = len(step.query_cells)
            noise = starting_noise(seeds, k, j, Q, C).to(device)
            z_flat = z.reshape(rows * Q, -1)

            def velocity(x_BQC, t):
                x = torch.cat([x_BQC, x_BQC]) if guided else x_BQC
                t_col = torch.full((rows * Q, 1), t, device=device)
                v = head(z_flat, x.reshape(rows * Q, C), t_col).reshape(rows, Q, C)
                if not guided:
                    return v
                v_c, v_u = v[:batch], v[batch:]
                return v_u + settings.guidance * (v_c - v_u)

            if few_step:
                w_col = torch.full((rows * Q, 1), settings.guidance, device=device)
                x = few_step_sample(model.few_step_heads[k], z_flat, settings.temperature * noise.reshape(rows * Q, C),
                                    w_col, model.few_step_config.evaluations).reshape(rows, Q, C)
            else:
                x = integrate(velocity, settings.temperature * noise, settings.ode_steps, settings.solver)
            grid[:batch, query_cells] = x
            if guided:
                grid[batch:, query_cells] = x
            if on_step:
                on_step(k, j, noise, x)
            if on_scale and (k, j) in scale_after:
                on_scale(scale_after[(k, j)], grid[:batch, :N])
    return grid[:batch, :N].clone()
