"""Export round trip: PyTorch vs onnxruntime (onnxruntime-web's wasm engine in Node, as the page runs it)."""
import json
import os
import shutil
import subprocess
from types import SimpleNamespace

import pytest
import torch

import export
from nestar import checkpoint
from nestar.config import ModelConfig
from nestar.model import NestAR

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-web")),
    reason="needs node and `npm ci` (onnxruntime-web)")


CLASSES = [{"name": n, "group": "g"} for n in ("red", "green", "blue")]


def tiny_checkpoint(path, architecture="nestar"):
    torch.manual_seed(1)
    widths = (32, 32) if architecture == "nestar" else (32,)
    cfg = ModelConfig(architecture=architecture, image_size=16, patch_size=4, module_widths=widths,
                      module_depths=(1,) * len(widths), head_dim=16, flow_width=16, flow_depth=1, num_classes=3)
    model = NestAR(cfg)
    for p in model.parameters():  # non-zero everywhere, so that every input matters
        p.data.add_(torch.randn_like(p) * 0.05)
    state = {"model_config": cfg.to_dict(), "model": model.state_dict(), "ema": model.state_dict(), "step": 0}
    checkpoint.save(path, state)


@needs_node
@pytest.mark.parametrize("architecture", ["nestar", "raster"])
def test_export_round_trip_parity_and_manifest(tmp_path, architecture):
    ckpt = str(tmp_path / "tiny.pt")
    tiny_checkpoint(ckpt, architecture)
    out = tmp_path / "model"
    args = SimpleNamespace(id="t", title="T", description="d", defaults=None, quality=None)
    model, manifest, error = export.export(ckpt, str(out), args, CLASSES)
    assert error <= export.PARITY_TOLERANCE
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["sequential_steps"] == model.num_steps == (7 if architecture == "nestar" else 16)
    assert len(on_disk["classes"]) == 3 and on_disk["null_class"] == 3
    for name, entry in on_disk["files"].items():
        assert entry == export.file_entry(str(out / name))
    assert {m["backbone"] for m in on_disk["modules"]} | {m["flow_head"] for m in on_disk["modules"]} == set(on_disk["files"])


@needs_node
def test_parity_check_catches_a_wrong_graph(tmp_path):
    ckpt = str(tmp_path / "tiny.pt")
    tiny_checkpoint(ckpt)
    out = tmp_path / "model"
    model, _, _ = export.export(ckpt, str(out), SimpleNamespace(id="t", title="T", description="d", defaults=None,
                                                                  quality=None), CLASSES)
    with torch.no_grad():  # the PyTorch side changes, the ONNX files do not: the check must see it
        model.heads[0].output.bias.add_(1e-2)
    error = export.check_with_onnxruntime(str(out), export.parity_cases(model, torch.Generator().manual_seed(0)))
    assert error > export.PARITY_TOLERANCE


@needs_node
def test_reexport_keeps_the_manifest_and_changes_only_what_is_asked(tmp_path):
    from nestar.few_step_head import FewStepConfig, FewStepHead
    from reexport import reexport

    ckpt = str(tmp_path / "tiny.pt")
    tiny_checkpoint(ckpt)
    state = checkpoint.load(ckpt)
    model = checkpoint.load_model(ckpt)
    few = str(tmp_path / "few_step.pt")
    checkpoint.save_few_step(few, FewStepConfig(), [FewStepHead.from_teacher(h) for h in model.heads], state, 3, 1.0)
    out = tmp_path / "model"
    export.export(ckpt, str(out), SimpleNamespace(id="t", title="T", description="d", quality={"note": "kept"},
                                                  defaults={"ode_steps": 8, "guidance": 2.0}, few_step=few), CLASSES)
    (out / "MODEL_CARD.md").write_text("card")
    before = json.loads((out / "manifest.json").read_text())
    assert before["few_step"]["evaluations"] == 2

    written = reexport(str(out), ckpt, few_step=few, evaluations=(2, 1), classes=CLASSES)
    after = json.loads((out / "manifest.json").read_text())
    assert written == after and after["few_step"]["evaluations"] == [2, 1]
    for key in ("id", "title", "description", "quality", "sampling", "modules"):
        assert after[key] == before[key], key
    assert (out / "MODEL_CARD.md").read_text() == "card" and not (tmp_path / "model.reexport").exists()
    for name, entry in after["files"].items():
        assert entry == export.file_entry(str(out / name))

    # A module may run the guided ODE in its one call instead (z takes the doubled batch); the parity check inside the
    # export runs that graph in onnxruntime against ode.GuidedOdeSampler.
    heun2 = {"solver": "heun", "steps": 2}
    written = reexport(str(out), ckpt, few_step=few, evaluations=(heun2, 1), classes=CLASSES)
    assert written["few_step"]["evaluations"] == [heun2, 1]

    # Other sampling defaults: merged over the manifest's; a key that is not a default is refused.
    written = reexport(str(out), ckpt, few_step=few, classes=CLASSES, defaults={"temperature": 0.85})
    assert written["sampling"]["defaults"] == {**before["sampling"]["defaults"], "temperature": 0.85}
    assert written["few_step"]["evaluations"] == [heun2, 1]  # kept from the manifest
    with pytest.raises(SystemExit, match="not sampling settings"):
        reexport(str(out), ckpt, few_step=few, classes=CLASSES, defaults={"temprature": 0.8})
    with pytest.raises(SystemExit, match="--defaults"):
        reexport(str(out), ckpt, few_step=few, classes=CLASSES, defaults={"solver": "rk4"})
    with pytest.raises(SystemExit, match="JSON object"):
        reexport(str(out), ckpt, few_step=few, classes=CLASSES, defaults=0.85)
    assert json.loads((out / "manifest.json").read_text())["sampling"]["defaults"]["temperature"] == 0.85  # untouched

    other = str(tmp_path / "other.pt")  # another model's checkpoint: refused, the folder untouched
    torch.save({**state, "model_config": {**state["model_config"], "flow_width": 32}}, other)
    with pytest.raises(SystemExit, match="not an export of"):
        reexport(str(out), other, few_step=few, classes=CLASSES)
    with pytest.raises(SystemExit, match="has a few-step sampler"):
        reexport(str(out), ckpt, classes=CLASSES)
    assert json.loads((out / "manifest.json").read_text()) == written
