#!/usr/bin/env python3
"""Re-exports a shipped model folder from its kept checkpoints with today's exporter, keeping what the folder's
manifest says about the model (id, title, description, sampling defaults, measured quality). For when the exporter
improves (e.g. a faster few-step sampler graph: the same numbers in fewer matmuls), to ship another K per module,
which is a re-export, not a retraining (docs/contract.md, "Few-step sampler"), or other sampling defaults:

  /usr/bin/python3 models/reexport.py public/models/emoji64-nestar models/checkpoints/emoji64-nestar.pt \\
      --few-step models/checkpoints/emoji64-nestar.few_step.pt \\
      --preview-decoder models/checkpoints/emoji64-nestar.preview_decoder.pt --evaluations 2,2,1

Writes into a fresh folder beside the model and swaps it in only once the export and its parity check have passed,
so a failed run leaves the shipped model as it was. Another K or other defaults (`--defaults '{"temperature": 0.85}'`,
merged over the manifest's) change the samples: rerun `npm run eval` then (the kept quality was measured with the old
ones, and this says so).
"""
import argparse
import dataclasses
import json
import os
import shutil
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.config import ModelConfig  # noqa: E402
from nestar.few_step_head import parse_evaluations  # noqa: E402
from nestar.sampler import SamplingSettings  # noqa: E402


def reexport(folder: str, checkpoint_path: str, few_step=None, preview_decoder=None, evaluations=None, classes=None,
             defaults=None):
    """Re-exports `folder` in place (see the module doc); returns the new manifest. SystemExit, the folder untouched,
    when the checkpoint is not the folder's model or a file the folder needs is not given."""
    folder = folder.rstrip("/")
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    if ModelConfig.from_dict(manifest["model_config"]) != ModelConfig.from_dict(checkpoint.load(checkpoint_path)["model_config"]):
        raise SystemExit(f"{folder} is not an export of {checkpoint_path} (model configs differ)")
    few = manifest.get("few_step")
    if few and not few_step:
        raise SystemExit(f"{folder} has a few-step sampler: pass its heads with --few-step")
    if manifest["tokens"].get("preview") == "preview_decoder" and not preview_decoder:
        raise SystemExit(f"{folder} has a preview decoder: pass its file with --preview-decoder")
    if evaluations is not None and not few_step:
        raise SystemExit("--evaluations needs --few-step")
    if evaluations is None and few:
        evaluations = few["evaluations"]  # one K or a list: FewStepConfig takes either
    old_defaults = manifest["sampling"]["defaults"]
    if defaults is not None and not isinstance(defaults, dict):
        raise SystemExit(f"--defaults: a JSON object of sampling settings, e.g. '{{\"temperature\": 0.85}}', not {defaults!r}")
    known = {f.name for f in dataclasses.fields(SamplingSettings)}
    unknown = set(defaults or {}) - known
    if unknown:
        raise SystemExit(f"--defaults: {sorted(unknown)} are not sampling settings ({', '.join(sorted(known))})")
    new_defaults = {**old_defaults, **(defaults or {})}
    try:
        SamplingSettings(**new_defaults).validate()
    except (TypeError, ValueError) as e:
        raise SystemExit(f"--defaults: {e}") from None

    staged = folder + ".reexport"
    shutil.rmtree(staged, ignore_errors=True)
    _, written, _ = export.export(checkpoint_path, staged, SimpleNamespace(
        id=manifest["id"], title=manifest["title"], description=manifest["description"],
        defaults=new_defaults, quality=manifest.get("quality"), few_step=few_step,
        evaluations=evaluations, preview_decoder=preview_decoder), classes)
    for name in os.listdir(folder):  # what the exporter does not write (model card, sample grids) stays
        if not os.path.exists(os.path.join(staged, name)) and not name.endswith(".onnx"):
            shutil.copy2(os.path.join(folder, name), os.path.join(staged, name))
    shutil.rmtree(folder)
    os.rename(staged, folder)
    if few and written["few_step"]["evaluations"] != few["evaluations"]:
        print(f"K per module {few['evaluations']} -> {written['few_step']['evaluations']}: the manifest's quality was "
              f"measured with the old K; run npm run eval", flush=True)
    if written["sampling"]["defaults"] != old_defaults:
        print(f"sampling defaults {old_defaults} -> {written['sampling']['defaults']}: the manifest's quality was "
              f"measured with the old ones; run npm run eval", flush=True)
    return written


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", help="a shipped model folder (public/models/<id>)")
    p.add_argument("checkpoint", help="the generator it was exported from (models/checkpoints/<id>.pt)")
    p.add_argument("--few-step", default=None, help="its few-step heads (models/checkpoints/<id>.few_step.pt); "
                   "required when the manifest has a few-step sampler")
    p.add_argument("--preview-decoder", default=None, help="its preview decoder; required when the manifest has one")
    p.add_argument("--evaluations", type=parse_evaluations, default=None, metavar="K or K1,K2,...",
                   help="K per module of the few-step graphs, or heunS for a module that runs the guided ODE in S "
                   "steps (e.g. heun3,2,1; default: as the manifest says)")
    p.add_argument("--defaults", type=json.loads, default=None, metavar="JSON",
                   help='sampling defaults to change, merged over the manifest\'s (e.g. \'{"temperature": 0.85}\')')
    args = p.parse_args()
    reexport(args.model_dir, args.checkpoint, args.few_step, args.preview_decoder, args.evaluations,
             defaults=args.defaults)


if __name__ == "__main__":
    main()
