#!/usr/bin/env python3
"""Quality of the exported models, measured on samples drawn through the page's own sampler.

  /usr/bin/python3 models/eval/evaluate.py            # the shipped model, the equal-budget trio, guidance sweep
  /usr/bin/python3 models/eval/evaluate.py --samples 200 --sweep ""   # a quick look
  /usr/bin/python3 models/eval/evaluate.py --models public/models/emoji64-nestar   # rescore one model, keep the rest

For every model folder (manifest + ONNX), `--samples` images are drawn by src/scheduler.ts on onnxruntime-web's
wasm backend in Node (models/eval/sample_onnx.mjs), with classes in proportion to the training split, and
scored in the feature space of a CNN trained on the training split (feature_net.py, metrics.py) against the
training images. The floor row scores the held-out eval split the same way: what an ideal model that had
learned the distribution (not copied its training images) would get. FID and precision/recall compare sets of
one size (the eval split's), so sample count does not bias them between rows.

Writes <out>/results.json, <out>/RESULTS.md and one sample grid per row; a full run (2,000 samples or more) also
writes the README's quality section and each compared model's manifest `quality` (shown by the page). The
feature net is models/checkpoints/feature_net.pt, trained here when missing or when the data set changed (16
epochs, about 10 minutes on 2 CPU cores). Samples are cached under runs/eval/samples/ by a hash of what drew them.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, HERE)
from feature_net import FeatureNet, accuracy, embed, train_feature_net  # noqa: E402
from metrics import class_diversity, class_precision_recall, fid, inception_score, precision_recall  # noqa: E402
from nestar import checkpoint  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.few_step_head import evaluations_label  # noqa: E402
from nestar.reconstructions import reconstruct  # noqa: E402
from nestar.runtime import configure_threads  # noqa: E402

FEATURE_NET = os.path.join(ROOT, "models", "checkpoints", "feature_net.pt")
SAMPLE_CACHE = os.path.join(ROOT, "runs", "eval", "samples")
# Image i of class c is drawn with seed (seed_base + c * CLASS_SEED_STRIDE + i) mod 2^32: classes never share seeds.
CLASS_SEED_STRIDE = 100_003
README_START = "<!-- quality:start (written by npm run eval) -->"
README_END = "<!-- quality:end -->"

# (row name, model folder, what the row is) of the equal-budget comparison; folders that do not exist are skipped
# with a note on how to make them. {title}, {widths}, {flow_width}, {steps} and {hours} are filled from the manifest,
# so a newly shipped flagship (models/release.sh) is described without editing this list.
COMPARISON = [
    ("{title}, shipped", "public/models/emoji64-nestar",
     "64 px, 8x8x16 latents of the nested tokenizer, 3 modules {widths}, flow head {flow_width} wide, {steps} steps "
     "({hours} h, 1 thread); scored at 32 px"),
    ("NestAR v1, shipped", "public/models/emoji32-nestar", "32 px, 4x4-pixel tokens, 3 modules 128/128/128, 2,572 steps (1.85 h, 2 threads)"),
    ("NestAR", "models/ablation/exports/emoji32-nestar", "3 modules 128/128/128, equal budget"),
    ("Raster AR", "public/models/emoji32-raster", "1 module 128, one token per step, equal budget"),
    ("NestAR, small late modules", "models/ablation/exports/emoji32-nestar-small-late",
     "3 modules 128/64/32, depths 4/2/2, equal budget"),
]
SWEEP_MODEL = "public/models/emoji64-nestar"
# Models whose few-step sampler (models/distill.py) is scored against the ODE it was distilled from (16 Heun steps).
FAST_PATH_MODELS = ["public/models/emoji64-nestar", "public/models/emoji32-nestar"]
REFERENCE_ODE = {"solver": "heun", "ode_steps": 16}
# The latent flagship's tokenizer (inside its slim training checkpoint): its held-out reconstructions are the
# ceiling of what the generator can reach, scored as a row of their own.
TOKENIZER_CHECKPOINT = os.path.join(ROOT, "models", "checkpoints", "emoji64-nestar.pt")
# Guidance does not mean the same strength for two different models: the equal-budget pair is also compared at
# other guidance values, so that a difference at the default is not just a difference in effective guidance.
PAIR_MODELS = ["models/ablation/exports/emoji32-nestar", "public/models/emoji32-raster"]


def log(msg: str):
    print(msg, flush=True)


# ---- the feature network ----

def feature_net(train: EmojiDataset, heldout: EmojiDataset):
    """The committed feature net, or a freshly trained one when there is none or the data set changed."""
    key = train.index["cacheKey"]
    if os.path.exists(FEATURE_NET):
        state = torch.load(FEATURE_NET)
        if state["data_cache_key"] == key:
            net = FeatureNet(state["num_classes"])
            net.load_state_dict(state["weights"])
            return net.eval(), state["heldout_accuracy"]
        log(f"{FEATURE_NET} was trained on another data set build; training a new one")
    net = train_feature_net(train.images, train.labels, len(train.classes), log=log)
    _, probs = embed(net, heldout.images)
    heldout_accuracy = accuracy(probs, heldout.labels.numpy())
    log(f"feature net held-out accuracy {heldout_accuracy:.3f}")
    os.makedirs(os.path.dirname(FEATURE_NET), exist_ok=True)
    torch.save({"weights": net.state_dict(), "num_classes": len(train.classes), "data_cache_key": key,
                "heldout_accuracy": heldout_accuracy}, FEATURE_NET)
    return net, heldout_accuracy


# ---- drawing samples through the page's sampler ----

def class_counts(train_labels: np.ndarray, num_classes: int, total: int) -> list:
    """`total` split over classes in proportion to the training split (largest remainder)."""
    share = np.bincount(train_labels, minlength=num_classes) / len(train_labels) * total
    counts = np.floor(share).astype(int)
    for c in np.argsort(-(share - counts))[: total - counts.sum()]:
        counts[c] += 1
    return counts.tolist()


def unread_files(manifest: dict, solver: str) -> set:
    """The model files a sampling path does not read to make its final images: the other path's per-module graphs
    (the ODE's flow heads or the few-step sampler's) and the preview decoder (previews are not scored)."""
    other = "flow_head" if solver == "few_step" else "few_step"
    unread = {m[other] for m in manifest["modules"] if m.get(other)}
    if manifest["tokens"].get("preview_decoder"):
        unread.add(manifest["tokens"]["preview_decoder"])
    return unread


def draw_samples(model_dir: str, settings: dict, counts: list, seed_base: int):
    """uint8 [N, S, S, 3] and labels [N], drawn by models/eval/sample_onnx.mjs (cached), plus seconds taken."""
    with open(os.path.join(ROOT, model_dir, "manifest.json")) as f:
        manifest = json.load(f)
    plan = {"modelDir": os.path.join(ROOT, model_dir), "settings": settings, "counts": counts,
            "seedBase": seed_base, "classSeedStride": CLASS_SEED_STRIDE, "maxBatch": manifest["sampling"]["limits"]["batch"][1]}
    # Keyed by the settings the sampler will really use (the manifest's defaults filled in): a model re-exported with
    # other defaults must not be served the samples of its old ones. Files this path never reads are left out of the
    # key, so that a re-export that leaves the path's files byte-identical (distill.py adds few-step graphs, the ODE
    # files stay as they were) keeps its samples.
    resolved = {**manifest["sampling"]["defaults"], **settings}
    unread = unread_files(manifest, resolved["solver"])
    files = {k: v["sha256"] for k, v in manifest["files"].items() if k not in unread}
    key = hashlib.sha256(json.dumps([files, resolved, counts, seed_base], sort_keys=True).encode()).hexdigest()[:16]
    out = os.path.join(SAMPLE_CACHE, key + ".u8")
    meta_path = out + ".json"
    if not os.path.exists(meta_path):
        os.makedirs(SAMPLE_CACHE, exist_ok=True)
        plan_path = out + ".plan.json"
        with open(plan_path, "w") as f:
            json.dump({**plan, "outFile": out}, f)
        log(f"sampling {sum(counts)} images from {model_dir} {settings or '(defaults)'}")
        result = subprocess.run(["node", os.path.join(HERE, "sample_onnx.mjs"), plan_path], check=True,
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        meta = json.loads(result.stdout.strip().splitlines()[-1])
        with open(meta_path, "w") as f:
            json.dump(meta, f)
    with open(meta_path) as f:
        meta = json.load(f)
    size = meta["size"]
    images = np.fromfile(out, dtype=np.uint8).reshape(meta["count"], size, size, 3)
    labels = np.repeat(np.arange(len(counts)), counts)
    return torch.from_numpy(images), labels, meta["seconds"]


def at_feature_size(images_BHWC: torch.Tensor, size: int = 32) -> torch.Tensor:
    """The feature net sees 32 px: larger images are box-averaged down (64 -> 32: each pixel the mean of 2x2),
    so 64 px and 32 px models are scored in one space."""
    factor = images_BHWC.shape[1] // size
    if factor == 1:
        return images_BHWC
    x = images_BHWC.permute(0, 3, 1, 2).float()
    x = torch.nn.functional.avg_pool2d(x, factor)
    return torch.round(x).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


# ---- scoring ----

class Scorer:
    """Scores image sets against the training split in the feature net's space."""

    def __init__(self, net: FeatureNet, train: EmojiDataset, set_size: int, k: int = 3):
        self.net, self.k, self.set_size = net, k, set_size
        self.ref_features, _ = embed(net, train.images)
        self.ref_labels = train.labels.numpy()
        # Precision/recall's real manifold: a fixed random subset of the training split, of the compared sets' size.
        pick = np.random.default_rng(0).permutation(len(self.ref_features))[:set_size]
        self.ref_subset = self.ref_features[pick]

    def score(self, images: torch.Tensor, labels: np.ndarray) -> dict:
        features, probs = embed(self.net, at_feature_size(images))
        pick = np.random.default_rng(1).permutation(len(features))[: self.set_size]
        precision, recall = precision_recall(self.ref_subset, features[pick], self.k)
        class_precision, class_recall = class_precision_recall(self.ref_features, self.ref_labels, features, labels,
                                                               self.k)
        return {
            "count": len(features),
            "fid": fid(features[pick], self.ref_features),
            "inception_score": inception_score(probs),
            "class_accuracy": accuracy(probs, labels),
            "precision": precision,
            "recall": recall,
            "class_precision": class_precision,
            "class_recall": class_recall,
            "diversity": class_diversity(features, labels),
        }


