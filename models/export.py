#!/usr/bin/env python3
"""Exports a trained checkpoint to ONNX + manifest.json for the browser, and checks it against PyTorch with
onnxruntime in Node (the engine the page uses).

  /usr/bin/python3 models/export.py runs/emoji32-nestar/checkpoint.pt public/models/emoji32-nestar \
      --id emoji32-nestar --title "Emoji NestAR (32 px)"
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint, prng  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.layout import expand_cells  # noqa: E402
from nestar.onnx_graphs import (BACKBONE_DYNAMIC_AXES, BACKBONE_INPUTS, BACKBONE_OUTPUTS, DECODER_DYNAMIC_AXES,  # noqa: E402
                                DECODER_FILE, DECODER_INPUTS, DECODER_OUTPUTS, FEW_STEP_DYNAMIC_AXES, FEW_STEP_INPUTS,
                                GUIDED_FEW_STEP_DYNAMIC_AXES,
                                FEW_STEP_OUTPUTS, FLOW_DYNAMIC_AXES, FLOW_INPUTS, FLOW_OUTPUTS,
                                PREVIEW_DECODER_DYNAMIC_AXES, PREVIEW_DECODER_FILE, PREVIEW_DECODER_INPUTS,
                                PREVIEW_DECODER_OUTPUTS, BackboneStep, example_backbone_inputs)
from nestar import preview_decoder as preview  # noqa: E402
from nestar.few_step_head import FewStepSampler, parse_evaluations  # noqa: E402
from nestar.ode import GuidedOdeSampler  # noqa: E402
from nestar.tokenizer import ExportedDecoder  # noqa: E402
from nestar.sampler import SamplingSettings  # noqa: E402

OPSET = 17
PARITY_TOLERANCE = 1e-4
MANIFEST_FORMAT = "nestar-studio/manifest"
MANIFEST_VERSION = 1
LIMITS = {"ode_steps": [1, 100], "guidance": [0, 10], "temperature": [0.1, 2], "batch": [1, 16]}
HERE = os.path.dirname(os.path.abspath(__file__))


def export_graph(module, args, path, inputs, outputs, dynamic_axes):
    # Exported with grad enabled: some fused inference fast paths do not export (RECIPES.md).
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic_axes,
                      opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)


def file_entry(path):
    with open(path, "rb") as f:
        data = f.read()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def encode(t: torch.Tensor):
    a = t.detach().cpu().numpy()
    dtype = {np.dtype("float32"): "float32", np.dtype("int64"): "int64"}[a.dtype]
    return {"dtype": dtype, "shape": list(a.shape), "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()}


def decoder_parity_cases(decoder: ExportedDecoder, cfg, generator):
    """The decoder on a full latent grid and on each scale's expanded sub-grid (the previews), batch 1 and 3."""
    cases = []
    for batch in (1, 3):
        tokens = torch.randn(batch, cfg.num_tokens, cfg.token_dim, generator=generator)
        for s in range(1, cfg.num_scales + 1):
            x = expand_cells(tokens, cfg.grid, cfg.grid >> s)
            with torch.no_grad():
                pixels = decoder(x)
            cases.append({"file": DECODER_FILE, "inputs": {"tokens": encode(x)}, "outputs": {"pixels": encode(pixels)}})
    return cases


def preview_decoder_parity_cases(decoder: preview.ExportedPreviewDecoder, cfg, generator):
    """The preview decoder on every coarse scale's sub-grid size, batch 1 and 3."""
    cases = []
    for batch in (1, 3):
        for s in range(1, cfg.num_scales):
            g = 1 << s
            tokens = torch.randn(batch, g, g, cfg.token_dim, generator=generator)
            with torch.no_grad():
                pixels = decoder(tokens)
            cases.append({"file": PREVIEW_DECODER_FILE, "inputs": {"tokens": encode(tokens)},
                          "outputs": {"pixels": encode(pixels)}})
    return cases


