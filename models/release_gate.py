"""Whether a training snapshot may replace the shipped model: its quick FID (models/eval/quick_score.py's JSON, which
release.sh's score stage writes) must be lower than the shipped checkpoint's, scored in the same run.

  /usr/bin/python3 models/release_gate.py runs/release-ID/score.json models/checkpoints/ID.pt RUN-snap/checkpoint.pt

Exits 0 when the snapshot is better, 1 when it is not, 2 when the file lacks either score.
"""
import argparse
import json
import sys


def quick_fid(scores: dict, checkpoint: str) -> float:
    """The FID scored for `checkpoint` (keys are "<path> <settings JSON>"); KeyError when it was not scored."""
    for key, metrics in scores.items():
        if key.startswith(checkpoint + " "):
            return metrics["fid"]
    raise KeyError(checkpoint)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scores")
    p.add_argument("shipped")
    p.add_argument("snapshot")
    args = p.parse_args(argv)
    with open(args.scores) as f:
        scores = json.load(f)
    try:
        shipped, snapshot = quick_fid(scores, args.shipped), quick_fid(scores, args.snapshot)
    except KeyError as e:
        print(f"{args.scores} has no score for {e.args[0]}: run release.sh's score stage first", file=sys.stderr)
        return 2
    print(f"quick FID: shipped {shipped:.2f}, snapshot {snapshot:.2f}")
    if not snapshot < shipped:  # (a NaN score does not ship either)
        print("the snapshot does not beat the shipped model: not shipping (the stages can still be run one by one)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
