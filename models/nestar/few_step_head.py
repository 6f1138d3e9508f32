"""The few-step flow head: the flow head plus the step size d and the guidance scale w as inputs.

It predicts the average velocity (x(t + d) - x(t)) / d of the *guided* ODE of the 16-step Heun reference path
(sampler.py), so K = 1/d evaluations of x += d * u(z, x, t, d, w) land where the reference lands, from the
conditional z alone: guidance is folded in, the batch is no longer doubled (the shortcut-model idea, arXiv
2410.12557, distilled from the shipped head as FAR did for MAR's head, arXiv 2504.18391). distillation.py trains it;
FewStepSampler is the exported graph that runs all K evaluations in one call (docs/contract.md, "Few-step sampler")."""
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .flow_head import FlowHead, timestep_embedding
from .ode import SOLVERS, velocity_evaluations

# w enters the sinusoidal embedding as w / GUIDANCE_SCALE, so the trained range maps into [0, 1] like t and d.
GUIDANCE_SCALE = 10.0


def ode_spec(entry):
    """An `evaluations` entry that names the guided reference ODE ({"solver": "heun", "steps": 3}), or None for a K."""
    return entry if isinstance(entry, dict) else None


def head_evaluations(entry) -> int:
    """Flow-head evaluations per token of one module's sampler: K, or for the guided ODE its velocity evaluations on
    both guidance rows (3 Heun steps: 3 * 2 * 2 = 12)."""
    spec = ode_spec(entry)
    return entry if spec is None else 2 * velocity_evaluations(spec["solver"], spec["steps"])


def evaluations_label(evaluations) -> str:
    """Head evaluations per token: "2", or per module coarse to fine, "12/2/1" (mirror: app/format.ts)."""
    per_module = [head_evaluations(e) for e in evaluations] if isinstance(evaluations, (list, tuple)) else [evaluations]
    return str(per_module[0]) if len(set(per_module)) == 1 else "/".join(map(str, per_module))


@dataclass
class FewStepConfig:
    # Per module (or one for every module): K, the distilled head's evaluations per token (a module whose heads land
    # close to the reference with fewer evaluations runs fewer: the last module holds most tokens), or
    # {"solver": "heun", "steps": S}: that module's one-call graph runs the guided reference ODE with the model's own
    # flow head in S steps instead (ode.GuidedOdeSampler; the backbone runs the doubled batch there).
    evaluations: int | tuple = 2
    trained_evaluations: tuple = (1, 2, 4)  # step sizes 1/K the head is trained for
    guidance: tuple = (1.0, 6.0)  # trained range of w; the manifest limits the few-step sampler to it
    temperature: tuple = (0.7, 1.1)  # trained range of the starting-noise scale
    teacher_ode_steps: int = 16  # the reference path: Heun with this many steps
    teacher_solver: str = "heun"

    def __post_init__(self):
        self.trained_evaluations = tuple(self.trained_evaluations)
        self.guidance = tuple(self.guidance)
        self.temperature = tuple(self.temperature)
        if isinstance(self.evaluations, (list, tuple)):
            self.evaluations = tuple(self.evaluations)
        for k in self.trained_evaluations:
            if k < 1 or self.teacher_ode_steps % k:
                raise ValueError(f"{k} evaluations do not divide the teacher's {self.teacher_ode_steps} ODE steps")
        for k in self.evaluations if isinstance(self.evaluations, tuple) else (self.evaluations,):
            spec = ode_spec(k)
            if spec is not None:
                if set(spec) != {"solver", "steps"} or spec["solver"] not in SOLVERS or not (
                        isinstance(spec["steps"], int) and not isinstance(spec["steps"], bool) and 1 <= spec["steps"] <= 64):
                    raise ValueError(f"an ODE module's evaluations must be {{'solver': 'euler' or 'heun', 'steps': "
                                     f"1..64}}, got {k}")
            elif k not in self.trained_evaluations:
                raise ValueError(f"evaluations {k} is not one of the trained {self.trained_evaluations}")
        if ode_spec(self.evaluations) is not None:
            raise ValueError("the guided ODE is chosen per module (a list of evaluations), not for every module: "
                             "that is the ODE solver itself")

    def evaluations_of(self, module: int):
        """Module `module`'s sampler: K, or the guided ODE's {"solver", "steps"} (ode_spec)."""
        return self.evaluations[module] if isinstance(self.evaluations, tuple) else self.evaluations

    def ode_of(self, module: int):
        """Module `module`'s guided-ODE {"solver", "steps"} when its one call runs the reference ODE, else None."""
        return ode_spec(self.evaluations_of(module))

    def per_module(self, modules: int) -> list:
        """K of each of the model's `modules` samplers, coarse to fine."""
        return [self.evaluations_of(k) for k in range(modules)]

    def check_modules(self, modules: int):
        if isinstance(self.evaluations, tuple) and len(self.evaluations) != modules:
            raise ValueError(f"evaluations {list(self.evaluations)} name {len(self.evaluations)} modules; the model "
                             f"has {modules}")

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "FewStepConfig":
        return cls(**d)


