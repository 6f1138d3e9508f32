"""Bad input fails early with a message that says what is wrong."""
import os
import subprocess
import sys

import pytest
import torch

from nestar import checkpoint
from nestar.config import ModelConfig, PRESETS
from nestar.data import EmojiDataset
from nestar.model import NestAR
from nestar.sampler import SamplingSettings, sample

TRAIN = os.path.join(os.path.dirname(__file__), "..", "train.py")


def test_unknown_class():
    model = NestAR(PRESETS["tiny"]).eval()
    with pytest.raises(ValueError, match="unknown class 70"):
        sample(model, 70, 0, SamplingSettings())
    with pytest.raises(ValueError, match="unknown class -1"):
        sample(model, -1, 0, SamplingSettings())


def test_absurd_settings():
    model = NestAR(PRESETS["tiny"]).eval()
    with pytest.raises(ValueError, match="solver"):
        sample(model, 0, 0, SamplingSettings(solver="rk45"))
    with pytest.raises(ValueError, match="ode_steps"):
        sample(model, 0, 0, SamplingSettings(ode_steps=0))
    with pytest.raises(ValueError, match="seed"):
        sample(model, 0, -5, SamplingSettings())


def test_wrong_image_size():
    model = NestAR(PRESETS["tiny"])
    with pytest.raises(ValueError, match=r"expected tokens \[batch, 16, 48\] \(16px images"):
        model(torch.zeros(2, 64, 48), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="not a multiple of patch_size"):
        ModelConfig(image_size=30, patch_size=4)
    with pytest.raises(ValueError, match="needs 3 module widths"):
        ModelConfig(module_widths=(64, 64))


def test_missing_data_set_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_emoji_dataset.mjs --size 32"):
        EmojiDataset("train", 32, root=str(tmp_path))


def test_corrupt_checkpoint(tmp_path):
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"\x80\x02 this is not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        checkpoint.load(str(bad))
    torch.save({"weights": 1}, str(bad))
    with pytest.raises(ValueError, match="not a NestAR checkpoint"):
        checkpoint.load(str(bad))
    with pytest.raises(FileNotFoundError):
        checkpoint.load(str(tmp_path / "missing.pt"))


def test_config_mismatch_on_resume(tmp_path):
    other = NestAR(PRESETS["tiny"])
    checkpoint.save(str(tmp_path / "checkpoint.pt"), {"model_config": other.config.to_dict(), "ema": {}, "model": {}})
    out = subprocess.run([sys.executable, TRAIN, "--preset", "emoji32-raster", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "config mismatch on resume" in out.stderr and "module_widths" in out.stderr
