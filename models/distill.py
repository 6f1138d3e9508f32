#!/usr/bin/env python3
"""Gives a trained model the fast path: distils each module's flow head into a few-step head (guidance folded in,
nestar/distillation.py), then re-exports the model folder with the one-call few-step sampler graphs and makes
`few_step` its default solver. One command for any checkpoint, the flagship of today or of tomorrow:

  /usr/bin/python3 models/distill.py models/checkpoints/emoji64-nestar.pt public/models/emoji64-nestar --minutes 40

Resumable: rerunning continues from <out>/few_step.pt. The model folder's manifest keeps its id, title,
description, quality and default guidance/temperature; --no-export only trains. Writes <out>/samples.png (the same
seeds through the 16-step Heun reference and through the few-step sampler) to look at.
"""
import argparse
import json
import os
import signal
import sys
import time
from types import SimpleNamespace

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.config import ModelConfig  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.distillation import condition_pool, distillation_step, endpoint_error  # noqa: E402
from nestar.few_step_head import FewStepConfig, FewStepHead, parse_evaluations  # noqa: E402
from nestar.runtime import check_blas, configure_threads, cpu_hardware  # noqa: E402
from nestar.sampler import SamplingSettings, sample  # noqa: E402
from nestar.tokenizer import latent_tokens  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="the generator (train.py's checkpoint.pt, or a slim one from models/checkpoints)")
    p.add_argument("model_dir", help="its exported folder (public/models/<id>), re-exported with the fast path")
    p.add_argument("--out", default=None, help="run folder (default runs/distill-<id>)")
    p.add_argument("--minutes", type=float, default=40.0, help="wall-clock training budget of this invocation")
    p.add_argument("--rows", type=int, default=256, help="tokens per module per training step")
    p.add_argument("--lr", type=float, default=1e-3,
                   help="peak learning rate. Heads that finished their decay (a slim models/checkpoints file copied to "
                   "<out>/few_step.pt; Adam restarts without its moments) continue better at a lower one: v3's "
                   "continued 472 steps at 2e-4 landed a quarter closer to the ODE; at 5e-4 they were further off than "
                   "before after 317 steps")
    p.add_argument("--updates-per-batch", type=int, default=2,
                   help="optimizer updates per batch of teacher trajectories (the teacher costs more than an update)")
    p.add_argument("--sampled-images", type=int, default=700,
                   help="teacher samples whose conditions join the real images' (the contexts the page will see)")
    p.add_argument("--init", default=None,
                   help="a few-step file distilled from an earlier checkpoint of the same model (e.g. the shipped "
                   "models/checkpoints/<id>.few_step.pt): a new run starts from its heads instead of the teacher's "
                   "when they land closer to the reference; ignored, with a message, when the architecture differs "
                   "or the run resumes")
    p.add_argument("--evaluations", type=parse_evaluations, default=2, metavar="K or K1,K2,... (Ki or heunS/eulerS)",
                   help="head evaluations per token of the exported sampler: one K for every module or one per module "
                        "(e.g. 2,2,1: the last module holds most tokens, and its heads land closest to the reference); "
                        "a module may run the guided ODE of its own flow head instead (heun3,2,1: 3 Heun steps in the "
                        "first; docs/contract.md, \"Few-step sampler\")")
    p.add_argument("--modules", default=None, metavar="M1,M2,...",
                   help="train only these modules' heads (1 = the coarsest; default all that ship a head, i.e. not "
                   "those that run the guided ODE): the others keep the heads the run starts from (resumed, --init or "
                   "the teacher's), and the listed ones get all of the run's teacher trajectories. v3's few-step FID gap to "
                   "the ODE was all in module 1 (its 4 tokens set the whole picture): with the ODE there and the "
                   "few-step heads elsewhere the FID was the ODE's")
    p.add_argument("--guidance-range", default=None, metavar="LO,HI",
                   help="guidance range the heads are trained for (default: the resumed or --init file's, else 1,6, "
                   "widened to the defaults when they lie outside); widening it on warm-started heads teaches them "
                   "the new part")
    p.add_argument("--guidance", type=float, default=None,
                   help="the re-exported manifest's default guidance, drawn for a third of the training rows "
                   "(default: the manifest's)")
    p.add_argument("--coarse-guidance", type=float, default=None,
                   help="the default guidance of the first module (docs/contract.md, guidance per module; default: "
                   "the manifest's)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--preview-decoder", default=None, help="the model's preview decoder (train_preview_decoder.py), "
                   "exported again with the rest; required when the exported model has one")
    p.add_argument("--default-solver", choices=("few_step", "ode"), default="few_step",
                   help="the re-exported manifest's default: the few-step sampler, or keep the ODE (when the few-step "
                        "sampler's FID is measured too far from the ODE's, npm run eval)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def model_tokens(state, model, data):
    """The training split as the generator's token grids (latents of its own tokenizer, or pixel patches)."""
    cfg = model.config
    tokenizer = checkpoint.tokenizer_of(state)
    if tokenizer is not None:
        return latent_tokens(tokenizer, data.images)
    return data.tokens(cfg.patch_size, cfg.norm_mean, cfg.norm_std)


def warm_start(students, path: str, generator_state: dict):
    """Loads the heads of a few-step file distilled from an earlier checkpoint of the same architecture into
    students and returns its state; None (students untouched) when its teacher had another model config or the file
    is unusable. A later checkpoint's heads move little, so the students start near their new targets instead of at
    the teacher (main keeps them only if they do: it measures both starts)."""
    try:
        saved = checkpoint.load_of_format(path, checkpoint.FEW_STEP_FORMAT, "few-step heads", "models/distill.py")
    except (FileNotFoundError, ValueError, RuntimeError) as e:  # a warm start is an optimisation, never a stop
        print(f"--init {path}: not usable ({e}); starting from the teacher's heads", flush=True)
        return None
    if ModelConfig.from_dict(saved["teacher"]["model_config"]) != ModelConfig.from_dict(generator_state["model_config"]):
        print(f"--init {path}: distilled from another architecture; starting from the teacher's heads", flush=True)
        return None
    for s, w in zip(students, saved["heads"]):
        s.load_state_dict(w)
    print(f"--init: heads of {path} (distilled from step {saved['teacher']['step']}, {saved['step']} steps), "
          f"not the teacher's", flush=True)
    return saved


def trained_modules(text, modules: int, ode_modules=()) -> list:
    """--modules "1,3" as 0-based indices [0, 2]; None: every module. A module that runs the guided ODE in its one
    call (`ode_modules`, 0-based) ships no distilled head: it is left out by default and refused when named."""
    if text is None:
        return [k for k in range(modules) if k not in ode_modules]
    try:
        chosen = sorted({int(v) for v in text.split(",")})
    except ValueError:
        raise SystemExit(f"--modules: expected module numbers like 1,3, got {text!r}") from None
    if not chosen or chosen[0] < 1 or chosen[-1] > modules:
        raise SystemExit(f"--modules: the model has modules 1..{modules}, got {text!r}")
    ode = [k for k in chosen if k - 1 in ode_modules]
    if ode:
        raise SystemExit(f"--modules: module {', '.join(map(str, ode))} runs the guided ODE (--evaluations), it has no "
                         "head to distil")
    return [k - 1 for k in chosen]


def total_error(errors: list, modules: list) -> float:
    """One number for a measure() result (per module, {K: endpoint error}): the sum over `modules` (those whose heads
    ship) and trained K."""
    return sum(sum(errors[k].values()) for k in modules)


def build_pool(model, state, defaults: SamplingSettings, sampled_images: int, path: str):
    """Conditions of real and of sampled token grids, cached in the run folder (sampling takes minutes)."""
    if os.path.exists(path):
        return torch.load(path)
    data = EmojiDataset("train", model.config.image_size)
    tokens, labels = model_tokens(state, model, data), data.labels
    start = time.time()
    per_class = max(1, sampled_images // model.config.num_classes)
    grids, grid_labels = [], []
    for c in range(model.config.num_classes):
        # A spread of guidance scales: the contexts of every setting a visitor may pick.
        w = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)[c % 6]
        settings = SamplingSettings(defaults.ode_steps, "heun", w, defaults.temperature)
        grids.append(sample(model, c, 10_000 + c, settings, per_class))
        grid_labels += [c] * per_class
    print(f"sampled {per_class * model.config.num_classes} teacher images in {time.time() - start:.0f} s", flush=True)
    pool = condition_pool(model, torch.cat([tokens, torch.cat(grids)]), torch.cat([labels, torch.tensor(grid_labels)]))
    torch.save(pool, path)
    return pool


def save_comparison(model, tokenizer, classes, settings: SamplingSettings, path: str):
    """Row pairs: the reference path, then the few-step sampler, same seeds (the picture to look at)."""
    from PIL import Image
    from nestar.layout import images_from_tokens
    rows = []
    for solver in ("heun", "few_step"):
        s = SamplingSettings(settings.ode_steps, solver, settings.guidance, settings.temperature)
        imgs = [images_from_tokens(model.config, sample(model, c, 7, s, 1), tokenizer)[0] for c in classes]
        rows.append(torch.cat(imgs, dim=1))
    grid = torch.cat(rows, dim=0).numpy()
    Image.fromarray(grid).save(path)


def main():
    args = parse_args()
    threads = configure_threads(args.threads)
    print(f"cpu: {threads} threads, matmul {check_blas():.0f} GFLOP/s", flush=True)
    state = checkpoint.load(args.checkpoint)
    model = checkpoint.load_model(args.checkpoint).requires_grad_(False)
    manifest_path = os.path.join(args.model_dir, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    # Compared as configs: an older checkpoint's dict lacks fields added since (with their defaults), its export has them.
    if ModelConfig.from_dict(manifest["model_config"]) != ModelConfig.from_dict(state["model_config"]):
        raise SystemExit(f"{manifest_path} is not an export of {args.checkpoint} (model configs differ)")
    if manifest["tokens"].get("preview") == "preview_decoder" and not args.preview_decoder and not args.no_export:
        raise SystemExit(f"{manifest_path} has a preview decoder: pass its file with --preview-decoder so the "
                         "re-export keeps it")
    d = manifest["sampling"]["defaults"]
    ode_solver = d["solver"] if d["solver"] in ("euler", "heun") else "heun"  # the distillation's teacher is Heun
    defaults = SamplingSettings(d["ode_steps"] if d["solver"] != "few_step" else 16, "heun",
                                d["guidance"] if args.guidance is None else args.guidance, d["temperature"],
                                d.get("coarse_guidance") if args.coarse_guidance is None else args.coarse_guidance)
    # The guidance each module's heads see most: the defaults' guidance per module.
    module_defaults = [defaults.module_guidance(k, len(model.heads)) for k in range(len(model.heads))]
    out = args.out or os.path.join("runs", f"distill-{manifest['id']}")
    os.makedirs(out, exist_ok=True)
    few_path = os.path.join(out, "few_step.pt")

    torch.manual_seed(args.seed)
    try:
        cfg = FewStepConfig(evaluations=args.evaluations)
        cfg.check_modules(len(model.heads))
    except ValueError as e:
        raise SystemExit(f"--evaluations: {e}") from None
    ode_modules = [k for k in range(len(model.heads)) if cfg.ode_of(k)]
    shipped_heads = trained_modules(None, len(model.heads), ode_modules)
    trained = trained_modules(args.modules, len(model.heads), ode_modules)
    students = torch.nn.ModuleList(FewStepHead.from_teacher(h) for h in model.heads)
    opt = torch.optim.AdamW(students.parameters(), lr=args.lr, weight_decay=0.0, betas=(0.9, 0.99))
    step, elapsed, warm = 0, 0.0, None
    if os.path.exists(few_path):
        try:
            saved = checkpoint.load_few_step(few_path, state)
        except ValueError as e:
            raise SystemExit(f"{e}: delete it or pass another --out") from None
        cfg = FewStepConfig.from_dict({**saved["config"], "evaluations": args.evaluations})
        for s, w in zip(students, saved["heads"]):
            s.load_state_dict(w)
        if saved.get("optimizer"):  # the committed slim copies (models/checkpoints) carry none: Adam starts afresh
            opt.load_state_dict(saved["optimizer"])
        step, elapsed, warm = saved["step"], saved["elapsed_s"], saved.get("warm_start")
        print(f"resumed {few_path} at step {step} ({elapsed / 60:.1f} min trained)", flush=True)
    pool = build_pool(model, state, defaults, args.sampled_images, os.path.join(out, "pool.pt"))
    print("conditions per module: " + ", ".join(str(len(zc)) for zc, _ in pool), flush=True)
    gen = torch.Generator().manual_seed(args.seed * 7919 + step)
    held_gen = torch.Generator().manual_seed(12345)
    held = [(zc[idx], zu[idx]) for zc, zu in pool for idx in [torch.randperm(len(zc), generator=held_gen)[:512]]]

    def measure():
        return [endpoint_error(s, t, zc, zu, cfg, w, defaults.temperature, torch.Generator().manual_seed(99))
                for s, t, (zc, zu), w in zip(students, model.heads, held, module_defaults)]

    def save(metrics=None):
        checkpoint.save_few_step(few_path, cfg, students, state, step, elapsed, metrics, opt,
                                 cpu_hardware(threads), rows=args.rows, warm_start=warm)

    before = measure()
    if args.init and step == 0:
        # Keep whichever start lands closer to this generator's reference: heads distilled for another network
        # (another run of the same architecture, another tokenizer) may be further off than the teacher's own.
        teacher_start = [{k: v.clone() for k, v in h.state_dict().items()} for h in students]
        init = warm_start(students, args.init, state)
        if init is not None:
            cfg_teacher, cfg = cfg, FewStepConfig.from_dict({**init["config"], "evaluations": args.evaluations})
            warm_before = measure()
            print(f"endpoint error from the teacher's heads {total_error(before, shipped_heads):.4f}, from --init "
                  f"{total_error(warm_before, shipped_heads):.4f}", flush=True)
            if total_error(warm_before, shipped_heads) < total_error(before, shipped_heads):
                before = warm_before
                # What the card reports as this distillation's start (its own steps and minutes count from 0).
                warm = {"teacher_step": init["teacher"]["step"], "steps": init["step"], "elapsed_s": init["elapsed_s"]}
            else:
                print("--init lands further from the reference: starting from the teacher's heads", flush=True)
                for h, weights in zip(students, teacher_start):
                    h.load_state_dict(weights)
                cfg = cfg_teacher
    if args.guidance_range:
        lo, hi = (float(v) for v in args.guidance_range.split(","))
        cfg = FewStepConfig.from_dict({**cfg.to_dict(), "guidance": [lo, hi]})
    lo, hi = cfg.guidance
    if not lo <= min(module_defaults) <= max(module_defaults) <= hi:
        # The defaults must be inside what the heads learn (the runtime refuses settings outside it): widen the range
        # rather than fail, so that one command still gives any model its fast path.
        widened = [min(lo, *module_defaults), max(hi, *module_defaults)]
        cfg = FewStepConfig.from_dict({**cfg.to_dict(), "guidance": widened})
        print(f"the default guidance per module {module_defaults} lies outside {[lo, hi]}: training for "
              f"{list(cfg.guidance)}", flush=True)
    print(f"before: endpoint error vs the reference, per module {{K: relative MSE}}: {before}", flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    log = open(os.path.join(out, "log.jsonl"), "a")
    t0 = t_last = time.time()
    students.train()
    while not stop["now"] and time.time() - t0 < args.minutes * 60:
        frac = (time.time() - t0) / (args.minutes * 60)
        lr = args.lr * min(1.0, (step + 1) / 100) * (1.0 if frac < 0.7 else max(0.05, (1 - frac) / 0.3))
        for g in opt.param_groups:
            g["lr"] = lr
        losses, per_k = distillation_step(students, model.heads, pool, cfg, opt, args.rows, args.updates_per_batch,
                                          module_defaults, defaults.temperature, gen, trained)
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if step % 25 == 0:
            print(f"step {step:5d} loss per module " + " ".join(f"{k + 1}: {loss:.4f}" for k, loss in zip(trained, losses))
                  + f" lr {lr:.1e} {step / max(elapsed, 1e-9) * 60:.0f} steps/min", flush=True)
            log.write(json.dumps({"step": step, "elapsed_s": elapsed, "modules": [k + 1 for k in trained],
                                  "per_module_per_k": per_k}) + "\n")
            log.flush()
        if step % 200 == 0:
            save()
    students.eval()
    metrics = measure()
    print(f"after {step} steps ({elapsed / 60:.1f} min): endpoint error per module {metrics}", flush=True)
    save(metrics)
    checkpoint.attach_few_step(model, state, few_path)
    save_comparison(model, checkpoint.tokenizer_of(state), list(range(0, model.config.num_classes, 5)), defaults,
                    os.path.join(out, "samples.png"))
    if args.no_export:
        return
    export.export(args.checkpoint, args.model_dir, SimpleNamespace(
        id=manifest["id"], title=manifest["title"], description=manifest["description"],
        defaults={**defaults.as_dict(), "solver": "few_step" if args.default_solver == "few_step" else ode_solver},
        quality=manifest.get("quality"), few_step=few_path, preview_decoder=args.preview_decoder))


if __name__ == "__main__":
    main()
