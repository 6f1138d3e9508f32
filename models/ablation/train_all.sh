#!/usr/bin/env bash
# Trains the models of the quality comparison at one equal wall-clock budget.
#   models/ablation/train_all.sh [preset ...]     (default: all three, one after another)
#
# Budget: BUDGET_MIN minutes of 1-thread CPU training each. The shipped flagship's 2,572 steps of batch 32
# would be 25 min at the rate below; 20 min is used so that training and evaluation fit one session. Steps per
# model come from each model's measured training throughput on this machine (batch 32, 1 thread, nothing else
# running; 2026-11-29): emoji32-nestar 54.8 samples/s, emoji32-raster 58.0, emoji32-nestar-small-late 85.1.
# The step counts, not the clock, end each run, so every model gets the same budget however busy the machine is
# while it trains (two runs can share the two cores), and the same warm-up fraction and cosine schedule scale to
# each run's length.
# Resumable: rerunning continues each run from runs/ablation/<preset>/checkpoint.pt. Each finished run is exported
# (EXPORT_DIR below) with the shipped model's sampling defaults, so the evaluation compares like with like.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUDGET_MIN=${BUDGET_MIN:-20}
# The raster baseline goes to public/models: the page's benchmark (bench.html) compares it with the flagship.
declare -A EXPORT_DIR=([emoji32-nestar]=models/ablation/exports/emoji32-nestar
                       [emoji32-raster]=public/models/emoji32-raster
                       [emoji32-nestar-small-late]=models/ablation/exports/emoji32-nestar-small-late)
# Model ids: the equal-budget NestAR must not share the shipped model's id (the browser caches by id and sha).
declare -A MODEL_ID=([emoji32-nestar]=emoji32-nestar-equal-budget [emoji32-raster]=emoji32-raster
                     [emoji32-nestar-small-late]=emoji32-nestar-small-late)
declare -A TITLE=([emoji32-nestar]="Emoji NestAR 32px (equal-budget run)"
                  [emoji32-raster]="Emoji raster AR 32px (baseline)"
                  [emoji32-nestar-small-late]="Emoji NestAR 32px, small late modules (ablation)")
declare -A DESCRIPTION=([emoji32-nestar]="Class-conditional 32x32 emoji, generated coarse to fine."
                        [emoji32-raster]="Class-conditional 32x32 emoji, one token at a time (the baseline NestAR is compared with)."
                        [emoji32-nestar-small-late]="Class-conditional 32x32 emoji, coarse to fine, with small later modules.")
declare -A RATE_X10=([emoji32-nestar]=548 [emoji32-raster]=580 [emoji32-nestar-small-late]=851)
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(emoji32-nestar emoji32-raster emoji32-nestar-small-late)
for preset in "${presets[@]}"; do
  [ -n "${RATE_X10[$preset]:-}" ] || { echo "no measured rate for preset '$preset'" >&2; exit 2; }
  steps=$(( BUDGET_MIN * 60 * RATE_X10[$preset] / 320 ))
  echo "== $preset: $steps steps of batch 32 (${BUDGET_MIN} min at $(( RATE_X10[$preset] / 10 )) samples/s)"
  /usr/bin/python3 models/train.py --preset "$preset" --out "runs/ablation/$preset" --batch-size 32 \
    --max-steps "$steps" --warmup-steps $(( steps / 10 )) --sample-every 100000 --checkpoint-every 100 \
    --threads 1
  /usr/bin/python3 models/export.py "runs/ablation/$preset/checkpoint.pt" "${EXPORT_DIR[$preset]}" --id "${MODEL_ID[$preset]}" \
    --title "${TITLE[$preset]}" --description "${DESCRIPTION[$preset]}" --defaults '{"ode_steps": 16, "solver": "heun", "guidance": 4.0, "temperature": 0.8}'
done
