"""Sample grids as PNG: what a person looks at to judge the model."""
import torch
from PIL import Image, ImageDraw

from .sampler import SamplingSettings, sample
from .tokens import denormalize, unpatchify


def images_of(model, class_index: int, seed: int, settings: SamplingSettings, batch: int):
    cfg = model.config
    tokens = sample(model, class_index, seed, settings, batch)
    return denormalize(unpatchify(tokens, cfg.patch_size, cfg.channels), cfg.norm_mean, cfg.norm_std)


def save_class_grid(model, path: str, classes: list, per_class: int = 1, seed: int = 0, columns: int = 10,
                    settings: SamplingSettings = None, scale: int = 2):
    """One row-major cell per class (per_class images each), labelled; the model is sampled in eval mode."""
    settings = settings or SamplingSettings()
    was_training = model.training
    model.eval()
    size = model.config.image_size * scale
    cell_w, cell_h = size * per_class + 4, size + 14
    rows = (len(classes) + columns - 1) // columns
    canvas = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(canvas)
    for k, cls in enumerate(classes):
        imgs = images_of(model, k, seed, settings, per_class).cpu().numpy()
        x0, y0 = (k % columns) * cell_w, (k // columns) * cell_h
        for b, img in enumerate(imgs):
            canvas.paste(Image.fromarray(img).resize((size, size), Image.NEAREST), (x0 + b * size + 2, y0))
        draw.text((x0 + 2, y0 + size), cls["name"][:16], fill=(60, 60, 60))
    canvas.save(path)
    model.train(was_training)
    return path
