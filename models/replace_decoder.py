#!/usr/bin/env python3
"""Puts a fine-tuned tokenizer decoder into a latent generator's checkpoint.

  /usr/bin/python3 models/replace_decoder.py runs/emoji64-nestar-v3/checkpoint.pt runs/tokenizer64-dec/tokenizer.pt

The generator models the tokenizer's latents, so only a tokenizer with the very same latents may replace the one its
checkpoint carries: same config, encoder weights and latent normalisation equal bit for bit (what
`models/train_tokenizer.py --decoder-only` keeps). Anything else is refused. The checkpoint is rewritten in place
(atomically) unless --out names another file; a run resumed from it, a release and an export then use the new decoder.
Stop a train.py that writes this checkpoint first (SIGTERM: it saves and exits): its next save would write the old
tokenizer back.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nestar import checkpoint  # noqa: E402

# The tokenizer weights that define its latent space; everything else belongs to the decoder.
LATENT_SPACE_PREFIXES = ("encoder.", "latent_mean", "latent_std")


def latent_space_differences(old: dict, new: dict) -> list:
    """Names of the tokenizer entries (config or latent-space weights) in which two tokenizers differ."""
    if old["config"] != new["config"]:
        return ["config"]
    keys = sorted(k for k in old["model"] if k.startswith(LATENT_SPACE_PREFIXES))
    if keys != sorted(k for k in new["model"] if k.startswith(LATENT_SPACE_PREFIXES)):
        return ["weight names"]
    return [k for k in keys if not torch.equal(old["model"][k], new["model"][k])]


def replace_decoder(generator_state: dict, tokenizer_path: str) -> dict:
    """The generator's state with the tokenizer of tokenizer_path (ValueError when its latents differ)."""
    old = generator_state.get("tokenizer")
    if old is None:
        raise ValueError("this checkpoint models pixel patches: it has no tokenizer whose decoder could be replaced")
    new = checkpoint.tokenizer_entry(tokenizer_path)
    differences = latent_space_differences(old, new)
    if differences:
        shown = ", ".join(differences[:4]) + (" ..." if len(differences) > 4 else "")
        raise ValueError(f"{tokenizer_path} has other latents than the generator's tokenizer (differs in {shown}): "
                         "only a decoder fine-tuned with train_tokenizer.py --decoder-only can replace it")
    new["decoder_replaced"] = {"from_step": old["step"], "to_step": new["step"]}
    return {**generator_state, "tokenizer": new}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("generator", help="a latent generator checkpoint (train.py's, or a slim copy)")
    p.add_argument("tokenizer", help="tokenizer.pt of a decoder fine-tuned with train_tokenizer.py --decoder-only")
    p.add_argument("--out", default=None, help="write here instead of rewriting the generator checkpoint")
    args = p.parse_args()
    try:
        state = replace_decoder(checkpoint.load(args.generator), args.tokenizer)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"replace_decoder: {e}")
    out = args.out or args.generator
    checkpoint.save(out, state)
    print(f"{out}: decoder of tokenizer step {state['tokenizer']['decoder_replaced']['from_step']} replaced by "
          f"step {state['tokenizer']['step']}", flush=True)


if __name__ == "__main__":
    main()
