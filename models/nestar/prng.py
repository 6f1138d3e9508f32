"""Counter-based PRNG shared bit for bit with src/prng.ts (algorithm "lowbias32-boxmuller-v1", docs/contract.md).

Every starting-noise value is a pure function of (seed, stream, index), so a sampler never carries RNG state and
the browser reproduces PyTorch's noise exactly, in any order and any batch split.
"""
import numpy as np

ALGORITHM = "lowbias32-boxmuller-v1"
STREAM_STRIDE = 1024  # stream of (module k, step j) = k * STREAM_STRIDE + j
_GOLDEN = np.uint32(0x9E3779B9)


def mix32(x: np.ndarray) -> np.ndarray:
    """lowbias32 (C. Wellons' hash-prospector): a bijective avalanche on uint32."""
    x = np.asarray(x, dtype=np.uint32).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
    return x


def bits(seed: int, stream: int, counter: np.ndarray) -> np.ndarray:
    key = mix32(mix32(np.uint32(seed) ^ _GOLDEN) ^ np.uint32(stream))
    with np.errstate(over="ignore"):
        return mix32(key + np.asarray(counter, dtype=np.uint32))


def uniform(seed: int, stream: int, counter: np.ndarray) -> np.ndarray:
    """float64 in the open interval (0, 1)."""
    return (bits(seed, stream, counter).astype(np.float64) + 0.5) / 2.0**32


def normal(seed: int, stream: int, count: int) -> np.ndarray:
    """`count` standard normals as float32: element i from the counters 2i and 2i+1 (Box-Muller, cosine branch)."""
    if not 0 <= seed < 2**32 or not 0 <= stream < 2**32:
        raise ValueError(f"seed and stream must be uint32, got seed={seed}, stream={stream}")
    i = np.arange(count, dtype=np.uint64)
    u1 = uniform(seed, stream, (2 * i).astype(np.uint32))
    u2 = uniform(seed, stream, (2 * i + 1).astype(np.uint32))
    return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).astype(np.float32)


def stream_of(module_index: int, step_index: int) -> int:
    if not 0 <= step_index < STREAM_STRIDE:
        raise ValueError(f"step {step_index} does not fit the stream stride {STREAM_STRIDE}")
    return module_index * STREAM_STRIDE + step_index
