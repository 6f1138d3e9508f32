"""Checkpoints that carry the config needed to rebuild their model, written atomically."""
import os

import torch

from .config import ModelConfig
from .model import NestAR


def save(path: str, state: dict):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # a crash mid-write never leaves a half checkpoint behind


def load(path: str) -> dict:
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises several types for truncated or foreign files
        raise ValueError(f"{path} is not a readable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or "model_config" not in state or "ema" not in state:
        raise ValueError(f"{path} is not a NestAR checkpoint (missing model_config or ema weights)")
    return state


def load_model(path: str, weights: str = "ema") -> NestAR:
    """The model of a checkpoint, EMA weights by default, in eval mode."""
    state = load(path)
    model = NestAR(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict(state[weights])
    return model.eval()
