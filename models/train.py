#!/usr/bin/env python3
"""Trains a NestAR (or raster baseline) model on the emoji data set. CPU or CUDA; multi-GPU with torchrun (DDP).

  /usr/bin/python3 models/train.py --preset emoji32-nestar --out runs/emoji32-nestar --hours 3
  torchrun --nproc_per_node 8 models/train.py --preset emoji32-nestar --out runs/big --batch-size 512
  /usr/bin/python3 models/train.py --preset emoji64-nestar --tokenizer runs/tokenizer64/tokenizer.pt --out runs/emoji64-nestar

Resumable: rerunning the same command continues from <out>/checkpoint.pt (the model config must match).
Writes <out>/checkpoint.pt, <out>/log.jsonl (loss curve) and <out>/samples/step_<k>.png (one image per class).
"""
import argparse
import copy
import json
import math
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402
from nestar.config import PRESETS, ModelConfig  # noqa: E402
from nestar.data import EmojiDataset  # noqa: E402
from nestar.grid import save_class_grid  # noqa: E402
from nestar.model import NestAR  # noqa: E402
from nestar.runtime import check_blas, configure_threads, cpu_hardware  # noqa: E402
from nestar.tokenizer import latent_tokens  # noqa: E402


@dataclass
class TrainConfig:
    preset: str = "emoji32-nestar"
    out: str = "runs/emoji32-nestar"
    batch_size: int = 64  # global, split across ranks
    lr: float = 1e-3
    weight_decay: float = 0.02
    warmup_steps: int = 500
    max_steps: int = 200_000  # cosine schedule length; --hours usually stops a run first
    ema_decay: float = 0.999
    hours: float = 0.0  # wall-clock budget of this invocation; 0 = until max_steps
    log_every: int = 20
    sample_every: int = 1000
    checkpoint_every: int = 250
    seed: int = 0
    threads: int = 0
    device: str = "auto"
    override: str = ""  # JSON of model config fields that differ from the preset (ablations), e.g. '{"flow_width": 256}'
    data_root: str = ""  # folder holding emoji-<size>/ (default: the repo's .cache, where npm run data builds it)
    tokenizer: str = ""  # latent presets: the nested tokenizer (models/train_tokenizer.py) whose latents are modelled


