"""The flow ODE dx/dt = v(x, t) from t = 0 (noise) to 1 (tokens) in equal Euler or Heun steps, and the guided ODE as
one call (mirror: src/ode.ts; docs/contract.md, "Sampling with the ODE" and "Few-step sampler").

GuidedOdeSampler is a module's one-call sampler graph when the few-step solver runs the reference ODE there with a few
steps instead of a distilled head: on v3 the distilled head of the first module was where all of the few-step
sampler's FID gap to the 16-step ODE came from (its 4 tokens lay out the whole picture), while 3 guided Heun steps of
the model's own flow head there, with the distilled heads in the later modules, score as the 16-step ODE everywhere
(README, Quality). The first module holds few tokens, so its extra evaluations cost little."""
import torch
from torch import nn

SOLVERS = ("euler", "heun")


def integrate(velocity, x0, steps: int, solver: str, trajectory: list = None):
    """dx/dt = velocity(x, t) from t = 0 to 1 in `steps` equal steps (Euler or Heun, Heun also on the last step).
    `trajectory`, if given, receives x at t = 0, dt, ..., 1 (the few-step head's distillation targets)."""
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


def velocity_evaluations(solver: str, steps: int) -> int:
    """Flow-head evaluations of one integration (per row): Heun takes two per step."""
    return 2 * steps if solver == "heun" else steps


def guided_ode_sample(head, z_2ND, x0_ND, w_N1, solver: str, steps: int, trajectory: list = None):
    """Tokens [N, dim] from x0 by the guided ODE v = v_u + w (v_c - v_u): z holds the N conditional rows, then the N
    unconditional ones (the backbone's doubled batch, flattened), and each evaluation runs the head on both at once.
    `trajectory`: as integrate's (the few-step heads' distillation targets)."""
    cond = head.cond(z_2ND)  # the same at every evaluation

    def velocity(x, t):
        v = head.evaluation(torch.cat([x, x]), cond, t)
        # Split by reshaping, not by slicing at N: the exported graph then needs no row count of its own.
        v_c, v_u = v.reshape(2, -1, v.shape[-1]).unbind(0)
        return v_u + w_N1 * (v_c - v_u)

    return integrate(velocity, x0_ND, steps, solver, trajectory)


class GuidedOdeSampler(nn.Module):
    """The exported one-call sampler of a module that runs the guided reference ODE: (z [2N, width], x0 [N, dim],
    guidance [N, 1]) -> tokens [N, dim], all of the ODE's evaluations inside (docs/contract.md, "Few-step sampler")."""

    def __init__(self, head: nn.Module, solver: str, steps: int):
        super().__init__()
        if solver not in SOLVERS or steps < 1:
            raise ValueError(f"a guided ODE sampler needs a solver in {SOLVERS} and steps >= 1, got {solver!r}, {steps}")
        self.head, self.solver, self.steps = head, solver, steps

    def forward(self, z, x0, guidance):
        return guided_ode_sample(self.head, z, x0, guidance, self.solver, self.steps)
