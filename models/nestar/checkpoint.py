"""Checkpoints that carry the config needed to rebuild their model, written atomically."""
import json
import os

import torch

from .config import ModelConfig
from .few_step_head import FewStepConfig, FewStepHead
from .model import NestAR
from .tokenizer import NestedTokenizer, TokenizerConfig


def save(path: str, state: dict):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # a crash mid-write never leaves a half checkpoint behind


def read(path: str):
    """Whatever was saved at `path` (FileNotFoundError, or ValueError for a truncated or foreign file)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises several types for truncated or foreign files
        raise ValueError(f"{path} is not a readable checkpoint ({type(e).__name__}: {e})") from None


def is_generator(state) -> bool:
    """Whether a saved object is a generator checkpoint (train.py's, or a slim copy)."""
    return isinstance(state, dict) and "model_config" in state and "ema" in state


def is_tokenizer(state) -> bool:
    """Whether a saved object is a tokenizer file (models/train_tokenizer.py's)."""
    return isinstance(state, dict) and "config" in state and "model" in state


def load(path: str) -> dict:
    state = read(path)
    if not is_generator(state):
        raise ValueError(f"{path} is not a NestAR checkpoint (missing model_config or ema weights)")
    return state


def load_model(path: str, weights: str = "ema") -> NestAR:
    """The model of a checkpoint, EMA weights by default, in eval mode."""
    state = load(path)
    model = NestAR(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict(state[weights])
    return model.eval()


def tokenizer_entry(path: str) -> dict:
    """What a latent generator's checkpoint stores of its tokenizer (from models/train_tokenizer.py's file):
    the config, the weights (latent normalisation included) and how it was trained (encoder_frozen_at: the step
    after which only the decoder trained, train_tokenizer.py --decoder-only; adversarial: train_tokenizer.py
    --adversarial's weight and first step)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no tokenizer at {path}: train one with models/train_tokenizer.py")
    state = torch.load(path, map_location="cpu")
    if not is_tokenizer(state):
        raise ValueError(f"{path} is not a tokenizer checkpoint")
    metrics_path = os.path.join(os.path.dirname(path), "metrics.json")
    metrics = None
    if os.path.exists(metrics_path):
        with open(metrics_path) as f:
            metrics = json.load(f)
    return {"config": state["config"], "model": state["model"], "step": state["step"],
            "elapsed_s": state["elapsed_s"], "params": state["params"], "hardware": state.get("hardware"),
            "metrics": metrics, "encoder_frozen_at": state.get("encoder_frozen_at"),
            "adversarial": adversarial_summary(state.get("adversary"))}


def adversarial_summary(adversary_state):
    """What a checkpoint keeps of a tokenizer's adversarial training (train_tokenizer.py --adversarial): its weight and
    the step it started at, without the discriminator (which only training needs); None when it had none."""
    if not adversary_state:
        return None
    return {"weight": adversary_state["weight"], "from_step": adversary_state["started_at"]}


def tokenizer_of(state: dict):
    """The tokenizer a latent generator checkpoint carries (or a tokenizer_entry, under "tokenizer"), in eval mode,
    or None for a pixel-patch model."""
    entry = state.get("tokenizer")
    if entry is None:
        return None
    tok = NestedTokenizer(TokenizerConfig.from_dict(entry["config"]))
    tok.load_state_dict(entry["model"])
    return tok.eval()


FEW_STEP_FORMAT = "nestar-few-step"


def teacher_fingerprint(state: dict) -> dict:
    """What a few-step file records of the generator it was distilled from, to refuse any other one."""
    return {"model_config": state["model_config"], "step": state["step"]}


def save_few_step(path: str, config: FewStepConfig, heads, generator_state: dict, step: int, elapsed_s: float,
                  metrics=None, optimizer=None, hardware: str = "CPU", **extra):
    """models/distill.py's file: the few-step heads, their config and training, and the teacher's fingerprint."""
    save(path, {"format": FEW_STEP_FORMAT, "config": config.to_dict(), "heads": [h.state_dict() for h in heads],
                "optimizer": optimizer.state_dict() if optimizer is not None else None, "step": step,
                "elapsed_s": elapsed_s, "teacher": teacher_fingerprint(generator_state), "metrics": metrics,
                "hardware": hardware, **extra})


def load_of_format(path: str, fmt: str, what: str, made_by: str) -> dict:
    """A saved dict whose "format" is `fmt` (FileNotFoundError, ValueError otherwise, naming `what` and its maker)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no {what} at {path}: make it with {made_by}")
    state = read(path)  # a truncated or foreign file: ValueError naming it
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ValueError(f"{path} is not a {what} file ({made_by})")
    return state


def load_few_step(path: str, generator_state: dict) -> dict:
    """models/distill.py's file, after checking that it was distilled from this generator (ValueError otherwise)."""
    state = load_of_format(path, FEW_STEP_FORMAT, "few-step heads", "models/distill.py")
    if state["teacher"] != teacher_fingerprint(generator_state):
        raise ValueError(f"{path} was distilled from another generator (step {state['teacher']['step']}), "
                         f"not this one (step {generator_state['step']})")
    return state


def attach_few_step(model: NestAR, generator_state: dict, path: str, evaluations=None) -> dict:
    """Loads models/distill.py's heads into model.few_step_heads (eval mode) after checking that they were distilled
    from this generator; returns the file's state. `evaluations`: K (or K per module) to run instead of the file's,
    e.g. the K a manifest names (another K is a re-export, not a retraining)."""
    state = load_few_step(path, generator_state)
    cfg = model.config
    heads = torch.nn.ModuleList(FewStepHead(cfg.token_dim, w, cfg.flow_width, cfg.flow_depth) for w in cfg.module_widths)
    for head, weights in zip(heads, state["heads"]):
        head.load_state_dict(weights)
    few_config = FewStepConfig.from_dict(
        state["config"] if evaluations is None else {**state["config"], "evaluations": evaluations})
    few_config.check_modules(len(heads))
    model.few_step_heads, model.few_step_config = heads.eval(), few_config
    return state