def save_grid(images: torch.Tensor, labels: np.ndarray, classes: list, path: str, per_class: int = 3,
              columns: int = 10, scale: int = 2):
    """The first `per_class` images of every class, labelled: what a person looks at before trusting a number."""
    size = images.shape[1] * scale
    cell_w, cell_h = size * per_class + 6, size + 14
    rows = (len(classes) + columns - 1) // columns
    canvas = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(canvas)
    for c, cls in enumerate(classes):
        x0, y0 = (c % columns) * cell_w, (c // columns) * cell_h
        for b, i in enumerate(np.flatnonzero(labels == c)[:per_class]):
            img = Image.fromarray(images[i].numpy()).resize((size, size), Image.NEAREST)
            canvas.paste(img, (x0 + b * size + 3, y0))
        draw.text((x0 + 3, y0 + size), cls["name"][:18], fill=(60, 60, 60))
    canvas.save(path)


# ---- report ----

# The metric columns of every table, in order; metric_cells fills them for one row.
METRIC_HEAD = ("FID (x floor) | IS | class acc. | precision | recall | precision in class | recall in class | "
               "diversity (x floor)")


def metric_cells(m: dict, floor: dict) -> str:
    return (f"{m['fid']:.2f} ({m['fid'] / floor['fid']:.1f}x) | {m['inception_score']:.1f} | "
            f"{m['class_accuracy']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['class_precision']:.3f} | "
            f"{m['class_recall']:.3f} | {m['diversity']:.2f} ({m['diversity'] / floor['diversity']:.2f})")


def table_head(before: tuple, after: tuple = ()) -> list:
    """Header and rule of a table with `before` columns, the metric columns, then `after` columns."""
    columns = [*before, METRIC_HEAD, *after]
    count = len(before) + METRIC_HEAD.count("|") + 1 + len(after)
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * count]


