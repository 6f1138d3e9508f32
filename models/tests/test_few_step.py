"""The few-step head: its warm start, the distillation targets (chords of the guided reference path), that training
moves it towards the reference, the one-call sampler graph, and that a head file only attaches to its teacher."""
import pytest
import torch

from nestar import checkpoint
from nestar.config import PRESETS
from nestar.distillation import (condition_pool, distillation_step, distillation_targets, endpoint_error,
                                 teacher_trajectory)
from nestar.few_step_head import (FewStepConfig, FewStepHead, FewStepSampler, evaluations_argument, evaluations_label,
                                  few_step_sample, parse_evaluations)
from nestar.model import NestAR
from nestar.sampler import SamplingSettings, sample


def tiny_model():
    torch.manual_seed(0)
    model = NestAR(PRESETS["tiny"]).eval()
    for head in model.heads:  # the modulation starts at zero: give the teacher a condition-dependent velocity
        for p in head.parameters():
            p.data.add_(0.05 * torch.randn_like(p))
    return model.requires_grad_(False)


def test_warm_start_is_the_teachers_conditional_velocity():
    model = tiny_model()
    teacher = model.heads[0]
    student = FewStepHead.from_teacher(teacher)
    z, x, t = torch.randn(5, 32), torch.randn(5, 48), torch.rand(5, 1)
    u = student(z, x, t, torch.full((5, 1), 0.5), torch.full((5, 1), 3.0))
    assert torch.allclose(u, teacher(z, x, t), atol=1e-6)


def test_targets_are_chords_of_the_guided_reference_path():
    model = tiny_model()
    cfg = FewStepConfig()
    zc, zu = torch.randn(4, 32), torch.randn(4, 32)
    g = torch.Generator().manual_seed(1)
    batch = distillation_targets(model.heads[0], zc, zu, cfg, 3.0, 1.0, g)
    assert batch["evaluations"] == [1, 2, 2, 4, 4, 4, 4] and batch["rows"] == 4
    # K = 1: one evaluation from x0 must land on the reference path's end.
    x0, w = batch["x"][:4], batch["w"][:4]
    end = teacher_trajectory(model.heads[0], zc, zu, x0, w, cfg)[-1]
    assert torch.allclose(x0 + batch["target"][:4], end, atol=1e-5)
    # K = 2: the two chords add up to the same end.
    assert torch.allclose(x0 + 0.5 * batch["target"][4:8] + 0.5 * batch["target"][8:12], end, atol=1e-5)