def parity_cases(model, generator):
    """PyTorch outputs of every exported graph on several shapes (empty and filled cache, batch 1 and 3)."""
    cases = []
    for k, (net, head) in enumerate(zip(model.backbones, model.heads)):
        step = BackboneStep(net).eval()
        for batch, past, n_content, n_query in [(1, 0, 5, 4), (3, 7, 4, 4), (2, 2, 1, 1)]:
            args = example_backbone_inputs(net, model.config.token_dim, batch, past, n_content, n_query, generator)
            with torch.no_grad():
                z, present = step(*args)
            cases.append({"file": f"module{k + 1}.backbone.onnx", "inputs": dict(zip(BACKBONE_INPUTS, map(encode, args))),
                          "outputs": {"z": encode(z), "present_kv": encode(present)}})
        for rows in (1, 6):
            args = (torch.randn(rows, net.width, generator=generator), torch.randn(rows, model.config.token_dim, generator=generator),
                    torch.rand(rows, 1, generator=generator))
            with torch.no_grad():
                v = head(*args)
            cases.append({"file": f"module{k + 1}.flow.onnx", "inputs": dict(zip(FLOW_INPUTS, map(encode, args))),
                          "outputs": {"v": encode(v)}})
    return cases


def few_step_sampler(model, k: int):
    """Module k's one-call sampler graph: the distilled head's K evaluations, or the guided ODE of its own flow head."""
    spec = model.few_step_config.ode_of(k)
    if spec is not None:
        return GuidedOdeSampler(model.heads[k], spec["solver"], spec["steps"]).eval()
    return FewStepSampler(model.few_step_heads[k], model.few_step_config.evaluations_of(k)).eval()


def few_step_parity_cases(model, generator):
    """Each module's one-call sampler graph against its PyTorch module (few_step_sampler: the distilled head's loop,
    or the guided ODE on twice the z rows)."""
    cases = []
    dim, fs = model.config.token_dim, model.few_step_config
    lo, hi = fs.guidance
    for k, net in enumerate(model.backbones):
        sampler = few_step_sampler(model, k)
        # A guided-ODE module's z holds the conditional rows, then the unconditional ones.
        z_rows = 2 if isinstance(sampler, GuidedOdeSampler) else 1
        for rows in (1, 6):
            args = (torch.randn(z_rows * rows, net.width, generator=generator), torch.randn(rows, dim, generator=generator),
                    lo + (hi - lo) * torch.rand(rows, 1, generator=generator))
            with torch.no_grad():
                tokens = sampler(*args)
            cases.append({"file": f"module{k + 1}.fewstep.onnx", "inputs": dict(zip(FEW_STEP_INPUTS, map(encode, args))),
                          "outputs": {"tokens": encode(tokens)}})
    return cases


def check_with_onnxruntime(folder, cases):
    """Runs the cases with onnxruntime-web (wasm) in Node; returns the max abs error over all outputs."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    try:
        out = subprocess.run(["node", os.path.join(HERE, "onnx_parity.mjs"), folder, f.name], capture_output=True,
                             text=True, check=False)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit(f"onnxruntime check failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])["max_abs_error"]


def tokens_entry(cfg, state, preview_state=None):
    """The manifest's `tokens`: how a token grid becomes pixels (docs/contract.md); `preview_state` is the preview
    decoder's file (train_preview_decoder.py) when the model ships one."""
    common = {"grid": cfg.grid, "count": cfg.num_tokens, "dim": cfg.token_dim, "patch_size": cfg.patch_size}
    if cfg.token_layout == "pixel_patch":
        return {"layout": "pixel_patch", **common, "channel_order": "dy,dx,rgb",
                "normalization": {"mean": cfg.norm_mean, "std": cfg.norm_std}}
    tok = state["tokenizer"]
    rule = {"preview": "expand_subgrid"}
    if preview_state is not None:
        rule = {"preview": "preview_decoder", "preview_decoder": PREVIEW_DECODER_FILE,
                "preview_pixels_per_latent": preview_state["config"]["pixels_per_latent"]}
    tokenizer = {"config": tok["config"], "parameters": tok["params"], "steps": tok["step"],
                 "hours": round(tok["elapsed_s"] / 3600, 3), "hardware": tok.get("hardware"), "metrics": tok.get("metrics"),
                 "encoder_frozen_at": tok.get("encoder_frozen_at"), "adversarial": tok.get("adversarial")}
    if preview_state is not None:
        tokenizer["preview_decoder"] = {"config": preview_state["config"], "metrics": preview_state["metrics"]}
    return {"layout": "latent", **common, "decoder": DECODER_FILE, **rule, "tokenizer": tokenizer}


