"""The speed benchmark's cost model (models/bench_flops.py): FLOPs counted from the ONNX graphs equal hand-counted
ones on the tiny fixture, and the schedules have 3M + 1 (NestAR) and n (raster) sequential steps."""
import json
import math
import os

import onnx
import pytest

from bench_flops import GraphCounter, evaluations_per_step, generation_cost, matmul_flops
from bench_models import IMAGE_AND_PATCH, bench_config
from nestar.schedule import schedule_for

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "tiny-nestar")


@pytest.fixture(scope="module")
def fixture():
    with open(os.path.join(FIXTURE, "manifest.json")) as f:
        manifest = json.load(f)
    return manifest, manifest["model_config"]


def hand_backbone(cfg, batch, past, content, query):
    """2*M*K*N of every matmul of one backbone step, written out from the architecture (model.py, transformer.py)."""
    w, dim, depth, mlp = cfg["module_widths"][0], 3 * cfg["patch_size"] ** 2, cfg["module_depths"][0], cfg["mlp_ratio"]
    length = content + query
    embed = 2 * batch * (content + query) * dim * w  # content_value and query_parent linears
    linears = 2 * batch * length * (w * 3 * w + w * w + 2 * w * mlp * w)  # qkv, proj, mlp in/out
    attention = 2 * (2 * batch * length * (past + length) * w)  # q k^T and att v, all heads together
    return embed + depth * (linears + attention)


def hand_flow(cfg, rows):
    w, fw, depth, dim = cfg["module_widths"][0], cfg["flow_width"], cfg["flow_depth"], 3 * cfg["patch_size"] ** 2
    per_row = dim * fw + w * fw + 2 * fw * fw + depth * (2 * fw * fw + fw * 3 * fw) + fw * 2 * fw + fw * dim
    return 2 * rows * per_row


def test_backbone_flops_match_hand_count(fixture):
    manifest, cfg = fixture
    model = onnx.load(os.path.join(FIXTURE, manifest["modules"][1]["backbone"]))
    for batch, past, content, query in [(2, 5, 4, 4), (1, 0, 5, 4), (6, 9, 1, 1)]:
        dims = {"batch": batch, "past_len": past, "content_len": content, "query_len": query}
        assert matmul_flops(model, dims) == hand_backbone(cfg, batch, past, content, query)


def test_flow_head_flops_match_hand_count(fixture):
    manifest, cfg = fixture
    model = onnx.load(os.path.join(FIXTURE, manifest["modules"][0]["flow_head"]))
    for rows in (1, 6, 32):
        assert matmul_flops(model, {"rows": rows}, rows=rows) == hand_flow(cfg, rows)


def test_backbone_cost_is_affine_in_the_cache_length(fixture):
    manifest, _ = fixture
    counter = GraphCounter(FIXTURE, manifest)
    model = onnx.load(os.path.join(FIXTURE, manifest["modules"][1]["backbone"]))
    direct = matmul_flops(model, {"batch": 2, "past_len": 13, "content_len": 4, "query_len": 4})
    assert counter.backbone(1, 2, 13, 4, 4) == direct


def test_generation_cost_of_the_fixture(fixture):
    manifest, cfg = fixture
    counter = GraphCounter(FIXTURE, manifest)
    evals = evaluations_per_step(4, "heun")
    cost = generation_cost(counter, 3, 4, "heun", 2.5)
    steps = 3 * math.log2(manifest["tokens"]["grid"]) + 1
    assert cost["sequential_steps"] == steps == 7 and cost["backbone_calls"] == 7 and cost["flow_calls"] == 7 * evals
    rows = 6  # guidance != 1 doubles the batch of 3
    expected = 0
    for k, mod in enumerate(manifest["modules"]):
        past = 0
        for s in mod["steps"]:
            lc, lq = len(s["content_cells"]), len(s["query_cells"])
            expected += hand_backbone(cfg, rows, past, lc, lq) + evals * hand_flow(cfg, rows * lq)
            past += lc
    assert cost["flops"] == expected
    assert generation_cost(counter, 3, 4, "heun", 1.0)["flops"] * 2 == expected  # no guidance: half the rows
    assert generation_cost(counter, 1, 4, "heun", 2.5)["flops_per_image"] == cost["flops_per_image"]


@pytest.mark.parametrize("tokens", sorted(IMAGE_AND_PATCH))
def test_bench_schedules_have_3m_plus_1_and_n_steps(tokens):
    nestar, raster = bench_config("nestar", tokens), bench_config("raster", tokens)
    assert nestar.num_tokens == raster.num_tokens == tokens
    assert nestar.module_widths == (128,) * nestar.num_scales and raster.module_widths == (128,)
    assert sum(len(m) for m in schedule_for(nestar)[0]) == 3 * nestar.num_scales + 1
    assert sum(len(m) for m in schedule_for(raster)[0]) == tokens


def test_few_step_cost_of_the_fixture(fixture):
    """Solver few_step: the backbone on the undoubled batch, one sampler call per step whose graph holds K flow-head
    evaluations plus the step and guidance embeddings (part of which the exporter folds into constants)."""
    manifest, cfg = fixture
    counter = GraphCounter(FIXTURE, manifest)
    k_evals = manifest["few_step"]["evaluations"]
    cost = generation_cost(counter, 3, 16, "few_step", 2.5)
    assert cost["rows"] == 3 and cost["sequential_steps"] == 7 and cost["backbone_calls"] == 7 and cost["flow_calls"] == 7
    expected = 0
    for k, mod in enumerate(manifest["modules"]):
        sampler = onnx.load(os.path.join(FIXTURE, mod["few_step"]))
        per_row = matmul_flops(sampler, {"rows": 1}, rows=1)
        assert k_evals * hand_flow(cfg, 1) < per_row < (k_evals + 1) * hand_flow(cfg, 1)
        past = 0
        for s in mod["steps"]:
            lc, lq = len(s["content_cells"]), len(s["query_cells"])
            expected += hand_backbone(cfg, 3, past, lc, lq) + 3 * lq * per_row
            past += lc
    assert cost["flops"] == expected
    assert generation_cost(counter, 3, 16, "few_step", 1.0)["flops"] == expected  # guidance never doubles the rows


def test_a_guided_ode_module_doubles_its_rows():
    """A few-step module that runs the guided ODE in its one call (the tiny-latent fixture's first: 2 Heun steps):
    its backbone runs on the doubled batch, and its call costs about 4 flow-head evaluations on both halves."""
    folder = os.path.join(os.path.dirname(FIXTURE), "tiny-latent")
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["few_step"]["evaluations"][0] == {"solver": "heun", "steps": 2}
    counter = GraphCounter(folder, manifest)
    cost = generation_cost(counter, 3, 16, "few_step", 2.5)
    for s in cost["per_step"]:
        rows = 6 if s["module"] == 0 else 3
        assert s["backbone_flops"] == counter.backbone(s["module"], rows, s["past"], s["content"], s["query"])
        if s["module"] == 0:
            # 4 evaluations on both halves, less the condition's projection, which the export computes once (its
            # common-subexpression pass): more than 3 evaluations' worth; undoubled it would be 2.
            flow = counter.flow(0, 6 * s["query"])
            assert 3 * flow < s["flow_flops"] < 4 * flow
