#!/usr/bin/env bash
# The v2 recipe ablation: short equal-budget runs of emoji64-nestar that differ from the base recipe in one thing
# each, scored by models/eval/quick_score.py (PyTorch reference sampler, 350 samples, same feature net and real
# floor as npm run eval). PARALLEL runs train at a time (default 2), one thread each: 1 leaves a core to a long
# run (one process with one thread is the fastest way to train these networks here, faster than DDP over 2).
#   models/ablation/v2_recipe.sh <tokenizer.pt> [variant ...]     (default: all variants)
# Budget: STEPS steps of batch 32 (batch 64 variants get half the steps: the same samples, about the same time).
# Resumable: a rerun continues each run from runs/ablation-v2/<variant>/checkpoint.pt and rescores.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENIZER=${1:?usage: v2_recipe.sh <tokenizer.pt> [variant ...]}
shift
STEPS=${STEPS:-1000}
PARALLEL=${PARALLEL:-2}
declare -A OVERRIDE=(
  [base]='{}'
  [logit-normal]='{"time_sampling": "logit_normal"}'
  [no-prefix-noise]='{"prefix_noise_std": 0.0}'
  [flow-width-256]='{"flow_width": 256}'
  [pixel-tokens]='{"token_layout": "pixel_patch", "latent_channels": 0}'
  [batch-64-lr-2e-3]='{}'
)
declare -A BATCH=([batch-64-lr-2e-3]=64)
declare -A LR=([batch-64-lr-2e-3]=2e-3)
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(base logit-normal no-prefix-noise flow-width-256 pixel-tokens batch-64-lr-2e-3)
mkdir -p runs/ablation-v2

train_one() {
  local v=$1 batch=${BATCH[$1]:-32} lr=${LR[$1]:-1e-3}
  local steps=$(( STEPS * 32 / batch ))
  /usr/bin/python3 models/train.py --preset emoji64-nestar --override "${OVERRIDE[$v]}" --tokenizer "$TOKENIZER" \
    --out "runs/ablation-v2/$v" --batch-size "$batch" --lr "$lr" --max-steps "$steps" --warmup-steps $(( steps / 10 )) \
    --sample-every 100000 --checkpoint-every 100 --threads 1 > "runs/ablation-v2/$v.log" 2>&1
  echo "trained $v: $(tail -1 "runs/ablation-v2/$v.log")"
}
export -f train_one
for v in "${variants[@]}"; do
  [ -n "${OVERRIDE[$v]:-}" ] || { echo "unknown variant '$v'; known: ${!OVERRIDE[*]}" >&2; exit 2; }
done
pids=()
for v in "${variants[@]}"; do
  train_one "$v" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$PARALLEL" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
checkpoints=()
for v in "${variants[@]}"; do checkpoints+=("runs/ablation-v2/$v/checkpoint.pt"); done
/usr/bin/python3 models/eval/quick_score.py "${checkpoints[@]}" --samples 350 --threads "$PARALLEL" --out runs/ablation-v2/scores.json