def generator_parameters(model) -> int:
    """The trained generator's parameters: the few-step heads distilled from it are counted in `few_step`."""
    return sum(p.numel() for name, p in model.named_parameters() if not name.startswith("few_step_heads."))


def few_step_entry(model, few_state):
    """The manifest's `few_step` (docs/contract.md, "Few-step sampler"), or None without distilled heads."""
    if model.few_step_heads is None:
        return None
    fs = model.few_step_config
    # One number when every module runs the same K (as manifests before per-module K), else one per module.
    evaluations = list(fs.evaluations) if isinstance(fs.evaluations, tuple) else fs.evaluations
    return {"evaluations": evaluations, "guidance": list(fs.guidance), "temperature": list(fs.temperature),
            "reference": {"solver": fs.teacher_solver, "ode_steps": fs.teacher_ode_steps},
            # The distilled heads that ship: a guided-ODE module's graph holds its flow head, counted in the generator.
            "parameters": sum(p.numel() for k, h in enumerate(model.few_step_heads) if not fs.ode_of(k)
                              for p in h.parameters()),
            "distillation": {"steps": few_state["step"], "hours": round(few_state["elapsed_s"] / 3600, 3),
                             "hardware": few_state.get("hardware"),
                             # distill.py --init: the earlier checkpoint's heads this distillation started from
                             "warm_start": few_state.get("warm_start"),
                             # per module, per K: squared distance of the K-evaluation tokens to the reference
                             # path's, relative to their variance (nestar/distillation.endpoint_error)
                             "endpoint_error": few_state.get("metrics")}}


def build_manifest(model, state, classes, data_index, files, args, few_state=None, preview_state=None):
    cfg = model.config
    modules = []
    for k, (steps, net) in enumerate(zip(model.schedule, model.backbones)):
        attn = net.transformer.blocks[0].attn
        modules.append({
            "name": f"module{k + 1}", "backbone": f"module{k + 1}.backbone.onnx", "flow_head": f"module{k + 1}.flow.onnx",
            **({"few_step": f"module{k + 1}.fewstep.onnx"} if model.few_step_heads is not None else {}),
            "width": net.width, "depth": len(net.transformer.blocks), "flow_width": cfg.flow_width,
            "flow_depth": cfg.flow_depth,
            "parameters": sum(p.numel() for p in net.parameters()) + sum(p.numel() for p in model.heads[k].parameters()),
            "kv_cache": {"layers": len(net.transformer.blocks), "heads": attn.heads, "head_dim": attn.head_dim,
                         "layout": "layers,2,batch,heads,length,head_dim"},
            "steps": [{"content_cells": list(s.content_cells), "query_cells": list(s.query_cells),
                       "query_parent_cells": list(s.query_parent_cells)} for s in steps],
        })
    defaults = SamplingSettings(**(args.defaults or {}))
    styles = data_index["styles"] if data_index else []
    return {
        "format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION,
        "id": args.id, "title": args.title, "description": args.description,
        "license": "Apache-2.0 (weights); trained on emoji artwork under the licences in `attribution`",
        "data_source": "Emoji artwork from the @iconify-json packages listed in `attribution`, labelled with Unicode "
                       "CLDR emoji subgroups (emoji-datasource)",
        "attribution": [f"{s['package']}: {s['author']} ({s['url']}), licence {s['license']} ({s['licenseUrl']})"
                        for s in styles],
        "architecture": cfg.architecture,
        "image": {"size": cfg.image_size, "channels": cfg.channels},
        "tokens": tokens_entry(cfg, state, preview_state),
        "classes": [{"index": i, "label": c["name"], "group": c["group"]} for i, c in enumerate(classes)],
        "null_class": cfg.null_class,
        "prng": {"algorithm": prng.ALGORITHM, "stream_stride": prng.STREAM_STRIDE},
        "modules": modules,
        "scales": [{"scale": s.scale, "grid": s.grid, "stride": s.stride, "module": s.module, "step": s.step}
                   for s in model.scales],
        "sequential_steps": model.num_steps,
        "io": {"backbone": {"inputs": BACKBONE_INPUTS, "outputs": BACKBONE_OUTPUTS},
               "flow_head": {"inputs": FLOW_INPUTS, "outputs": FLOW_OUTPUTS},
               **({"decoder": {"inputs": DECODER_INPUTS, "outputs": DECODER_OUTPUTS}}
                  if cfg.token_layout == "latent" else {}),
               **({"preview_decoder": {"inputs": PREVIEW_DECODER_INPUTS, "outputs": PREVIEW_DECODER_OUTPUTS}}
                  if preview_state is not None else {}),
               **({"few_step": {"inputs": FEW_STEP_INPUTS, "outputs": FEW_STEP_OUTPUTS}}
                  if model.few_step_heads is not None else {})},
        "few_step": few_step_entry(model, few_state),
        "sampling": {"defaults": defaults.as_dict(), "limits": LIMITS},
        "files": files,
        "model_config": cfg.to_dict(),
        "training": {"steps": state.get("step"), "hours": round(state.get("elapsed_s", 0) / 3600, 3),
                     "samples_seen": state.get("samples_seen"), "hardware": state.get("hardware"),
                     "parameters": generator_parameters(model)},
        "quality": args.quality,
    }


