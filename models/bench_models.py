#!/usr/bin/env python3
"""Random-weight NestAR and raster models for the speed benchmark (`npm run bench`), with their FLOPs.

Speed does not depend on the weights, so nothing is trained. Every module has the flagship preset's size
(emoji32-nestar: width 128, depth 4, flow head 128 x 3); NestAR has one module per scale, raster one module.
Token counts: n = 64 (32 px, 4 px patches), 256 (32 px, 2 px), 1024 (64 px, 2 px). Every model also gets few-step
heads (FewStepHead.from_teacher of its random heads, K = FEW_STEP.evaluations: untrained, since the one-call sampler
costs the same whatever its weights) so both paths can be timed: the 16-step Heun ODE with guidance (the manifest's
default solver, as before) and solver "few_step" (docs/contract.md, "Few-step sampler"). Each model is exported with
export.py's export() (its onnxruntime parity checks included) to <out>/<id>/, plus flops.json (bench_flops.py).
Also writes <out>/matmul/: big MatMul graphs, to measure a backend's peak matmul rate.

  /usr/bin/python3 models/bench_models.py [--out .cache/bench-models] [--tokens 64,256,1024]
"""
import argparse
import json
import math
import os
import sys
import tempfile
from dataclasses import replace
from types import SimpleNamespace

import onnx
from onnx import TensorProto, helper
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_flops import model_cost  # noqa: E402
from export import OPSET, export  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.config import PRESETS  # noqa: E402
from nestar.few_step_head import FewStepConfig, FewStepHead  # noqa: E402
from nestar.model import NestAR  # noqa: E402

BASE = PRESETS["emoji32-nestar"]
IMAGE_AND_PATCH = {64: (32, 4), 256: (32, 2), 1024: (64, 2)}
# Big enough that call overhead vanishes: a square one, and one with the models' width 128 (weights stay in cache).
MATMUL_SHAPES = [(512, 512, 512), (4096, 128, 128)]
# The few-step sampler of every bench model: K = 2 head evaluations per token (issue 9: at most 2), the default
# trained ranges (they hold the bench models' default guidance 3 and temperature 1).
FEW_STEP = FewStepConfig(evaluations=2)


def bench_config(architecture: str, tokens: int):
    image, patch = IMAGE_AND_PATCH[tokens]
    modules = int(math.log2(math.isqrt(tokens))) if architecture == "nestar" else 1
    return replace(BASE, architecture=architecture, image_size=image, patch_size=patch,
                   module_widths=(BASE.module_widths[0],) * modules, module_depths=(BASE.module_depths[0],) * modules)


def model_id(architecture: str, tokens: int) -> str:
    return f"bench-{architecture}-n{tokens}"


def write_model(out: str, architecture: str, tokens: int):
    cfg = bench_config(architecture, tokens)
    folder = os.path.join(out, model_id(architecture, tokens))
    manifest_path = os.path.join(folder, "manifest.json")
    fresh = False
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        # A cached model from before the few-step path (no `few_step`), or with another K or range, is re-exported.
        few = manifest.get("few_step") or {}
        fresh = manifest["model_config"] == cfg.to_dict() and all(
            few.get(key) == value for key, value in few_step_summary(FEW_STEP).items())
    if fresh:
        print(f"{folder}: model up to date")
    else:
        export_random(cfg, folder, architecture, tokens)
    with open(os.path.join(folder, "flops.json"), "w") as f:  # cheap (shape inference only): always recounted
        json.dump(model_cost(folder), f, indent=1)
    print(f"{folder}: flops.json written")


def few_step_summary(config: FewStepConfig) -> dict:
    """The manifest `few_step` fields a cached bench model must match to be reused."""
    return {"evaluations": config.evaluations, "guidance": list(config.guidance), "temperature": list(config.temperature)}


def export_random(cfg, folder: str, architecture: str, tokens: int):
    torch.manual_seed(0)
    model = NestAR(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "checkpoint.pt")
        state = {"model_config": cfg.to_dict(), "ema": model.state_dict(), "step": 0, "elapsed_s": 0,
                 "samples_seen": 0, "hardware": "random weights (speed benchmark)"}
        checkpoint.save(ckpt, state)
        # Untrained few-step heads: the teacher's weights plus zero-initialised step and guidance embeddings.
        few_path = os.path.join(tmp, "few_step.pt")
        heads = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads)
        checkpoint.save_few_step(few_path, FEW_STEP, heads, state, 0, 0.0, hardware="untrained (speed benchmark)")
        # defaults=None keeps export's default sampling (16 Heun steps, guidance 3): the ODE path stays the default.
        args = SimpleNamespace(id=model_id(architecture, tokens), title=f"Bench {architecture} n={tokens}",
                               description="Random weights, for timing only.", defaults=None, quality=None,
                               few_step=few_path)
        classes = [{"name": f"class {i}", "group": "bench"} for i in range(cfg.num_classes)]
        export(ckpt, folder, args, classes=classes)


def write_matmuls(out: str):
    """Y = A @ B graphs with both operands as inputs (no constant folding can remove the work), one per shape of
    MATMUL_SHAPES; the bench takes a backend's best rate over them as its matmul peak."""
    folder = os.path.join(out, "matmul")
    os.makedirs(folder, exist_ok=True)
    specs = []
    for m, k, n in MATMUL_SHAPES:
        name = f"matmul-{m}x{k}x{n}.onnx"
        graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "matmul",
                                  [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
                                   helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(folder, name))
        specs.append({"file": name, "m": m, "k": k, "n": n, "flops": 2 * m * k * n})
    with open(os.path.join(folder, "matmul.json"), "w") as f:
        json.dump(specs, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=".cache/bench-models")
    p.add_argument("--tokens", default="64,256,1024")
    args = p.parse_args()
    torch.set_num_threads(2)
    write_matmuls(args.out)
    for tokens in (int(t) for t in args.tokens.split(",")):
        for architecture in ("nestar", "raster"):
            write_model(args.out, architecture, tokens)


if __name__ == "__main__":
    main()