def test_distillation_moves_the_few_step_tokens_towards_the_reference():
    model = tiny_model()
    cfg = FewStepConfig(guidance=(2.0, 4.0))
    tokens, labels = torch.randn(64, model.config.num_tokens, model.config.token_dim), torch.randint(0, 70, (64,))
    pool = condition_pool(model, tokens, labels)
    students = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads)
    held = pool[1][0][:128], pool[1][1][:128]
    error = lambda: endpoint_error(students[1], model.heads[1], *held, cfg, 3.0, 1.0, torch.Generator().manual_seed(5))  # noqa: E731
    before = error()
    opt = torch.optim.AdamW(students.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        distillation_step(students, model.heads, pool, cfg, opt, 64, 1, 3.0, 1.0, g)
    after = error()
    assert after[2] < 0.5 * before[2], (before, after)


def test_one_call_sampler_equals_the_loop_and_the_sampler_uses_it(tmp_path):
    model = tiny_model()
    state = {"model_config": model.config.to_dict(), "step": 7, "ema": model.state_dict()}
    heads = [FewStepHead.from_teacher(h) for h in model.heads]
    path = str(tmp_path / "few_step.pt")
    checkpoint.save_few_step(path, FewStepConfig(), heads, state, 0, 0.0)
    checkpoint.attach_few_step(model, state, path)
    z, x0, w = torch.randn(6, 32), torch.randn(6, 48), torch.full((6, 1), 2.0)
    assert torch.equal(FewStepSampler(model.few_step_heads[0], 2)(z, x0, w),
                       few_step_sample(model.few_step_heads[0], z, x0, w, 2))
    head = model.few_step_heads[0]
    for p in head.parameters():  # the step and guidance embeddings start at zero: make them count
        p.data.add_(0.05 * torch.randn_like(p))
    for K in (1, 2, 4):  # the sampler embeds (z, w) once and (t, d) once for all rows: the same as K plain calls
        x = x0
        for i in range(K):
            x = x + head(z, x, torch.full((6, 1), i / K), torch.full((6, 1), 1 / K), w) / K
        assert torch.allclose(few_step_sample(head, z, x0, w, K), x, atol=1e-5)
    tokens = sample(model, 3, 9, SamplingSettings(solver="few_step", guidance=2.0), batch=2)
    assert tokens.shape == (2, model.config.num_tokens, model.config.token_dim) and torch.isfinite(tokens).all()
    with pytest.raises(ValueError, match="trained for guidance"):
        sample(model, 3, 9, SamplingSettings(solver="few_step", guidance=9.0))
    with pytest.raises(ValueError, match="trained for temperature"):
        sample(model, 3, 9, SamplingSettings(solver="few_step", guidance=2.0, temperature=0.3))
    with pytest.raises(ValueError, match="another generator"):
        checkpoint.attach_few_step(model, {**state, "step": 8}, path)
    with pytest.raises(ValueError, match="few-step heads"):
        sample(NestAR(PRESETS["tiny"]).eval(), 3, 9, SamplingSettings(solver="few_step"))


def test_warm_start_takes_heads_of_the_same_architecture_only(tmp_path):
    from distill import warm_start

    model = tiny_model()
    earlier = {"model_config": model.config.to_dict(), "step": 7, "ema": model.state_dict()}
    heads = [FewStepHead.from_teacher(h) for h in model.heads]
    for head in heads:
        for p in head.parameters():
            p.data.add_(0.01)
    path = str(tmp_path / "few_step.pt")
    checkpoint.save_few_step(path, FewStepConfig(), heads, earlier, 40, 120.0)

    later = {**earlier, "step": 9}  # a later checkpoint of the same model: the file's heads, not the teacher's
    students = [FewStepHead.from_teacher(h) for h in model.heads]
    saved = warm_start(students, path, later)
    assert saved["step"] == 40 and saved["teacher"]["step"] == 7
    assert all(torch.equal(a, b) for s, h in zip(students, heads)
               for a, b in zip(s.state_dict().values(), h.state_dict().values()))

    other = {**earlier, "model_config": {**earlier["model_config"], "flow_width": 2 * model.config.flow_width}}
    untouched = [FewStepHead.from_teacher(h) for h in model.heads]
    before = [{k: v.clone() for k, v in s.state_dict().items()} for s in untouched]
    assert warm_start(untouched, path, other) is None
    (tmp_path / "torn.pt").write_bytes(b"not a checkpoint")
    assert warm_start(untouched, str(tmp_path / "torn.pt"), later) is None
    assert warm_start(untouched, str(tmp_path / "missing.pt"), later) is None
    assert all(torch.equal(v, b[k]) for s, b in zip(untouched, before) for k, v in s.state_dict().items())


def distillation_setup(monkeypatch):
    """A tiny model, its condition pool, fresh students, and the list that records each batch's default guidance."""
    import nestar.distillation as distillation

    model = tiny_model()
    tokens, labels = torch.randn(16, model.config.num_tokens, model.config.token_dim), torch.randint(0, 70, (16,))
    pool = condition_pool(model, tokens, labels)
    students = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads)
    seen, real = [], distillation.distillation_targets
    def recording(teacher, zc, zu, config, w, *rest):
        seen.append(w)
        return real(teacher, zc, zu, config, w, *rest)

    monkeypatch.setattr(distillation, "distillation_targets", recording)
    return model, pool, students, seen