def findings(results: dict) -> list:
    """The comparisons the issue asks about, as sentences: each equal-budget model against equal-budget NestAR."""
    rows = {r["model"]: r["metrics"] for r in results["comparison"]}
    nestar = rows.get("models/ablation/exports/emoji32-nestar")
    if nestar is None:
        return []
    pct = lambda a, b: f"{(a / b - 1) * 100:+.0f}%"  # noqa: E731
    out = ["", "Against NestAR at the same budget:"]
    for model, label in (("public/models/emoji32-raster", "raster AR"),
                         ("models/ablation/exports/emoji32-nestar-small-late", "small late modules")):
        m = rows.get(model)
        if m:
            out.append(f"- {label}: FID {pct(m['fid'], nestar['fid'])}, recall {pct(m['recall'], nestar['recall'])}, "
                       f"recall in class {pct(m['class_recall'], nestar['class_recall'])}, "
                       f"diversity {pct(m['diversity'], nestar['diversity'])}, precision "
                       f"{pct(m['precision'], nestar['precision'])}, class accuracy "
                       f"{pct(m['class_accuracy'], nestar['class_accuracy'])}, sampling time per image "
                       f"{m['seconds_per_image'] / nestar['seconds_per_image']:.2f}x.")
    return out


def describe_row(name: str, what: str, manifest: dict) -> tuple:
    """A COMPARISON row's name and description with the manifest's title, widths and training record filled in."""
    training = manifest.get("training") or {}
    config = manifest.get("model_config") or {}
    fields = dict(title=manifest["title"], steps=f"{training.get('steps') or 0:,}",
                  hours=f"{training.get('hours') or 0:.2f}", flow_width=config.get("flow_width", "?"),
                  widths="/".join(map(str, config.get("module_widths", []))))
    return name.format(**fields), what.format(**fields)


