#!/usr/bin/env python3
"""Writes a model's card next to its exported files: MODEL_CARD.md, loss_curve.png and samples.png; for a latent
model also reconstructions.png (the tokenizer on held-out images: input, the 2x2, 4x4, ... previews and the full
reconstruction) and filmstrip.png (generated images, one column per scale's preview).

  /usr/bin/python3 models/model_card.py runs/emoji32-nestar public/models/emoji32-nestar
"""
import argparse
import json
import os
import re
import sys
import time

import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402
from nestar import preview_decoder as preview  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.few_step_head import head_evaluations, ode_spec  # noqa: E402
from nestar.grid import images_of, save_class_grid  # noqa: E402
from nestar.layout import previews_of  # noqa: E402
from nestar.reconstructions import preview_grid  # noqa: E402
from nestar.tokenizer import images_to_input  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402
from nestar.sampler import SamplingSettings  # noqa: E402


def hardware_text(hardware: str) -> str:
    """A run's recorded hardware as prose: files written before runtime.cpu_hardware say "CPU (1 threads)"."""
    return re.sub(r"\b1 threads\b", "1 thread", hardware)


def plot_loss(log_path: str, out_path: str, width=640, height=320):
    rows = [json.loads(line) for line in open(log_path)]
    steps = [r["step"] for r in rows]
    loss = [r["loss_smooth"] for r in rows]
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, bottom, top, right = 60, height - 30, 20, width - 20
    lo, hi = min(loss), max(loss[len(loss) // 20:] or loss)
    sx = lambda s: left + (s - steps[0]) / max(1, steps[-1] - steps[0]) * (right - left)  # noqa: E731
    sy = lambda v: bottom - (min(v, hi) - lo) / max(1e-9, hi - lo) * (bottom - top)  # noqa: E731
    d.line([(left, top), (left, bottom), (right, bottom)], fill=(0, 0, 0))
    d.line([(sx(s), sy(v)) for s, v in zip(steps, loss)], fill=(40, 90, 200), width=2)
    for v in (lo, (lo + hi) / 2, hi):
        d.text((4, sy(v) - 6), f"{v:.3f}", fill=(0, 0, 0))
    d.text((left, bottom + 8), f"step {steps[0]}", fill=(0, 0, 0))
    d.text((right - 90, bottom + 8), f"step {steps[-1]}", fill=(0, 0, 0))
    d.text((left + 10, top), "training loss (sum over modules, smoothed)", fill=(0, 0, 0))
    img.save(out_path)
    return loss[-1]


def guidance_text(settings: SamplingSettings, modules: int) -> str:
    """The defaults' guidance in words: one number, or the first module's and the others' (docs/contract.md)."""
    coarse = settings.module_guidance(0, modules)
    if coarse == settings.guidance:
        return f"guidance {settings.guidance:g}"
    return f"guidance {coarse:g} for the first module (the 2x2 layout) and {settings.guidance:g} for the later ones"


def time_sampling(model, settings, tokenizer=None, repeats=3):
    t0 = time.perf_counter()
    for r in range(repeats):
        images_of(model, 0, r, settings, 1, tokenizer)
    return (time.perf_counter() - t0) / repeats


def save_filmstrip(model, tokenizer, settings, classes: list, path: str, preview_decoder=None,
                   picks=(0, 10, 20, 30, 40, 50, 60, 69)):
    """One row per picked class (seed 0): the preview of every scale, left to right, at full size."""
    cfg = model.config
    size = cfg.image_size
    rows = [k for k in picks if k < cfg.num_classes]
    canvas = Image.new("RGB", (len(model.scales) * (size + 4) + 150, len(rows) * (size + 4)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, k in enumerate(rows):
        for s, preview in enumerate(previews_of(model, tokenizer, k, 0, settings, 1, preview_decoder)[:, 0]):
            canvas.paste(Image.fromarray(preview.numpy()), (s * (size + 4) + 2, r * (size + 4) + 2))
        draw.text((len(model.scales) * (size + 4) + 6, r * (size + 4) + size // 2 - 6), classes[k]["name"][:22],
                  fill=(60, 60, 60))
    canvas.save(path)


def preview_decoder_lines(info: dict, tokens: dict, tokenizer, preview_decoder) -> list:
    """The preview decoder: what it is, what it costs against the full decoder and how close its previews come."""
    m = info["metrics"]
    g_full, channels = tokenizer.config.grid, tokenizer.config.latent_channels
    full = preview.conv_multiply_adds(tokenizer.decoder, torch.zeros(1, channels, g_full, g_full))
    coarse = [preview.conv_multiply_adds(preview_decoder, torch.zeros(1, channels, 1 << s, 1 << s))
              for s in range(1, tokenizer.config.num_scales)]
    scales = sorted(k for k in m if k.startswith("scale"))
    cells = "; ".join(f"{1 << int(k[5:])}x{1 << int(k[5:])}: {m[k]['vs_full_decoder_preview']:.4f} from the full "
                      f"decoder's preview, {m[k]['to_final']:.4f} to the final image (full decoder's preview "
                      f"{m[k]['full_decoder_to_final']:.4f})" for k in scales)
    return [f"The page's coarse previews come from a preview decoder (`{tokens['preview_decoder']}`, "
            f"{m['parameters']:,} parameters, `models/nestar/preview_decoder.py`): the sub-grid's latents to a "
            f"{tokens['preview_pixels_per_latent']}-pixel-per-latent picture, scaled up bilinearly, distilled from the "
            f"full decoder's previews in {m['seconds'] / 60:.0f} minutes ({m['steps']:,} steps). Per image it costs "
            + " and ".join(f"{c / 1e6:.1f}M" for c in coarse)
            + f" convolution multiply-adds for the coarse scales, against {full / 1e6:.0f}M for each call of the full "
            f"decoder, which now runs once, for the image. Held-out mean squared error (pixels in [-1, 1]) per scale: "
            f"{cells}.", ""]


def tokenizer_section(manifest: dict, tokenizer, model_dir: str, preview_decoder=None) -> list:
    """The nested tokenizer: config, training, held-out metrics and the picture of its previews."""
    tok = manifest["tokens"]["tokenizer"]
    cfg = tokenizer.config
    held_out = EmojiDataset("eval", cfg.image_size)
    picks = torch.linspace(0, len(held_out) - 1, 12).long()
    preview_grid(tokenizer, images_to_input(held_out.images[picks]), os.path.join(model_dir, "reconstructions.png"))
    m = tok.get("metrics") or {}
    scales = [k for k in m if k.startswith("psnr_scale") and not k.endswith("_vs_image")]
    grids = {f"psnr_scale{s}": f"{1 << s}x{1 << s}" for s in range(1, cfg.num_scales + 1)}
    psnr = "; ".join(f"{grids[k]}: {m[k]:.1f} dB against its blurred target, {m[k + '_vs_image']:.1f} dB against the image"
                     for k in scales)
    decoder_training = (f" After step {tok['encoder_frozen_at']:,} only the decoder trained (`train_tokenizer.py "
                        "--decoder-only`): the encoder and the latent normalisation stayed frozen, so the latents the "
                        "generator models did not change, only how sharply they decode."
                        if tok.get("encoder_frozen_at") is not None else "")
    adversarial = tok.get("adversarial")
    if adversarial:
        decoder_training += (f" From step {adversarial['from_step']:,} the decoder also trained against a patch "
                             f"discriminator on the full reconstruction (`--adversarial {adversarial['weight']:g}`: hinge "
                             "loss, scaled by VQGAN's adaptive weight), for sharper edges than L1 + MSE alone give.")
    q = manifest.get("quality") or {}
    ceiling = (f" Reconstruction FID in the evaluation's feature space: {q['tokenizer_fid']:.2f} (real floor "
               f"{q['fid_floor']:.2f}), the ceiling of the generator." if "tokenizer_fid" in q else "")
    return [
        "## Tokenizer", "",
        f"A nested convolutional autoencoder (`models/nestar/tokenizer.py`, {tok['parameters'] / 1e6:.2f}M "
        f"parameters, decoder exported as `{manifest['tokens']['decoder']}`): {cfg.image_size}x{cfg.image_size} RGB "
        f"to a {cfg.grid}x{cfg.grid} grid of {cfg.latent_channels}-channel latents and back. Besides reconstructing "
        "the image from the full grid, its decoder is trained to turn each coarser sub-grid alone (every latent "
        "repeated over its stride block) into the image blurred to what that grid can hold, so each finished scale "
        "of the generator decodes to a real low-resolution picture (the page's previews). Latents are regularised "
        f"with {cfg.latent_noise_std} relative noise and normalised per channel.", "",
        *(preview_decoder_lines(tok["preview_decoder"], manifest["tokens"], tokenizer, preview_decoder)
          if preview_decoder is not None else []),
        f"Trained on the training split only: {tok['steps']:,} steps of batch 32 in {tok['hours']:.2f} h on "
        f"{hardware_text(tok['hardware'])}, random shifts of up to 4 px (white fill).{decoder_training}", "",
        f"Held-out PSNR: {psnr}.{ceiling}", "",
        "![reconstructions](reconstructions.png)", "",
        "Held-out images (row 1); the decoder's output from the 2x2 and 4x4 sub-grids and the full grid (rows 2-4).",
        "",
        "| field | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in tok["config"].items()], "",
    ]


def evaluations_text(few: dict) -> str:
    """"2 head evaluations per token", or per module ("2, 2 and 1 ..., by module from coarse to fine"), where a module
    that runs the guided ODE is named as such ("from the coarse module to the fine ones, a 3-step guided Heun ODE of
    its own flow head (...), then 1 head evaluation per token in each of the next 2 modules")."""
    k = few["evaluations"]
    if not isinstance(k, list):
        return f"{k} head evaluations per token"
    if not any(ode_spec(e) for e in k):
        return f"{', '.join(map(str, k[:-1]))} and {k[-1]} head evaluations per token, by module from coarse to fine"
    parts = []
    for i, e in enumerate(k):
        if i and e == k[i - 1] and not ode_spec(e):
            continue  # a run of modules with the same K is said once ("1 head evaluation per token in each")
        run = next((j for j in range(i, len(k)) if k[j] != e), len(k)) - i
        if ode_spec(e):
            parts.append(f"a {e['steps']}-step guided {e['solver'].capitalize()} ODE of its own flow head "
                         f"({head_evaluations(e)} head evaluations per token, on both guidance halves)")
        else:
            parts.append(f"{e} head evaluation{'' if e == 1 else 's'} per token"
                         + (f" in each of the next {run} modules" if run > 1 else ""))
    return "from the coarse module to the fine ones, " + ", then ".join(parts)


def few_step_section(few: dict, ks: list) -> list:
    """The distilled few-step sampler: what it is, what it was trained for, and how close it lands to its ODE.
    `ks`: per module K, or the guided ODE that module runs (few_step_head.ode_spec)."""
    d = few["distillation"]
    errors = d.get("endpoint_error") or []
    w = d.get("warm_start")
    ode_modules = [str(m + 1) for m, k in enumerate(ks) if ode_spec(k)]
    undoubled_except = f" except in module {', '.join(ode_modules)}, whose guided ODE needs both halves" if ode_modules else ""
    warm = (f", starting from the heads distilled for the step-{w['teacher_step']:,} generator ({w['steps']:,} steps, "
            f"{w['elapsed_s'] / 3600:.2f} h) instead of from its flow heads" if w else "")
    return [
        "## Few-step sampler (the page's default)", "",
        f"Each module's flow head was distilled (`models/distill.py`) into a head that also takes the step size and the "
        f"guidance scale and predicts the average velocity of the guided {few['reference']['ode_steps']}-step "
        f"{few['reference']['solver']} ODE over the step, from the conditional transformer output alone. The page "
        f"runs it as one ONNX call per step (`moduleK.fewstep.onnx`): {evaluations_text(few)} "
        f"instead of {2 * few['reference']['ode_steps']} doubled by guidance, and the transformer runs on the "
        f"undoubled batch{undoubled_except}. Trained for guidance {few['guidance'][0]:g} to {few['guidance'][1]:g} and temperature "
        f"{few['temperature'][0]:g} to {few['temperature'][1]:g} (the page keeps its settings in these ranges; the "
        f"ODE path takes any), {few['parameters']:,} parameters, {d['steps']:,} distillation steps in "
        f"{d['hours']:.2f} h on {hardware_text(d['hardware'])}, the generator frozen{warm}.", "",
        *([f"Distance of the few-step tokens to the ODE's tokens from the same noise, relative to the tokens' variance "
           f"(held-out conditions, default settings), per module: "
           + ", ".join("the guided ODE itself" if ode_spec(k) else f"{e.get(str(k), float('nan')):.3f}"
                       for e, k in zip(errors, ks)) + "."] if errors else []),
        "",
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("model_dir")
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--few-step", default=None, help="the model's few-step heads (models/distill.py's few_step.pt); "
                   "required when the manifest has a few-step sampler")
    p.add_argument("--preview-decoder", default=None, help="the model's preview decoder "
                   "(models/train_preview_decoder.py); required when the manifest's preview rule is preview_decoder")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads (0 = all); one beats two on the 2-core machine for these small networks")
    args = p.parse_args()
    configure_threads(args.threads)
    manifest = json.load(open(os.path.join(args.model_dir, "manifest.json")))
    state = checkpoint.load(os.path.join(args.run_dir, "checkpoint.pt"))
    model = checkpoint.load_model(os.path.join(args.run_dir, "checkpoint.pt"))
    tokenizer = checkpoint.tokenizer_of(state)
    few = manifest.get("few_step")
    if few and not args.few_step:
        raise SystemExit(f"{args.model_dir} has a few-step sampler: pass --few-step <few_step.pt> (models/distill.py)")
    if few:
        checkpoint.attach_few_step(model, state, args.few_step, few["evaluations"])  # the K the page runs
    preview_decoder = None
    if manifest["tokens"].get("preview") == "preview_decoder":
        if not args.preview_decoder:
            raise SystemExit(f"{args.model_dir} has a preview decoder: pass --preview-decoder <file> "
                             "(models/train_preview_decoder.py)")
        preview_decoder = preview.load(args.preview_decoder, tokenizer)
    cfg = model.config
    latent = cfg.token_layout == "latent"
    data = EmojiDataset("all", cfg.image_size)
    index = data.index
    d = manifest["sampling"]["defaults"]
    settings = SamplingSettings(ode_steps=d["ode_steps"], solver=d["solver"], guidance=d["guidance"],
                                temperature=d["temperature"], coarse_guidance=d.get("coarse_guidance"))
    final_loss = plot_loss(os.path.join(args.run_dir, "log.jsonl"), os.path.join(args.model_dir, "loss_curve.png"))
    save_class_grid(model, os.path.join(args.model_dir, "samples.png"), data.classes, per_class=args.per_class,
                    columns=5, settings=settings, tokenizer=tokenizer)
    seconds = time_sampling(model, settings, tokenizer)
    if latent:
        save_filmstrip(model, tokenizer, settings, data.classes, os.path.join(args.model_dir, "filmstrip.png"),
                       preview_decoder)

    n_train = sum(1 for it in index["items"] if it["split"] == "train")
    tr = manifest["training"]
    style_counts = {s["style"]: sum(1 for it in index["items"] if it["style"] == k) for k, s in enumerate(index["styles"])}
    scales = ", ".join(f"{s['grid']}x{s['grid']}" for s in manifest["scales"])
    merged = [c for c in index["classes"] if len(c["subgroups"]) > 1]
    lines = [
        f"# {manifest['title']}  (`{manifest['id']}`)", "",
        manifest["description"], "",
        ("A class-conditional nested autoregressive (NestAR) model" if cfg.architecture == "nestar" else
         "A class-conditional raster autoregressive model, the baseline of the comparison (one token per step)")
        + f": {cfg.image_size}x{cfg.image_size} RGB images as a {cfg.grid}x{cfg.grid} grid of "
        + (f"latents of a nested tokenizer (one {cfg.token_dim}-channel latent per {cfg.patch_size}x{cfg.patch_size} "
           f"pixels, {cfg.num_tokens} tokens)" if latent else
           f"{cfg.patch_size}x{cfg.patch_size}-pixel tokens ({cfg.num_tokens} tokens of dimension {cfg.token_dim})")
        + f", generated in {manifest['sequential_steps']} sequential steps over "
        f"{len(manifest['scales'])} scales ({scales} tokens).",
        "", "## Samples", "",
        f"![samples](samples.png)", "",
        *(["![filmstrip](filmstrip.png)", "",
           "Coarse to fine as the page shows it (one class per row, seed 0): the decoded 2x2, 4x4 and 8x8 scales.",
           ""] if latent else []),
        f"{args.per_class} samples per class (seeds 0..{args.per_class - 1}) from the EMA weights with the manifest's "
        f"defaults: "
        + (f"the few-step sampler ({evaluations_text(few)})" if settings.solver == "few_step"
           else f"{settings.ode_steps} {settings.solver} ODE steps")
        + f", {guidance_text(settings, len(manifest['modules']))}, temperature {settings.temperature}. Sampling one image in PyTorch on this machine's CPU ({args.threads or 'all'} "
        f"thread{'' if args.threads == 1 else 's'}): {seconds:.2f} s.", "",
        "## Data", "",
        f"{len(index['classes'])} classes (Unicode CLDR emoji subgroups), {index['count']} images "
        f"({n_train} train, {index['count'] - n_train} held out), {cfg.image_size}x{cfg.image_size}, on white. "
        f"Built by `npm run data` from npm packages; per style: "
        + ", ".join(f"{k} {v}" for k, v in style_counts.items()) + ".", "",
        f"- Classes: the subgroups of emoji-datasource's emoji.json. A subgroup with fewer than "
        f"{index['minIdentitiesPerClass']} emoji identities is merged into its neighbour in Unicode order within its "
        f"group (the previous one; the next one for a group's first): "
        + "; ".join(f"{c['name']} = {' + '.join(c['subgroups'])}" for c in merged) + ".",
        "- Skin-tone variants are left out: they would multiply the people classes about sixfold with near copies "
        "that differ only in one colour, and a skin tone is not what the class label asks for.",
        f"- The Component group (skin-tone and hair swatches) is left out. Held out: {index['evalFraction']:.0%} of "
        "emoji identities per class (by a hash of the code point); all styles of an emoji fall on the same side.",
        f"- Icons the renderer could not draw (skipped): {', '.join(index['skipped']) or 'none'}.", "",
        "### Attribution and licences", "",
        *[f"- {a}" for a in manifest["attribution"]],
        "- Labels: emoji-datasource (MIT), from Unicode CLDR data (Unicode licence).",
        "- Changes made to the artwork (CC BY 4.0 asks to say so): rasterised from SVG with resvg at 4x and "
        "box-filtered to the image size, composited on white.", "",
        *(tokenizer_section(manifest, tokenizer, args.model_dir, preview_decoder) if latent else []),
        "## Model", "",
        (f"Tokens are the tokenizer's {cfg.token_dim}-channel latents (n = {cfg.num_tokens}); the generator never "
         "sees pixels." if latent else
         f"Tokens are {cfg.patch_size}x{cfg.patch_size}-pixel patches (n = {cfg.num_tokens}): counted, not timed, "
         "2x2 patches (n = 256) cost about 4x more per training sample (sequence lengths 515 vs 130 over the "
         "modules), which would have left a few epochs in the CPU budget; 4x4 patches trade one preview scale for "
         "about 4x more training."), "",
        f"{tr['parameters'] / 1e6:.2f}M parameters. Config (`models/nestar/config.py`, preset `{state['train_config'].get('preset') or manifest['id']}`):", "",
        "| field | value |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in cfg.to_dict().items()], "",
        "| module | steps | tokens per step | width x depth | parameters |", "|---|---|---|---|---|",
        *[f"| {m['name']} | {len(m['steps'])} | {len(m['steps'][0]['query_cells'])} | {m['width']} x {m['depth']} | "
          f"{m['parameters']:,} |" for m in manifest["modules"]], "",
        *(few_step_section(few, model.few_step_config.per_module(len(manifest["modules"]))) if few else []),
        "## Training", "",
        f"{tr['steps']} steps of batch {state['train_config']['batch_size']} ({tr['samples_seen']:,} samples, "
        f"{tr['samples_seen'] / n_train:.1f} epochs) in {tr['hours']:.2f} h on {hardware_text(tr['hardware'])}; AdamW "
        f"lr {state['train_config']['lr']}, EMA {state['train_config']['ema_decay']}. Final smoothed loss "
        f"{final_loss:.4f} (sum of {len(cfg.module_widths)} module losses).", "",
        "![loss](loss_curve.png)", "",
        "## Known limits", "",
        "- Trained briefly on two CPU cores: samples show the class's typical colours and layout (yellow faces, "
        "flag rectangles, hearts) more than crisp detail; classes with many different-looking members (objects, "
        "symbols) are the least recognisable.",
        *(["- Images are as sharp as the tokenizer's reconstructions at most: fine lines (text on flags, thin "
           "strokes) come out soft."] if latent else
          ["- 32x32 pixels only; one sample per 4x4-pixel token is drawn independently of the other tokens of its "
           "patch, so fine texture inside a patch can be noisy."]),
    ]
    q = manifest.get("quality") or {}
    lines += ["", "## Quality", ""] + ([
        f"Measured by `npm run eval` on {q['samples']:,} samples drawn through the page's sampler at the defaults, in "
        f"the feature space of a CNN trained on the training split (held-out accuracy "
        f"{q['feature_net_heldout_accuracy']:.3f}): FID {q['fid']:.2f} (held-out real images: {q['fid_floor']:.2f}), "
        f"precision {q['precision']:.3f}, recall {q['recall']:.3f} (real: {q['recall_floor']:.3f}), class accuracy "
        f"{q['class_accuracy']:.3f}, Inception-Score analogue {q['inception_score']:.1f}. The comparison of the "
        "models is in bench/quality/RESULTS.md.",
    ] if "fid_floor" in q else ["Not measured yet: run `npm run eval`."])
    with open(os.path.join(args.model_dir, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.model_dir}/MODEL_CARD.md, samples.png, loss_curve.png; {seconds:.2f} s per image")


if __name__ == "__main__":
    main()
