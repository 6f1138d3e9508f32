"""The evaluation draws its samples through the page's sampler (src/scheduler.ts in Node): on the tiny fixture the
images it returns are the PyTorch reference generation, pixel for pixel (to one rounding step)."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "eval"))
import evaluate  # noqa: E402
from nestar.tokens import denormalize, unpatchify  # noqa: E402

FIXTURE = "fixtures/tiny-nestar"


def test_draw_samples_matches_the_pytorch_reference(tmp_path, monkeypatch):
    root = evaluate.ROOT
    with open(os.path.join(root, FIXTURE, "reference.json")) as f:
        ref = json.load(f)
    with open(os.path.join(root, FIXTURE, "manifest.json")) as f:
        manifest = json.load(f)
    monkeypatch.setattr(evaluate, "SAMPLE_CACHE", str(tmp_path))
    num_classes = len(manifest["classes"])
    c = ref["class_index"]
    counts = [0] * num_classes
    counts[c] = ref["batch"]
    if c + 1 < num_classes:
        counts[c + 1] = 1  # a second class in the same file: labels must follow the plan's order
    # Image i of class c gets seed seed_base + c * 100003 + i; pick seed_base so image 0 has the reference seed.
    seed_base = ref["seed"] - c * 100_003
    # Named as in the manifest's sampling.defaults, as evaluate.py names them.
    settings = {k: ref["settings"][k] for k in ("ode_steps", "solver", "guidance", "temperature")}
    images, labels, seconds = evaluate.draw_samples(FIXTURE, settings, counts, seed_base)

    def expected_images(final_tokens):
        tokens = torch.tensor(final_tokens, dtype=torch.float32).reshape(ref["batch"], -1, manifest["tokens"]["dim"])
        return denormalize(unpatchify(tokens, manifest["tokens"]["patch_size"]), 0.5, 0.5)

    def assert_reference(images, final_tokens):
        diff = (images[: ref["batch"]].int() - expected_images(final_tokens).int()).abs()
        assert diff.max().item() <= 1, f"max pixel difference {diff.max().item()}"
        assert (diff > 0).float().mean().item() < 0.01

    assert images.dtype == torch.uint8 and images.shape == (sum(counts), 16, 16, 3)
    assert labels.tolist() == [c] * ref["batch"] + ([c + 1] if c + 1 < num_classes else [])
    assert seconds > 0
    assert_reference(images, ref["final_tokens"])

    # A second call with the same plan is served from the cache, byte for byte.
    again, _, _ = evaluate.draw_samples(FIXTURE, settings, counts, seed_base)
    assert torch.equal(again, images)
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".u8")]) == 1

    # Guidance per module reaches the page's sampler under its manifest name.
    coarse = {**settings, "coarse_guidance": ref["coarse_guidance"]["coarse_guidance"]}
    assert_reference(evaluate.draw_samples(FIXTURE, coarse, counts, seed_base)[0], ref["coarse_guidance"]["final_tokens"])


def test_a_sampling_path_is_keyed_by_the_files_it_reads():
    manifest = {"modules": [{"backbone": "m1.backbone.onnx", "flow_head": "m1.flow.onnx", "few_step": "m1.fewstep.onnx"},
                            {"backbone": "m2.backbone.onnx", "flow_head": "m2.flow.onnx"}],
                "tokens": {"layout": "latent", "decoder": "decoder.onnx", "preview_decoder": "preview_decoder.onnx"}}
    assert evaluate.unread_files(manifest, "heun") == {"m1.fewstep.onnx", "preview_decoder.onnx"}
    assert evaluate.unread_files(manifest, "euler") == {"m1.fewstep.onnx", "preview_decoder.onnx"}
    assert evaluate.unread_files(manifest, "few_step") == {"m1.flow.onnx", "m2.flow.onnx", "preview_decoder.onnx"}
    assert evaluate.unread_files({**manifest, "tokens": {"layout": "pixel_patch"}}, "heun") == {"m1.fewstep.onnx"}