def sweep_setting(text: str) -> tuple:
    """A --sweep entry: "g" (one guidance for the whole image) or "c:g" (coarse guidance c, then g), as (c, g)."""
    coarse, _, fine = text.strip().rpartition(":")
    return (float(coarse or fine), float(fine))


def defaults_guidance_text(defaults: dict) -> str:
    """A manifest's default guidance in words: "guidance g", or "coarse guidance c, guidance g"."""
    g, c = defaults["guidance"], defaults.get("coarse_guidance", defaults["guidance"])
    return f"guidance {g:g}" if c == g else f"coarse guidance {c:g}, guidance {g:g}"


def guidance_text(row: dict) -> str:
    """A sweep row's guidance: "g", or "c / g" when the first module's differs; bold for the default."""
    g, c = row["guidance"], row.get("coarse_guidance", row["guidance"])
    text = f"{g:g}" if c == g else f"{c:g} / {g:g}"
    return f"**{text}**" if row.get("default") else text


def markdown(results: dict) -> str:
    floor = results["floor"]
    lines = [
        f"Feature net: a CNN trained on the {results['train_count']:,} training images; accuracy on the "
        f"{results['eval_count']:,} held-out images of unseen emoji: **{results['feature_net_heldout_accuracy']:.3f}** "
        f"({results['classes']} classes). {results['samples']:,} samples per model, drawn through the page's sampler "
        f"(src/scheduler.ts, onnxruntime-web wasm in Node) with classes in training-split proportions; FID and "
        f"precision/recall (k = {results['k']}) on sets of {results['set_size']:,} against the training split; "
        f"within-class precision/recall per class on equal-size sets, averaged over classes. s / image: the "
        f"sampling time of this run (Node, wasm, 1 thread, batches of up to 16 of one class), not a benchmark.",
        "",
        "**Shipped models and the equal-budget comparison** (default settings of each model: "
        f"{results['defaults_text']}):",
        "",
        *table_head(("", "model"), ("s / image",)),
        f"| Real floor | held-out eval split vs training split | {metric_cells(floor, floor)} | |",
    ]
    if results.get("ceiling"):
        lines.append(f"| Tokenizer ceiling | held-out images through the flagship's nested tokenizer (encode, decode), 64 px "
                     f"scored at 32 px | {metric_cells(results['ceiling'], floor)} | |")
    lines += [f"| {r['name']} | {r['what']} | {metric_cells(r['metrics'], floor)} | "
              f"{r['metrics']['seconds_per_image']:.3f} |" for r in results["comparison"]]
    lines += findings(results)
    if results.get("fast_path"):
        lines += ["", "**Few-step sampler against the ODE it was distilled from** (same seeds and settings; head "
                  "evaluations per token, guidance included: 16 Heun steps = 32, doubled by guidance = 64):", "",
                  *table_head(("model", "sampler", "evals / token"), ("FID vs ODE", "s / image"))]
        for r in results["fast_path"]:
            # Head evaluations per token: one K, or per module coarse to fine (2/2/1; a module that runs the guided
            # ODE counts its evaluations on both guidance rows: 12/2/1).
            k = evaluations_label(r["evaluations"])
            for label, evals, m in ((f"few-step ({k})", k, r["fast"]),
                                    ("16 Heun steps", 64, r["ode"])):
                lines.append(f"| {r['name']} | {label} | {evals} | {metric_cells(m, floor)} | "
                             f"{m['fid'] / r['ode']['fid']:.2f}x | {m['seconds_per_image']:.3f} |")
    if results["sweep"]:
        lines += ["", f"**Guidance sweep** ({results['sweep_model']}, other settings at their defaults; one number: "
                  "that guidance for the whole image, c / g: coarse guidance c for the first module, which lays out "
                  "the 2x2 scale, and g for the later modules; the default in bold):", "",
                  *table_head(("guidance",))]
        lines += [f"| {guidance_text(r)} | {metric_cells(r['metrics'], floor)} |" for r in results["sweep"]]
    if results.get("temperature_sweep"):
        lines += ["", f"**Temperature sweep** ({results['sweep_model']} at its default guidance; the starting noise's "
                  "scale: lower draws closer to each class's typical picture, higher more varied ones; the default in "
                  "bold):", "", *table_head(("temperature",))]
        lines += [f"| {'**%g**' % r['temperature'] if r['default'] else '%g' % r['temperature']} | "
                  f"{metric_cells(r['metrics'], floor)} |" for r in results["temperature_sweep"]]
    if results["pair_sweep"]:
        lines += ["", "**Equal-budget NestAR and raster across guidance** (other settings at their defaults):", "",
                  *table_head(("guidance", "model"))]
        lines += [f"| {r['guidance']:g} | {r['name']} | {metric_cells(r['metrics'], floor)} |"
                  for r in sorted(results["pair_sweep"], key=lambda r: (r["guidance"], r["name"]))]
    if results["missing"]:
        lines += ["", "Not evaluated (folder missing): " + "; ".join(results["missing"])]
    return "\n".join(lines) + "\n"


