import pytest

from nestar.config import ModelConfig
from nestar.model import NestAR
from nestar.schedule import generation_order, nestar_schedule, raster_schedule, scale_cells


@pytest.mark.parametrize("grid", [2, 4, 8, 16, 32])
def test_nested_order_is_a_bijection(grid):
    modules, _ = nestar_schedule(grid)
    order = generation_order(modules)
    assert sorted(order) == list(range(grid * grid))


@pytest.mark.parametrize("grid", [4, 8, 16])
def test_every_scale_prefix_is_a_uniform_subgrid(grid):
    modules, scales = nestar_schedule(grid)
    order = generation_order(modules)
    done = 0
    for scale in scales:
        done += 4 if scale.scale == 1 else 3 * 4 ** (scale.scale - 1)
        prefix = set(order[:done])
        stride = grid >> scale.scale
        expected = {r * grid + c for r in range(0, grid, stride) for c in range(0, grid, stride)}
        assert prefix == expected == set(scale_cells(grid, scale.scale))
        assert scale.grid * scale.stride == grid
        # the scale is complete exactly after the step it names: 4 steps for scale 1, then 3 per scale
        steps_until = sum(len(s) for s in modules[: scale.module]) + scale.step + 1
        assert steps_until == 4 + 3 * (scale.scale - 1)
        assert len(generation_order([m for m in modules[: scale.module + 1]])) == done


@pytest.mark.parametrize("grid", [4, 8, 16])
def test_patches_are_subgrids_and_parents_are_the_coarser_cell(grid):
    modules, _ = nestar_schedule(grid)
    for m, steps in enumerate(modules[1:], start=2):
        stride = grid >> m
        for step in steps:
            rows = sorted({c // grid for c in step.query_cells})
            cols = sorted({c % grid for c in step.query_cells})
            assert len(step.query_cells) == len(rows) * len(cols) == 4 ** (m - 1)
            assert all(b - a == 2 * stride for a, b in zip(rows, rows[1:]))
            for q, p in zip(step.query_cells, step.query_parent_cells):
                assert p == (q // grid) // (2 * stride) * (2 * stride) * grid + (q % grid) // (2 * stride) * (2 * stride)


@pytest.mark.parametrize("image_size,patch", [(16, 4), (32, 4), (32, 2)])
def test_step_counts(image_size, patch):
    grid = image_size // patch
    M = grid.bit_length() - 1
    small = dict(image_size=image_size, patch_size=patch, head_dim=16, flow_width=16, flow_depth=1)
    assert NestAR(ModelConfig(module_widths=(32,) * M, module_depths=(1,) * M, **small)).num_steps == 3 * M + 1
    raster = NestAR(ModelConfig(architecture="raster", module_widths=(32,), module_depths=(1,), **small))
    assert raster.num_steps == grid * grid
    modules, scales = raster_schedule(grid)
    assert generation_order(modules) == list(range(grid * grid)) and len(scales) == 1