def parse_args() -> TrainConfig:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, f in TrainConfig.__dataclass_fields__.items():
        p.add_argument("--" + name.replace("_", "-"), type=type(f.default), default=f.default)
    cfg = TrainConfig(**vars(p.parse_args()))
    if cfg.preset not in PRESETS:
        p.error(f"unknown preset {cfg.preset!r}; known: {', '.join(PRESETS)}")
    return cfg


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def setup_distributed(cfg: TrainConfig):
    """(rank, world, device). torchrun sets RANK/WORLD_SIZE/LOCAL_RANK; a plain run is rank 0 of 1."""
    if "RANK" in os.environ:
        use_cuda = torch.cuda.is_available() and cfg.device != "cpu"
        dist.init_process_group("nccl" if use_cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        device = torch.device(f"cuda:{int(os.environ['LOCAL_RANK'])}" if use_cuda else "cpu")
        if use_cuda:
            torch.cuda.set_device(device)
        return rank, world, device
    if cfg.device == "auto":
        return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return 0, 1, torch.device(cfg.device)


def resume_or_start(cfg: TrainConfig, model_config: ModelConfig, path: str):
    if not os.path.exists(path):
        return None
    state = checkpoint.load(path)
    if state["model_config"] != model_config.to_dict():
        diff = {k: (state["model_config"].get(k), v) for k, v in model_config.to_dict().items()
                if state["model_config"].get(k) != v}
        raise SystemExit(f"config mismatch on resume: {path} was trained with a different model config "
                         f"(field: (checkpoint, now)) {diff}. Use a new --out or the original preset.")
    return state


def main():
    cfg = parse_args()
    rank, world, device = setup_distributed(cfg)
    main_process = rank == 0
    if device.type == "cpu":
        threads = configure_threads(cfg.threads)
        gflops = check_blas()
        if main_process:
            print(f"cpu: {threads} threads, matmul {gflops:.0f} GFLOP/s", flush=True)
    model_config = PRESETS[cfg.preset]
    if cfg.override:
        model_config = ModelConfig.from_dict({**model_config.to_dict(), **json.loads(cfg.override)})
    os.makedirs(os.path.join(cfg.out, "samples"), exist_ok=True)
    ckpt_path = os.path.join(cfg.out, "checkpoint.pt")
    state = resume_or_start(cfg, model_config, ckpt_path)

    data = EmojiDataset("train", model_config.image_size, **({"root": cfg.data_root} if cfg.data_root else {}))
    if len(data.classes) != model_config.num_classes:
        raise SystemExit(f"data set has {len(data.classes)} classes, preset {cfg.preset} expects "
                         f"{model_config.num_classes}")
    tokenizer_state = None
    if model_config.token_layout == "latent":
        # The tokenizer travels inside the generator's checkpoint: a resumed run keeps the latents it started with.
        if state and state.get("tokenizer"):
            tokenizer_state = state["tokenizer"]
            if cfg.tokenizer and main_process:
                print(f"resuming: using the tokenizer stored in {ckpt_path}, not {cfg.tokenizer}", flush=True)
        elif cfg.tokenizer:
            tokenizer_state = checkpoint.tokenizer_entry(cfg.tokenizer)
        else:
            raise SystemExit(f"preset {cfg.preset} models tokenizer latents: pass --tokenizer <tokenizer.pt>")
        tokenizer = checkpoint.tokenizer_of({"tokenizer": tokenizer_state})
        if tokenizer.config.image_size != model_config.image_size or \
                tokenizer.config.latent_channels != model_config.latent_channels or \
                tokenizer.config.downsample != model_config.patch_size:
            raise SystemExit(f"tokenizer {tokenizer.config} does not fit preset {cfg.preset}")
        tokens = latent_tokens(tokenizer, data.images).to(device)
        if main_process:
            print(f"latent tokens {list(tokens.shape)}: mean {tokens.mean():.3f} std {tokens.std():.3f}", flush=True)
    else:
        tokenizer = None
        tokens = data.tokens(model_config.patch_size, model_config.norm_mean, model_config.norm_std).to(device)
    labels = data.labels.to(device)

    torch.manual_seed(cfg.seed)
    model = NestAR(model_config).to(device)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.95))
    step, elapsed, samples_seen = 0, 0.0, 0
    if state:
        # A checkpoint slimmed with --ema-only has no raw weights: training goes on from the EMA weights.
        model.load_state_dict(state["model"] if "model" in state else state["ema"])
        ema.load_state_dict(state["ema"])
        if "model" not in state and main_process:
            print("checkpoint has EMA weights only: training continues from them", flush=True)
        if "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
        elif main_process:  # a slim checkpoint (weights only, as committed to git): Adam moments start afresh
            print("checkpoint has no optimizer state: the optimizer starts afresh", flush=True)
        step, elapsed, samples_seen = state["step"], state["elapsed_s"], state["samples_seen"]
        if main_process:
            print(f"resumed {ckpt_path} at step {step} ({elapsed / 3600:.2f} h trained)", flush=True)
    train_model = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    n_params = sum(p.numel() for p in model.parameters())
    if main_process:
        print(f"{cfg.preset}: {n_params / 1e6:.2f}M params, {model.num_steps} sampling steps, {len(data)} train "
              f"images, {world} x {device}", flush=True)

    hardware = f"{world} x " + (torch.cuda.get_device_name(device) if device.type == "cuda"
                                else cpu_hardware(torch.get_num_threads()))

    def save():
        if main_process:
            checkpoint.save(ckpt_path, {"model_config": model_config.to_dict(), "train_config": asdict(cfg),
                                        "model": model.state_dict(), "ema": ema.state_dict(),
                                        "optimizer": optimizer.state_dict(), "step": step, "elapsed_s": elapsed,
                                        "samples_seen": samples_seen, "params": n_params,
                                        "hardware": hardware, "tokenizer": tokenizer_state})

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    per_rank = cfg.batch_size // world
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed * 1000 + rank + step)  # new stream after resume
    log = open(os.path.join(cfg.out, "log.jsonl"), "a") if main_process else None
    t_start, t_last, smooth = time.time(), time.time(), None
    step_s = None  # smoothed seconds per step: the rate shown, and what a paused step (SIGSTOP) is counted as
    paused_s = 0.0
    budget_s = cfg.hours * 3600 if cfg.hours > 0 else float("inf")
    model.train()
    # The budget is wall-clock time, the same test on every rank (pauses included).
    while step < cfg.max_steps and not stop["now"] and time.time() - t_start < budget_s:
        idx = torch.randint(0, len(labels), (per_rank,), generator=gen).to(device)
        y = labels[idx].clone()
        drop = torch.rand(per_rank, generator=gen).to(device) < model_config.class_dropout
        y[drop] = model_config.null_class
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss, module_losses = train_model(tokens[idx], y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        with torch.no_grad():
            decay = min(cfg.ema_decay, (1 + step) / (10 + step))  # short warm-up so early samples mean something
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - decay)
        step += 1
        samples_seen += cfg.batch_size
        smooth = loss.item() if smooth is None else 0.98 * smooth + 0.02 * loss.item()
        now = time.time()
        dt = now - t_last
        if step_s is not None and dt > 20 * step_s + 5:
            # The process was stopped (kill -STOP while a benchmark ran) or the machine slept: that is not
            # training time, which the model card reports.
            paused_s += dt - step_s
            dt = step_s
        step_s = dt if step_s is None else 0.95 * step_s + 0.05 * dt
        elapsed += dt
        t_last = now
        if main_process and step % cfg.log_every == 0:
            rate = cfg.batch_size / max(step_s, 1e-9)  # recent, not the run's average: the machine's load changes
            remaining = min((cfg.max_steps - step) * cfg.batch_size / rate, budget_s - (now - t_start))
            modules = " ".join(f"{l.item():.3f}" for l in module_losses)
            print(f"step {step:7d}  loss {smooth:.4f} [{modules}]  lr {lr_at(step, cfg):.2e}  {rate:6.1f} samples/s  "
                  f"epoch {samples_seen / len(labels):6.1f}  ETA {remaining / 3600:5.2f} h", flush=True)
            log.write(json.dumps({"step": step, "loss": loss.item(), "loss_smooth": smooth, "elapsed_s": elapsed,
                                  "modules": [l.item() for l in module_losses]}) + "\n")
            log.flush()
        t_side = time.time()
        if step % cfg.checkpoint_every == 0:
            save()
        if main_process and step % cfg.sample_every == 0:
            path = os.path.join(cfg.out, "samples", f"step_{step:07d}.png")
            save_class_grid(ema, path, data.classes, tokenizer=tokenizer)
            print(f"samples: {path}", flush=True)
        # Saving and sampling are training time, timed here so that the next step's time (and the pause test) is
        # the step's alone.
        t_last = time.time()
        elapsed += t_last - t_side
    save()
    if main_process:
        paused = f" ({paused_s / 60:.0f} min stopped in this run, not counted)" if paused_s > 60 else ""
        print(f"stopped at step {step}: {elapsed / 3600:.2f} h trained in all{paused}", flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