def write_manifest_quality(model_dir: str, metrics: dict, results: dict):
    """Records a model's default-settings figures in its manifest's `quality`, which the page shows (ModelAbout)."""
    path = os.path.join(ROOT, model_dir, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    floor = results["floor"]
    manifest["quality"] = {
        "samples": metrics["count"], "fid": metrics["fid"], "fid_floor": floor["fid"],
        "inception_score": metrics["inception_score"], "class_accuracy": metrics["class_accuracy"],
        "precision": metrics["precision"], "recall": metrics["recall"], "recall_floor": floor["recall"],
        "class_precision": metrics["class_precision"], "class_recall": metrics["class_recall"],
        "class_recall_floor": floor["class_recall"],
        "diversity": metrics["diversity"], "diversity_floor": floor["diversity"],
        "feature_net_heldout_accuracy": results["feature_net_heldout_accuracy"],
        "settings": manifest["sampling"]["defaults"],
        "measured": f"npm run eval, {time.strftime('%Y-%m-%d')}",
    }
    if manifest["tokens"]["layout"] == "latent" and results.get("ceiling"):
        manifest["quality"]["tokenizer_fid"] = results["ceiling"]["fid"]
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)


def write_readme_section(text: str):
    path = os.path.join(ROOT, "README.md")
    with open(path) as f:
        readme = f.read()
    if README_START not in readme or README_END not in readme:
        log(f"README.md has no {README_START} ... {README_END} section; not updated")
        return
    before, rest = readme.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    with open(path, "w") as f:
        f.write(before + README_START + "\n" + text + README_END + after)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=2000, help="images per model and setting")
    p.add_argument("--sweep", default="2,3,4,5,6,2.5:6,3.5:6,3:5,2.5:8",
                   help="guidance settings besides the default, for the sweep model: g (that guidance for the whole "
                   "image) or c:g (coarse guidance c for the first module, g for the others)")
    p.add_argument("--temperatures", default="0.75,0.95,1.0",
                   help="temperatures besides the default, for the sweep model at its default guidance: the "
                   "starting noise's scale trades fidelity (FID, precision) against diversity (recall)")
    p.add_argument("--pair-guidance", default="2,4", help="guidance values for the equal-budget NestAR/raster pair")
    p.add_argument("--out", default="bench/quality")
    p.add_argument("--seed", type=int, default=1, help="first seed of the samples (the page's default seed is 0)")
    p.add_argument("--no-readme", action="store_true", help="leave README.md and the manifests' quality alone")
    p.add_argument("--models", default="", help="comma-separated model folders of the comparison to (re)score; the "
                   "other rows, sweeps and pairs are taken from <out>/results.json of an earlier run with the same "
                   "--samples and --seed")
    args = p.parse_args()
    if args.samples < 10:
        p.error("--samples must be at least 10")
    try:
        sweep = [sweep_setting(entry) for entry in args.sweep.split(",") if entry.strip()]
    except ValueError:
        p.error(f"--sweep: {args.sweep!r} is not a comma-separated list of g or c:g numbers")
    pair_guidance = [float(g) for g in args.pair_guidance.split(",") if g.strip()]
    try:
        temperatures = [float(t) for t in args.temperatures.split(",") if t.strip()]
    except ValueError:
        p.error(f"--temperatures: {args.temperatures!r} is not a comma-separated list of numbers")
    configure_threads(1)  # measured: 1 thread is faster than 2 on this 2-core machine for these small networks
    out = os.path.join(ROOT, args.out)
    os.makedirs(out, exist_ok=True)
    started = time.time()

    if not os.path.exists(os.path.join(ROOT, ".cache", "emoji-32", "index.json")):
        log("no emoji data set in .cache/emoji-32 yet: building it (npm run data, about a minute)")
        subprocess.run(["node", os.path.join(ROOT, "models", "data", "build_emoji_dataset.mjs")], check=True, cwd=ROOT)
    train, heldout = EmojiDataset("train"), EmojiDataset("eval")
    classes = train.classes
    net, heldout_accuracy = feature_net(train, heldout)
    set_size = min(len(heldout), args.samples)
    scorer = Scorer(net, train, set_size)
    counts = class_counts(train.labels.numpy(), len(classes), args.samples)

    chosen, previous = None, None
    if args.models:
        chosen = {m.strip().rstrip("/") for m in args.models.split(",") if m.strip()}
        unknown = chosen - {d for _, d, _ in COMPARISON}
        if unknown:
            p.error(f"--models: {sorted(unknown)} not in the comparison ({', '.join(d for _, d, _ in COMPARISON)})")
        previous_path = os.path.join(out, "results.json")
        if not os.path.exists(previous_path):
            p.error(f"--models merges into an earlier run's {previous_path}, and there is none: run without --models")
        with open(previous_path) as f:
            previous = json.load(f)
        if previous["samples"] != args.samples or previous.get("seed", 1) != args.seed:
            p.error(f"--models: {previous_path} has {previous['samples']} samples from seed {previous.get('seed', 1)};"
                    f" this run asks for {args.samples} from seed {args.seed}, which would not compare")

    results = {"samples": args.samples, "seed": args.seed, "set_size": set_size, "k": scorer.k, "classes": len(classes),
               "train_count": len(train), "eval_count": len(heldout),
               "feature_net_heldout_accuracy": heldout_accuracy, "comparison": [], "sweep": [], "temperature_sweep": [],
               "pair_sweep": [],
               "missing": []}
    results["floor"] = scorer.score(heldout.images, heldout.labels.numpy())
    save_grid(heldout.images, heldout.labels.numpy(), classes, os.path.join(out, "grid-real-eval-split.png"))
    log(f"floor: {results['floor']}")
    # Another feature net or data set moves the floor by far more than 1e-6; the BLAS's thread count alone (the
    # order of its sums) moves it by ~1e-7.
    if previous and abs(previous["floor"]["fid"] - results["floor"]["fid"]) > 1e-6:
        raise SystemExit("--models: the floor differs from the earlier run's (another feature net or data set); "
                         "run without --models")
    if os.path.exists(TOKENIZER_CHECKPOINT):
        tokenizer = checkpoint.tokenizer_of(checkpoint.load(TOKENIZER_CHECKPOINT))
        heldout64 = EmojiDataset("eval", tokenizer.config.image_size)
        recon = reconstruct(tokenizer, heldout64.images)
        results["ceiling"] = scorer.score(recon, heldout64.labels.numpy())
        save_grid(recon, heldout64.labels.numpy(), classes, os.path.join(out, "grid-tokenizer-reconstructions.png"),
                  scale=1)
        log(f"tokenizer reconstructions: {results['ceiling']}")

    def evaluate(model_dir: str, settings: dict):
        images, labels, seconds = draw_samples(model_dir, settings, counts, args.seed)
        metrics = scorer.score(images, labels)
        metrics["seconds_per_image"] = seconds / len(labels)
        return metrics, images, labels

    defaults_seen = set()
    reused = {r["model"]: r for r in previous["comparison"]} if previous else {}
    for name, model_dir, what in COMPARISON:
        manifest_path = os.path.join(ROOT, model_dir, "manifest.json")
        if not os.path.exists(manifest_path):
            name = name.format(title=os.path.basename(model_dir))
            results["missing"].append(f"{name} ({model_dir}: models/ablation/README.md says how to make it)")
            log(f"skipping {name}: no {manifest_path}")
            continue
        with open(manifest_path) as f:
            manifest = json.load(f)
        defaults = manifest["sampling"]["defaults"]
        name, what = describe_row(name, what, manifest)
        if chosen is not None and model_dir not in chosen:
            if model_dir in reused:
                defaults_seen.add(json.dumps(reused[model_dir]["defaults"], sort_keys=True))
                results["comparison"].append({**reused[model_dir], "name": name, "what": what})
            continue
        defaults_seen.add(json.dumps(defaults, sort_keys=True))
        metrics, images, labels = evaluate(model_dir, {})
        slug = os.path.basename(model_dir.rstrip("/")) + ("-shipped" if model_dir.startswith("public") else "")
        save_grid(images, labels, classes, os.path.join(out, f"grid-{slug}.png"))
        results["comparison"].append({"name": name, "model": model_dir, "what": what, "defaults": defaults,
                                      "metrics": metrics})
        log(f"{name}: {metrics}")
    results["defaults_text"] = " / ".join(
        ("few-step sampler" if d["solver"] == "few_step" else f"{d['ode_steps']} {d['solver']} steps")
        + f", {defaults_guidance_text(d)}, temperature {d['temperature']:g}" for d in map(json.loads, sorted(defaults_seen)))

    rows = {r["model"]: r for r in results["comparison"]}

    def default_guidance(model_dir: str) -> tuple:
        d = rows[model_dir]["defaults"]
        return d.get("coarse_guidance", d["guidance"]), d["guidance"]

    def at_guidance(model_dir: str, coarse: float, g: float) -> dict:
        """Metrics of a compared model at coarse guidance `coarse` and guidance g; its default is its comparison
        row, not drawn again."""
        if (coarse, g) == default_guidance(model_dir):
            return rows[model_dir]["metrics"]
        return evaluate(model_dir, {"guidance": g, "coarse_guidance": coarse})[0]

    results["sweep_model"] = SWEEP_MODEL
    if chosen is not None and (SWEEP_MODEL not in chosen or not sweep):
        # Not swept in this run: the earlier run's sweep stays, under the model it swept.
        results["sweep"], results["sweep_model"] = previous["sweep"], previous.get("sweep_model")
    elif SWEEP_MODEL in rows:
        default = default_guidance(SWEEP_MODEL)
        # One-guidance rows first (by g), then per-module ones (by g, then c).
        for coarse, g in sorted(set(sweep) | {default}, key=lambda s: (s[0] != s[1], s[1], s[0])):
            metrics = at_guidance(SWEEP_MODEL, coarse, g)
            results["sweep"].append({"guidance": g, "coarse_guidance": coarse, "default": (coarse, g) == default,
                                     "metrics": metrics})
            log(f"guidance {coarse:g} / {g:g}: {metrics}")

    if chosen is not None and (SWEEP_MODEL not in chosen or not temperatures):
        results["temperature_sweep"] = previous.get("temperature_sweep", [])
    elif SWEEP_MODEL in rows:
        default_t = rows[SWEEP_MODEL]["defaults"]["temperature"]
        for t in sorted(set(temperatures) | {default_t}):
            metrics = rows[SWEEP_MODEL]["metrics"] if t == default_t else evaluate(SWEEP_MODEL, {"temperature": t})[0]
            results["temperature_sweep"].append({"temperature": t, "default": t == default_t, "metrics": metrics})
            log(f"temperature {t:g}: {metrics}")

    # The fast path against its reference, same seeds: the default row is one of the two, the other is drawn here.
    results["fast_path"] = [r for r in previous.get("fast_path", []) if r["model"] not in chosen] if previous else []
    for model_dir in FAST_PATH_MODELS:
        if model_dir not in rows or (chosen is not None and model_dir not in chosen):
            continue
        with open(os.path.join(ROOT, model_dir, "manifest.json")) as f:
            few_step = json.load(f).get("few_step")
        if not few_step:
            continue
        row = rows[model_dir]
        fast_is_default = row["defaults"]["solver"] == "few_step"
        other = evaluate(model_dir, REFERENCE_ODE if fast_is_default else {"solver": "few_step"})[0]
        fast, ode = (row["metrics"], other) if fast_is_default else (other, row["metrics"])
        results["fast_path"].append({"model": model_dir, "name": row["name"], "evaluations": few_step["evaluations"],
                                     "guidance": row["defaults"]["guidance"], "fast": fast, "ode": ode})
        log(f"{row['name']} few-step: FID {fast['fid']:.2f} vs 16 Heun {ode['fid']:.2f} "
            f"({fast['fid'] / ode['fid']:.2f}x), {ode['seconds_per_image'] / fast['seconds_per_image']:.1f}x faster")

    if previous:
        results["pair_sweep"] = [r for r in previous["pair_sweep"] if r["model"] not in chosen]
    for g in pair_guidance:
        for model_dir in PAIR_MODELS:
            if model_dir in rows and (chosen is None or model_dir in chosen):
                metrics = at_guidance(model_dir, g, g)
                name = rows[model_dir]["name"]
                results["pair_sweep"].append({"guidance": g, "name": name, "model": model_dir, "metrics": metrics})
                log(f"{name} at guidance {g:g}: {metrics}")

    # Only a full run (the 2,000 samples or more) may overwrite the figures users see.
    publish = args.samples >= 2000 and not args.no_readme
    if publish:
        for row in results["comparison"]:
            if chosen is None or row["model"] in chosen:
                write_manifest_quality(row["model"], row["metrics"], results)

    results["seconds"] = time.time() - started
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    text = markdown(results)
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("# Sample quality\n\nWritten by `npm run eval` (models/eval/evaluate.py).\n\n" + text)
    if publish:
        write_readme_section(text)
    else:
        log("fewer than 2,000 samples or --no-readme: README.md and the manifests' quality were left alone")
    log(text)
    log(f"wrote {out} in {results['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
