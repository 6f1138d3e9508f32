"""Guidance per module (docs/contract.md, "Settings and guidance per module"): the first module takes
coarse_guidance, the later ones guidance; unset, or equal to guidance, it is the one-guidance sampler exactly."""
import pytest
import torch

from nestar.config import PRESETS
from nestar.few_step_head import FewStepConfig, FewStepHead
from nestar.model import NestAR
from nestar.sampler import SamplingSettings, sample


def tiny_model():
    torch.manual_seed(0)
    model = NestAR(PRESETS["tiny"]).eval()
    for head in model.heads:  # the modulation starts at zero: make the velocity depend on the class
        for p in head.parameters():
            p.data.add_(0.05 * torch.randn_like(p))
    model.few_step_heads = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads).eval()
    for head in model.few_step_heads:  # a warm start ignores w (its embedding starts at zero): make it matter
        for p in head.guidance.parameters():
            p.data.add_(0.05 * torch.randn_like(p))
    model.few_step_config = FewStepConfig(guidance=(1.0, 6.0))
    return model.requires_grad_(False)


def tokens_by_module(model, settings):
    """Each module's sampled tokens, concatenated over its steps, and the final grid."""
    steps = {}
    final = sample(model, 3, 7, settings, batch=2,
                   on_step=lambda k, j, noise, x: steps.setdefault(k, []).append(x.clone()))
    return [torch.cat(xs, dim=1) for _, xs in sorted(steps.items())], final


def test_module_guidance_rule():
    s = SamplingSettings(guidance=5.0, coarse_guidance=2.0)
    assert [s.module_guidance(k, 3) for k in range(3)] == [2.0, 5.0, 5.0]
    assert s.module_guidance(0, 1) == 5.0  # one module (raster): no coarse scale of its own
    assert [SamplingSettings(guidance=5.0).module_guidance(k, 3) for k in range(3)] == [5.0, 5.0, 5.0]
    assert s.guidances() == (2.0, 5.0) and SamplingSettings(guidance=4.0, coarse_guidance=4.0).guidances() == (4.0,)
    assert s.as_dict()["coarse_guidance"] == 2.0 and "coarse_guidance" not in SamplingSettings().as_dict()


@pytest.mark.parametrize("solver", ["heun", "few_step"])
def test_equal_coarse_guidance_is_the_one_guidance_sampler(solver):
    model = tiny_model()
    plain = SamplingSettings(ode_steps=2, solver=solver, guidance=3.0)
    same = SamplingSettings(ode_steps=2, solver=solver, guidance=3.0, coarse_guidance=3.0)
    assert torch.equal(tokens_by_module(model, plain)[1], tokens_by_module(model, same)[1])


@pytest.mark.parametrize("solver", ["heun", "few_step"])
@pytest.mark.parametrize("coarse", [1.0, 2.0])  # 1: module 1 runs undoubled on the ODE path, module 2 doubled
def test_coarse_guidance_reaches_the_first_module_only(solver, coarse):
    model = tiny_model()
    fine = 4.0
    # What each module's networks are given: the backbone's batch rows, the few-step head's guidance input.
    rows, few_step_w = {}, {}
    hooks = [net.register_forward_pre_hook(lambda m, args, k=k: rows.setdefault(k, set()).add(args[0].shape[0]))
             for k, net in enumerate(model.backbones)]

    def recording(k, condition):  # the sampler gives a token's guidance to the head once, with its z
        def token_condition(z, w):
            few_step_w.setdefault(k, set()).update(w.flatten().tolist())
            return condition(z, w)
        return token_condition

    for k, head in enumerate(model.few_step_heads):
        head.token_condition = recording(k, head.token_condition)
    settings = SamplingSettings(ode_steps=2, solver=solver, guidance=fine, coarse_guidance=coarse)
    mixed, _ = tokens_by_module(model, settings)
    for h in hooks:
        h.remove()
    for head in model.few_step_heads:
        del head.token_condition
    if solver == "few_step":
        assert rows == {0: {2}, 1: {2}} and few_step_w == {0: {coarse}, 1: {fine}}
    else:
        assert rows == {0: {2 if coarse == 1.0 else 4}, 1: {4}} and few_step_w == {}
    # Module 1's tokens are those of a run at the coarse guidance throughout, not at the fine one.
    all_coarse, _ = tokens_by_module(model, SamplingSettings(ode_steps=2, solver=solver, guidance=coarse))
    all_fine, _ = tokens_by_module(model, SamplingSettings(ode_steps=2, solver=solver, guidance=fine))
    assert torch.allclose(mixed[0], all_coarse[0], atol=1e-6)
    assert not torch.allclose(mixed[0], all_fine[0], atol=1e-3)


def test_few_step_refuses_a_coarse_guidance_outside_the_trained_range():
    model = tiny_model()
    with pytest.raises(ValueError, match=r"trained for guidance in \[1.0, 6.0\], got 0.5"):
        sample(model, 0, 0, SamplingSettings(solver="few_step", guidance=3.0, coarse_guidance=0.5))
