"""Distils each module's flow head into a few-step head (few_step_head.py) on the frozen backbone's conditions.

Data: the conditions z of every query, teacher-forced in one pass per module (NestAR.module_conditions) over token
grids of real images and of the teacher's own samples, conditional and unconditional. Every training step draws
fresh noise, a guidance scale and a temperature, runs the teacher's guided 16-step Heun ODE (ode.guided_ode_sample,
the reference path) and regresses the student's average velocity over [t, t + d] on the trajectory's chord, for
d = 1/K and each trained K. The teacher's 32 guided evaluations per row cost more than the student's update, so a
batch of targets may serve a few optimizer updates. Fresh noise every step means the data never runs out, also for module 1, which sees
only 4 tokens per image (the naive student of ../shared/evidence/ blurred there for lack of data)."""
import torch

from .few_step_head import FewStepConfig, FewStepHead, few_step_sample
from .ode import guided_ode_sample


@torch.no_grad()
def condition_pool(model, tokens_BNC, labels_B, chunk: int = 256):
    """Per module k: (z_c, z_u) [R_k, width_k] for every query of every image (conditional, then null class)."""
    pools = []
    null = torch.full_like(labels_B, model.config.null_class)
    for k in range(len(model.backbones)):
        zc, zu = [], []
        for i in range(0, len(tokens_BNC), chunk):
            tokens = tokens_BNC[i:i + chunk]
            zc.append(model.module_conditions(k, tokens, labels_B[i:i + chunk]).flatten(0, 1))
            zu.append(model.module_conditions(k, tokens, null[i:i + chunk]).flatten(0, 1))
        pools.append((torch.cat(zc), torch.cat(zu)))
    return pools


@torch.no_grad()
def teacher_trajectory(teacher, z_c, z_u, x0, w_N1, config: FewStepConfig):
    """x at the teacher's ODE grid points t = 0, 1/S, ..., 1 of the guided reference path: S + 1 tensors [N, C]."""
    points = []
    guided_ode_sample(teacher, torch.cat([z_c, z_u]), x0, w_N1, config.teacher_solver, config.teacher_ode_steps, points)
    return points


def draw_settings(rows: int, config: FewStepConfig, default_guidance: float, default_temperature: float, generator):
    """Per-row guidance and temperature: a third at the model's defaults (what visitors use most), the rest uniform
    over the trained range."""
    def draw(lo_hi, default):
        lo, hi = lo_hi
        value = lo + (hi - lo) * torch.rand(rows, 1, generator=generator)
        at_default = torch.rand(rows, 1, generator=generator) < 1 / 3
        return torch.where(at_default, torch.full_like(value, min(max(default, lo), hi)), value)
    return draw(config.guidance, default_guidance), draw(config.temperature, default_temperature)


@torch.no_grad()
def distillation_targets(teacher, z_c, z_u, config: FewStepConfig, default_guidance: float,
                         default_temperature: float, generator):
    """One batch of training rows from fresh teacher trajectories: for each trained K and each of its K steps, the
    student input (z, x(t), t, d = 1/K, w) and its target K * (x(t + 1/K) - x(t)), the chord of the reference path."""
    rows, dim = z_c.shape[0], teacher.output.out_features
    w, temperature = draw_settings(rows, config, default_guidance, default_temperature, generator)
    x0 = temperature * torch.randn(rows, dim, generator=generator)
    points = teacher_trajectory(teacher, z_c, z_u, x0, w, config)
    S = config.teacher_ode_steps
    parts = {"z": [], "x": [], "t": [], "d": [], "w": [], "target": []}
    evaluations = []
    for K in config.trained_evaluations:
        stride = S // K
        for i in range(K):
            for key, value in (("z", z_c), ("x", points[i * stride]), ("t", torch.full((rows, 1), i / K)),
                               ("d", torch.full((rows, 1), 1 / K)), ("w", w),
                               ("target", K * (points[(i + 1) * stride] - points[i * stride]))):
                parts[key].append(value)
            evaluations.append(K)
    batch = {key: torch.cat(values) for key, values in parts.items()}
    batch["evaluations"], batch["rows"] = evaluations, rows
    return batch


def distillation_loss(student: FewStepHead, batch: dict, config: FewStepConfig, shipped: int):
    """Mean over trained K of the student's squared error on the chords; the shipped K (this module's exported K)
    counts twice. Returns (loss, {K: loss_K})."""
    pred = student(batch["z"], batch["x"], batch["t"], batch["d"], batch["w"])
    errors = ((pred - batch["target"]) ** 2).mean(dim=1).split(batch["rows"])
    per_k = {K: torch.stack([e.mean() for e, o in zip(errors, batch["evaluations"]) if o == K]).mean()
             for K in config.trained_evaluations}
    weights = {K: 2.0 if K == shipped else 1.0 for K in per_k}
    loss = sum(weights[K] * per_k[K] for K in per_k) / sum(weights.values())
    return loss, per_k


def distillation_step(students, teachers, pool, config: FewStepConfig, optimizer, rows: int, updates: int,
                      default_guidance, default_temperature: float, generator, modules=None):
    """One batch of fresh teacher targets per trained module, then `updates` optimizer steps on their summed loss.
    `default_guidance`: one number, or one per module (the defaults' guidance per module, docs/contract.md).
    `modules`: the indices of the modules to train (default all); the other heads get no gradient, so the optimizer
    leaves them as they are. Returns the last update's loss per trained module and its per-K parts."""
    modules = list(range(len(teachers))) if modules is None else list(modules)
    per_module = default_guidance if isinstance(default_guidance, (list, tuple)) else [default_guidance] * len(teachers)
    batches = {}
    for k in modules:
        zc, zu = pool[k]
        idx = torch.randint(0, len(zc), (rows,), generator=generator)
        batches[k] = distillation_targets(teachers[k], zc[idx], zu[idx], config, per_module[k], default_temperature,
                                          generator)
    for _ in range(updates):
        results = [distillation_loss(students[k], batches[k], config, config.evaluations_of(k)) for k in modules]
        optimizer.zero_grad(set_to_none=True)
        sum(loss for loss, _ in results).backward()
        torch.nn.utils.clip_grad_norm_(students.parameters(), 1.0)
        optimizer.step()
    return [loss.item() for loss, _ in results], [{k: v.item() for k, v in by_k.items()} for _, by_k in results]


@torch.no_grad()
def endpoint_error(student: FewStepHead, teacher, z_c, z_u, config: FewStepConfig, guidance: float,
                   temperature: float, generator):
    """Per trained K: mean squared distance of the student's K-evaluation tokens to the reference path's, relative
    to the variance of the reference tokens (0 = the same tokens, 1 = no better than their mean)."""
    rows, dim = z_c.shape[0], student.head.output.out_features
    w = torch.full((rows, 1), guidance)
    x0 = temperature * torch.randn(rows, dim, generator=generator)
    reference = teacher_trajectory(teacher, z_c, z_u, x0, w, config)[-1]
    spread = reference.var(dim=0).mean()
    return {K: (((few_step_sample(student, z_c, x0, w, K) - reference) ** 2).mean() / spread).item()
            for K in config.trained_evaluations}
