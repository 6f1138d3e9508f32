"""Sample grids as PNG: what a person looks at to judge the model."""
import torch
from PIL import Image, ImageDraw

from .sampler import SamplingSettings, sample
from .layout import images_from_tokens


def images_of(model, class_index: int, seed: int, settings: SamplingSettings, batch: int, tokenizer=None):
    tokens = sample(model, class_index, seed, settings, batch)
    return images_from_tokens(model.config, tokens, tokenizer)


def save_class_grid(model, path: str, classes: list, per_class: int = 1, seed: int = 0, columns: int = 10,
                    settings: SamplingSettings = None, scale: int = 2, tokenizer=None):
    """One row-major cell per class (per_class images each), labelled; the model is sampled in eval mode."""
    settings = settings or SamplingSettings()
    was_training = model.training
    model.eval()
    size = model.config.image_size * scale if model.config.image_size < 64 else model.config.image_size
    cell_w, cell_h = size * per_class + 4, size + 14
    rows = (len(classes) + columns - 1) // columns
    canvas = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(canvas)
    for k, cls in enumerate(classes):
        imgs = images_of(model, k, seed, settings, per_class, tokenizer).cpu().numpy()
        x0, y0 = (k % columns) * cell_w, (k // columns) * cell_h
        for b, img in enumerate(imgs):
            canvas.paste(Image.fromarray(img).resize((size, size), Image.NEAREST), (x0 + b * size + 2, y0))
        draw.text((x0 + 2, y0 + size), cls["name"][:16], fill=(60, 60, 60))
    canvas.save(path)
    model.train(was_training)
    return path