def export(checkpoint_path, out_dir, args, classes=None):
    """Writes the ONNX files and manifest.json; `classes` (name, group per index) default to the emoji data set's."""
    state = checkpoint.load(checkpoint_path)
    model = checkpoint.load_model(checkpoint_path)
    cfg = model.config
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    files = {}
    for k, (net, head) in enumerate(zip(model.backbones, model.heads)):
        name = f"module{k + 1}.backbone.onnx"
        export_graph(BackboneStep(net).eval(), example_backbone_inputs(net, cfg.token_dim, 2, 3, 4, 4, g),
                     os.path.join(out_dir, name), BACKBONE_INPUTS, BACKBONE_OUTPUTS, BACKBONE_DYNAMIC_AXES)
        files[name] = file_entry(os.path.join(out_dir, name))
        name = f"module{k + 1}.flow.onnx"
        export_graph(head.eval(), (torch.randn(3, net.width), torch.randn(3, cfg.token_dim), torch.rand(3, 1)),
                     os.path.join(out_dir, name), FLOW_INPUTS, FLOW_OUTPUTS, FLOW_DYNAMIC_AXES)
        files[name] = file_entry(os.path.join(out_dir, name))
    cases = parity_cases(model, g)
    few_state = None
    if getattr(args, "few_step", None):
        few_state = checkpoint.attach_few_step(model, state, args.few_step, getattr(args, "evaluations", None))
        for k, net in enumerate(model.backbones):
            name = f"module{k + 1}.fewstep.onnx"
            sampler = few_step_sampler(model, k)
            guided = isinstance(sampler, GuidedOdeSampler)
            example = (torch.randn(6 if guided else 3, net.width), torch.randn(3, cfg.token_dim), torch.full((3, 1), 3.0))
            export_graph(sampler, example, os.path.join(out_dir, name), FEW_STEP_INPUTS, FEW_STEP_OUTPUTS,
                         GUIDED_FEW_STEP_DYNAMIC_AXES if guided else FEW_STEP_DYNAMIC_AXES)
            files[name] = file_entry(os.path.join(out_dir, name))
        cases += few_step_parity_cases(model, g)
    elif getattr(args, "defaults", None) and args.defaults.get("solver") == "few_step":
        raise SystemExit("default solver few_step needs --few-step <few_step.pt> (models/distill.py)")
    tokenizer = checkpoint.tokenizer_of(state)
    if cfg.token_layout == "latent":
        decoder = ExportedDecoder(tokenizer).eval()
        export_graph(decoder, (torch.randn(2, cfg.num_tokens, cfg.token_dim),), os.path.join(out_dir, DECODER_FILE),
                     DECODER_INPUTS, DECODER_OUTPUTS, DECODER_DYNAMIC_AXES)
        files[DECODER_FILE] = file_entry(os.path.join(out_dir, DECODER_FILE))
        cases += decoder_parity_cases(decoder, cfg, g)
    preview_state = None
    if getattr(args, "preview_decoder", None):
        if cfg.token_layout != "latent":
            raise SystemExit("--preview-decoder: only a latent model has a tokenizer to preview")
        exported = preview.ExportedPreviewDecoder(preview.load(args.preview_decoder, tokenizer)).eval()  # checks it
        preview_state = torch.load(args.preview_decoder, map_location="cpu")
        q = preview_state["config"]["pixels_per_latent"]
        if q * (cfg.grid // 2) > cfg.image_size:  # docs/contract.md: the finest coarse preview is never scaled down
            raise SystemExit(f"--preview-decoder: {q} pixels per latent make the {cfg.grid // 2}x{cfg.grid // 2} "
                             f"preview wider than the {cfg.image_size} px image")
        g0 = 1 << max(1, cfg.num_scales - 1)
        export_graph(exported, (torch.randn(2, g0, g0, cfg.token_dim),), os.path.join(out_dir, PREVIEW_DECODER_FILE),
                     PREVIEW_DECODER_INPUTS, PREVIEW_DECODER_OUTPUTS, PREVIEW_DECODER_DYNAMIC_AXES)
        files[PREVIEW_DECODER_FILE] = file_entry(os.path.join(out_dir, PREVIEW_DECODER_FILE))
        cases += preview_decoder_parity_cases(exported, cfg, g)
    error = check_with_onnxruntime(out_dir, cases)
    print(f"onnxruntime (Node, wasm) vs PyTorch: max abs error {error:.2e} (limit {PARITY_TOLERANCE:.0e})")
    if not error <= PARITY_TOLERANCE:
        raise SystemExit(f"parity check failed: max abs error {error:.3e} > {PARITY_TOLERANCE:.0e}")
    index = None
    if classes is None:
        data = EmojiDataset("all", cfg.image_size)
        classes, index = data.classes, data.index
    if len(classes) != cfg.num_classes:
        raise SystemExit(f"data set has {len(classes)} classes, the model {cfg.num_classes}")
    manifest = build_manifest(model, state, classes, index, files, args, few_state, preview_state)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(v["bytes"] for v in files.values())
    print(f"wrote {out_dir}: {len(files)} ONNX files, {total / 1e6:.2f} MB, {manifest['training']['parameters']} params")
    return model, manifest, error


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("out_dir")
    p.add_argument("--id", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--description", default="Class-conditional 32x32 emoji, generated coarse to fine.")
    p.add_argument("--defaults", type=json.loads, default=None, help='e.g. \'{"ode_steps": 16, "guidance": 3}\'')
    p.add_argument("--quality", type=lambda s: json.load(open(s)), default=None, help="quality JSON to embed")
    p.add_argument("--few-step", default=None, help="few-step heads of this checkpoint (models/distill.py): also "
                   "export the one-call few-step sampler graphs")
    p.add_argument("--evaluations", type=parse_evaluations, default=None, metavar="K or K1,K2,...",
                   help="head evaluations per token of the few-step sampler graphs, or heunS for a module that runs "
                   "the guided ODE in S steps (e.g. heun3,2,1; default: the --few-step file's)")
    p.add_argument("--preview-decoder", default=None, help="the preview decoder of this checkpoint's tokenizer "
                   "(models/train_preview_decoder.py): previews by the preview_decoder rule instead of expand_subgrid")
    args = p.parse_args()
    export(args.checkpoint, args.out_dir, args)


if __name__ == "__main__":
    main()