def test_each_module_is_distilled_at_its_own_default_guidance(monkeypatch):
    model, pool, students, seen = distillation_setup(monkeypatch)
    cfg = FewStepConfig(guidance=(1.0, 10.0))
    opt = torch.optim.AdamW(students.parameters(), lr=1e-3)
    distillation_step(students, model.heads, pool, cfg, opt, 8, 1, [3.0, 8.0], 1.0, torch.Generator().manual_seed(0))
    assert seen == [3.0, 8.0]  # the defaults' guidance per module (coarse, then the rest)
    distillation_step(students, model.heads, pool, cfg, opt, 8, 1, 5.0, 1.0, torch.Generator().manual_seed(0))
    assert seen[2:] == [5.0, 5.0]  # one number: every module


def test_only_the_chosen_modules_train(monkeypatch):
    from distill import trained_modules

    model, pool, students, seen = distillation_setup(monkeypatch)
    cfg = FewStepConfig(guidance=(1.0, 10.0))
    for p in students.parameters():  # the new inputs' MLPs start at zero: make every weight get a gradient
        p.data.add_(0.01 * torch.randn_like(p))
    before = [{k: v.clone() for k, v in s.state_dict().items()} for s in students]
    opt = torch.optim.AdamW(students.parameters(), lr=1e-3, weight_decay=0.0)
    losses, _ = distillation_step(students, model.heads, pool, cfg, opt, 8, 2, [3.0, 8.0], 1.0,
                                  torch.Generator().manual_seed(0), trained_modules("2", 2))
    assert len(losses) == 1 and seen == [8.0]  # module 2's batch alone, at its own guidance
    assert all(torch.equal(v, students[0].state_dict()[k]) for k, v in before[0].items())
    assert any(not torch.equal(v, students[1].state_dict()[k]) for k, v in before[1].items())
    assert trained_modules(None, 3) == [0, 1, 2] and trained_modules("3,1", 3) == [0, 2]
    assert trained_modules(None, 3, [0]) == [1, 2]  # a guided-ODE module ships no head
    with pytest.raises(SystemExit, match="guided ODE"):
        trained_modules("1,2", 3, [0])
    for bad in ("0", "4", "x", ""):
        with pytest.raises(SystemExit, match="--modules"):
            trained_modules(bad, 3)


def test_each_module_runs_its_own_number_of_evaluations(tmp_path):
    assert (parse_evaluations("2"), parse_evaluations("2,1")) == (2, (2, 1))
    cfg = FewStepConfig(evaluations=[2, 1])  # as read back from a saved file: a list
    assert cfg.evaluations == (2, 1) and [cfg.evaluations_of(k) for k in (0, 1)] == [2, 1]
    assert FewStepConfig.from_dict(cfg.to_dict()) == cfg and cfg.to_dict()["evaluations"] == [2, 1]
    with pytest.raises(ValueError, match="not one of the trained"):
        FewStepConfig(evaluations=(2, 3))
    with pytest.raises(ValueError, match="name 3 modules; the model has 2"):
        FewStepConfig(evaluations=(2, 2, 1)).check_modules(2)

    model = tiny_model()
    state = {"model_config": model.config.to_dict(), "step": 7, "ema": model.state_dict()}
    heads = [FewStepHead.from_teacher(h) for h in model.heads]
    path = str(tmp_path / "few_step.pt")
    checkpoint.save_few_step(path, cfg, heads, state, 0, 0.0)
    checkpoint.attach_few_step(model, state, path)
    seen = []

    def recording(head, z, x0, w, evaluations):
        seen.append(evaluations)
        return few_step_sample(head, z, x0, w, evaluations)

    import nestar.sampler as sampler
    original, sampler.few_step_sample = sampler.few_step_sample, recording
    try:
        sample(model, 3, 9, SamplingSettings(solver="few_step", guidance=2.0), batch=1)
    finally:
        sampler.few_step_sample = original
    assert seen == [2] * len(model.schedule[0]) + [1] * len(model.schedule[1])  # one call per step, K of its module
    checkpoint.attach_few_step(model, state, path, evaluations=4)  # the K a manifest names wins over the file's
    assert model.few_step_config.evaluations == 4
    with pytest.raises(ValueError, match="name 3 modules"):
        checkpoint.save_few_step(path, FewStepConfig(evaluations=(2, 2, 1)), heads, state, 0, 0.0)
        checkpoint.attach_few_step(model, state, path)