def parse_evaluations(text: str):
    """A command line's K: "2" (every module) or "2,2,1" (one per module, coarse to fine), where a module may name the
    guided reference ODE instead: "heun3,2,1" (3 Heun steps in the first module)."""
    def entry(v: str):
        v = v.strip()
        for solver in SOLVERS:
            if v.startswith(solver) and v[len(solver):].isdigit():
                return {"solver": solver, "steps": int(v[len(solver):])}
        return int(v)

    values = tuple(entry(v) for v in text.split(","))
    return values[0] if len(values) == 1 else values


def evaluations_argument(evaluations) -> str:
    """The command-line form of a manifest's or config's `evaluations` ("heun3,2,1"): parse_evaluations' inverse."""
    entries = evaluations if isinstance(evaluations, (list, tuple)) else [evaluations]
    return ",".join(f"{e['solver']}{e['steps']}" if ode_spec(e) else str(e) for e in entries)


def _embedding_mlp(width: int) -> nn.Sequential:
    mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
    nn.init.zeros_(mlp[2].weight)  # starts as the teacher: the new inputs add nothing until trained
    nn.init.zeros_(mlp[2].bias)
    return mlp


class FewStepHead(nn.Module):
    def __init__(self, token_dim: int, cond_width: int, width: int, depth: int):
        super().__init__()
        self.head = FlowHead(token_dim, cond_width, width, depth)
        self.step = _embedding_mlp(width)
        self.guidance = _embedding_mlp(width)

    @classmethod
    def from_teacher(cls, teacher: FlowHead) -> "FewStepHead":
        """Warm start: at d -> 0 and w = 1 the student is the teacher's conditional velocity."""
        student = cls(teacher.output.out_features, teacher.cond.in_features, teacher.width, len(teacher.blocks))
        student.head.load_state_dict(teacher.state_dict())
        return student

    def forward(self, z_ND, x_NC, t_N1, d_N1, w_N1):
        """Average guided velocity over [t, t + d] from the conditional z only (t and d per row, as in training)."""
        h = self.head
        c = self.token_condition(z_ND, w_N1) + h.time(timestep_embedding(t_N1, h.width)) + self.step(
            timestep_embedding(d_N1, h.width))
        return h.trunk(x_NC, c)

    def token_condition(self, z_ND, w_N1):
        """The part of the condition that is the same at every evaluation of a token: its z and guidance."""
        return self.head.cond(z_ND) + self.guidance(timestep_embedding(w_N1 / GUIDANCE_SCALE, self.head.width))

    def evaluation(self, x_NC, token_c_ND, t: float, d: float):
        """u at one (t, d) shared by all rows: their embeddings are computed on one row, [1, width], and broadcast,
        so a row pays only for the trunk (per row, the exported graph would run both embedding MLPs on every row)."""
        h = self.head
        one = token_c_ND.new_ones(1, 1)
        return h.trunk(x_NC, token_c_ND + (h.time(timestep_embedding(t * one, h.width))
                                           + self.step(timestep_embedding(d * one, h.width))))


def few_step_sample(head: FewStepHead, z_ND, x0_NC, w_N1, evaluations: int):
    """x(1) from x(0) = temperature * noise in `evaluations` equal steps: x += d * u(z, x, i*d, d, w). The token's
    condition (z, w) is embedded once, and each evaluation's (t, d) once for all rows: the same numbers as calling
    the head K times, and in v3's exported 256-wide head at K = 2, 14% fewer matmul FLOPs per token at 48 rows and
    22% less time per call (bench/versions.mjs) than the graph that embedded t and d per row."""
    d = 1.0 / evaluations
    x = x0_NC
    token_c = head.token_condition(z_ND, w_N1)
    for i in range(evaluations):
        x = x + d * head.evaluation(x, token_c, i * d, d)
    return x


class FewStepSampler(nn.Module):
    """The exported one-call token sampler of a module: (z, x0, guidance) -> tokens, all K evaluations inside."""

    def __init__(self, head: FewStepHead, evaluations: int):
        super().__init__()
        self.head = head
        self.evaluations = evaluations

    def forward(self, z, x0, guidance):
        return few_step_sample(self.head, z, x0, guidance, self.evaluations)

