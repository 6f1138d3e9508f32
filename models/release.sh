#!/usr/bin/env bash
# Ships a trained generator as a page model, one stage at a time (each can be rerun; run them in this order):
#
#   models/release.sh STAGE RUN ID "TITLE" [DISTILL_MINUTES]
#     RUN    train.py's --out folder (e.g. runs/emoji64-nestar-v3); training may still be going on
#     ID     the page's model id (public/models/ID), e.g. emoji64-nestar
#
#   snap     freezes RUN's checkpoint, log and sample grids in RUN-snap (all later stages read the snapshot)
#   score    quick_score (350 samples, PyTorch sampler) of the shipped checkpoint next to the snapshot: ship only if
#            the snapshot is better (runs/release-ID/score.json)
#   preview  the preview decoder of the snapshot's tokenizer (10 minutes; latent models)
#   export   ONNX of the snapshot into runs/release-ID/stage, with the shipped model's description and defaults
#   distill  few-step heads for the staged folder (DISTILL_MINUTES, default 40; resumable), re-exported with them
#   install  the staged folder replaces public/models/ID, index.json takes the new title
#   card     the installed model's card (samples, filmstrip, reconstructions, loss curve)
#   keep     the snapshot without optimizer state as models/checkpoints/ID.pt (+ .log.jsonl, .few_step.pt,
#            .preview_decoder.pt): git keeps the shipped run, and train.py resumes from it
#
# Then: npm run eval (rewrites the quality in README and manifest), models/eval/preview_error.py, node
# bench/versions.mjs, npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n '2,20p' "$0"; exit 2; }
STAGE=$1 RUN=${2%/} ID=$3 TITLE=$4 MINUTES=${5:-40}
PY=/usr/bin/python3
SNAP=$RUN-snap
WORK=runs/release-$ID
STAGED=$WORK/stage
SHIPPED=public/models/$ID
PREVIEW=$WORK/preview_decoder.pt
mkdir -p "$WORK"
# Latent models get the preview decoder once the preview stage has made it.
preview_args=()
if [ -f "$PREVIEW" ]; then preview_args=(--preview-decoder "$PREVIEW"); fi

# What the shipped manifest says, so a new version keeps the page's description and sampling defaults.
manifest_field() { $PY -c "import json,sys; m=json.load(open('$SHIPPED/manifest.json')); print(json.dumps(eval(sys.argv[1], {}, {'m': m})) if sys.argv[2] == 'json' else eval(sys.argv[1], {}, {'m': m}))" "$1" "$2"; }

case $STAGE in
  snap)
    [ -f "$RUN/checkpoint.pt" ] || { echo "no $RUN/checkpoint.pt" >&2; exit 1; }
    rm -rf "$SNAP" && mkdir -p "$SNAP"
    cp "$RUN"/checkpoint.pt "$RUN"/log.jsonl "$SNAP"/
    if [ -d "$RUN/samples" ]; then cp -r "$RUN/samples" "$SNAP"/; fi
    $PY -c "import torch; s=torch.load('$SNAP/checkpoint.pt', map_location='cpu'); print('snapshot: step', s['step'], 'trained %.2f h' % (s['elapsed_s'] / 3600))"
    ;;
  score)
    $PY models/eval/quick_score.py "models/checkpoints/$ID.pt" "$SNAP/checkpoint.pt" --samples 350 --out "$WORK/score.json"
    ;;
  preview)
    $PY models/train_preview_decoder.py "$SNAP/checkpoint.pt" --out "$PREVIEW" --minutes 10
    ;;
  export)
    rm -rf "$STAGED"
    $PY models/export.py "$SNAP/checkpoint.pt" "$STAGED" --id "$ID" --title "$TITLE" \
      --description "$(manifest_field "m['description']" text)" \
      --defaults "$(manifest_field "dict(m['sampling']['defaults'], solver='heun')" json)" "${preview_args[@]}"
    ;;
  distill)
    $PY models/distill.py "$SNAP/checkpoint.pt" "$STAGED" --minutes "$MINUTES" --threads 1 --out "$WORK/distill" \
      "${preview_args[@]}"
    ;;
  install)
    [ -f "$STAGED/manifest.json" ] || { echo "nothing staged: run export (and distill) first" >&2; exit 1; }
    rm -rf "$SHIPPED" && cp -r "$STAGED" "$SHIPPED"
    $PY - "$ID" "$TITLE" <<'EOF'
import json, sys
path = "public/models/index.json"
index = json.load(open(path))
for entry in index["models"]:
    if entry["id"] == sys.argv[1]:
        entry["title"] = sys.argv[2]
json.dump(index, open(path, "w"), indent=1)
open(path, "a").write("\n")
EOF
    ;;
  card)
    $PY models/model_card.py "$SNAP" "$SHIPPED" --few-step "$WORK/distill/few_step.pt" "${preview_args[@]}"
    ;;
  keep)
    $PY models/slim_checkpoint.py "$SNAP/checkpoint.pt" "models/checkpoints/$ID.pt"
    cp "$SNAP/log.jsonl" "models/checkpoints/$ID.log.jsonl"
    cp "$WORK/distill/few_step.pt" "models/checkpoints/$ID.few_step.pt"
    if [ -f "$PREVIEW" ]; then cp "$PREVIEW" "models/checkpoints/$ID.preview_decoder.pt"; fi
    ;;
  *)
    echo "unknown stage '$STAGE'" >&2; sed -n '2,20p' "$0"; exit 2
    ;;
esac