def test_a_module_can_run_the_guided_ode_in_its_one_call(tmp_path):
    """evaluations {"solver", "steps"} for a module: its sampler is the guided reference ODE in one call (on the
    doubled batch), the same tokens as the ODE solver with that many steps; the other modules keep their heads."""
    from nestar.ode import GuidedOdeSampler

    heun2 = {"solver": "heun", "steps": 2}
    assert parse_evaluations("heun2,2") == (heun2, 2) and parse_evaluations("euler6, 1") == (
        {"solver": "euler", "steps": 6}, 1)
    for text in ("heun2,2", "2,2,1", "2", "euler6,1"):
        assert evaluations_argument(parse_evaluations(text)) == text
    assert evaluations_label((heun2, 2)) == "8/2" and evaluations_label((2, 2, 1)) == "2/2/1" and evaluations_label(2) == "2"
    from model_card import evaluations_text  # the model card's words for the same entries
    assert evaluations_text({"evaluations": [heun2, 1, 1]}) == (
        "from the coarse module to the fine ones, a 2-step guided Heun ODE of its own flow head (8 head evaluations "
        "per token, on both guidance halves), then 1 head evaluation per token in each of the next 2 modules")
    assert evaluations_text({"evaluations": [heun2, 2, 1]}).endswith("then 2 head evaluations per token, then 1 head "
                                                                    "evaluation per token")
    for bad in ({"solver": "rk4", "steps": 2}, {"solver": "heun", "steps": 0}, {"solver": "heun"},
                {"solver": "heun", "steps": True}):
        with pytest.raises(ValueError, match="ODE module"):
            FewStepConfig(evaluations=(bad, 2))
    with pytest.raises(ValueError, match="per module"):
        FewStepConfig(evaluations=heun2)
    assert FewStepConfig.from_dict(FewStepConfig(evaluations=[heun2, 2]).to_dict()).evaluations == (heun2, 2)

    model = tiny_model()
    state = {"model_config": model.config.to_dict(), "step": 7, "ema": model.state_dict()}
    path = str(tmp_path / "few_step.pt")
    checkpoint.save_few_step(path, FewStepConfig(guidance=(1.0, 10.0)), [FewStepHead.from_teacher(h) for h in model.heads],
                             state, 0, 0.0)
    checkpoint.attach_few_step(model, state, path, evaluations=[heun2, 2])

    def tokens_by_module(settings):
        seen = {}
        sample(model, 4, 11, settings, batch=3, on_step=lambda k, j, noise, x: seen.setdefault(k, []).append(x.clone()))
        return seen

    hybrid = tokens_by_module(SamplingSettings(solver="few_step", guidance=3.0, coarse_guidance=2.0))
    ode = tokens_by_module(SamplingSettings(ode_steps=2, solver="heun", guidance=3.0, coarse_guidance=2.0))
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(hybrid[0], ode[0]))  # module 1: the ODE, 2 Heun steps
    # The one-call graph takes z as [conditional rows; unconditional rows] and x0 for the conditional rows only.
    head, z, x0, w = model.heads[0], torch.randn(8, 32), torch.randn(4, 48), torch.full((4, 1), 2.5)
    x = x0
    for i in range(2):
        def v(xx, t):
            out = head(z, torch.cat([xx, xx]), torch.full((8, 1), t))
            return out[4:] + 2.5 * (out[:4] - out[4:])
        v1 = v(x, i / 2)
        x = x + 0.5 * (v1 + v(x + 0.5 * v1, (i + 1) / 2)) / 2
    assert torch.allclose(GuidedOdeSampler(head, "heun", 2)(z, x0, w), x, atol=1e-6)
