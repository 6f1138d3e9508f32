"""The generation order: which cells each module step feeds as content and which it generates.

NestAR: scale s (1..M) is the 2^s x 2^s sub-grid at stride G / 2^s, so every prefix of the order is a uniform
sub-sampling of the image. Module 1 generates scale 1's four tokens one at a time; module m >= 2 takes scale m-1
as its prefix and generates scale m's three new patches (offsets (0,1), (1,0), (1,1) in units of the new stride),
one patch per step: 4 + 3(M - 1) = 3M + 1 sequential steps. Raster: one module, n steps of one token.
The schedule is written into the manifest verbatim; the browser runs it as data (docs/contract.md).
"""
from dataclasses import dataclass

NO_PARENT = -1
PATCH_OFFSETS = ((0, 1), (1, 0), (1, 1))


@dataclass(frozen=True)
class Step:
    content_cells: tuple  # cells appended to the key/value cache (class token = num_tokens)
    query_cells: tuple  # cells generated at this step
    query_parent_cells: tuple  # per query: the coarser cell whose value it sees, or NO_PARENT


@dataclass(frozen=True)
class Scale:
    scale: int
    grid: int
    stride: int
    module: int  # finished after this module's ...
    step: int  # ... step


def scale_cells(grid: int, scale: int) -> list:
    stride = grid >> scale
    side = 1 << scale
    return [(i * stride) * grid + j * stride for i in range(side) for j in range(side)]


def nestar_schedule(grid: int) -> tuple:
    num_scales = grid.bit_length() - 1
    class_cell = grid * grid
    half = grid // 2
    first = [0, half, half * grid, half * grid + half]  # scale 1 in the order (0,0), (0,1), (1,0), (1,1)
    modules = [[Step((class_cell,) if k == 0 else (first[k - 1],), (first[k],), (NO_PARENT,)) for k in range(4)]]
    scales = [Scale(1, 2, half, 0, 3)]
    for m in range(2, num_scales + 1):
        stride = grid >> m
        prefix = scale_cells(grid, m - 1)
        patches = [[c + dr * stride * grid + dc * stride for c in prefix] for dr, dc in PATCH_OFFSETS]
        content = [(class_cell, *prefix), tuple(patches[0]), tuple(patches[1])]
        modules.append([Step(content[k], tuple(patches[k]), tuple(prefix)) for k in range(3)])
        scales.append(Scale(m, 1 << m, stride, m - 1, 2))
    return modules, scales


def raster_schedule(grid: int) -> tuple:
    n = grid * grid
    steps = [Step((n,) if k == 0 else (k - 1,), (k,), (NO_PARENT,)) for k in range(n)]
    return [steps], [Scale(grid.bit_length() - 1, grid, 1, 0, n - 1)]


def schedule_for(config) -> tuple:
    """(modules: list of list of Step, scales: list of Scale) for a ModelConfig."""
    if config.architecture == "nestar":
        return nestar_schedule(config.grid)
    return raster_schedule(config.grid)


def generation_order(modules: list) -> list:
    """All cells in the order they are generated (a permutation of range(n))."""
    return [c for steps in modules for s in steps for c in s.query_cells]
