#!/usr/bin/env bash
# Ships a trained generator as a page model, one stage at a time (each can be rerun; run them in this order):
#
#   models/release.sh STAGE RUN ID "TITLE" [DISTILL_MINUTES]
#     RUN    train.py's --out folder (e.g. runs/emoji64-nestar-v3); training may still be going on
#     ID     the page's model id (public/models/ID), e.g. emoji64-nestar
#
#   snap     freezes RUN's checkpoint, log and sample grids in RUN-snap (all later stages read the snapshot)
#   score    quick_score (700 samples, PyTorch sampler, 16 Heun steps at the shipped manifest's guidance and
#            temperature: the page's settings, not quick_score's own) of the shipped checkpoint next to the snapshot:
#            ship only if the snapshot is better (runs/release-ID/score.json)
#   preview  the preview decoder of the snapshot's tokenizer (latent models): the kept one
#            (models/checkpoints/ID.preview_decoder.pt) when it was trained for this tokenizer, else 10 minutes of training
#   export   ONNX of the snapshot into runs/release-ID/stage, with the shipped model's description and defaults
#   distill  few-step heads for the staged folder (DISTILL_MINUTES, default 40; resumable), re-exported with them;
#            they start from the kept heads of the shipped version (models/checkpoints/ID.few_step.pt) when it has
#            the same architecture (distill.py --init), otherwise from the snapshot's flow heads; K per module as the
#            shipped manifest's few_step.evaluations (2 if it has none; EVALUATIONS=heun3,2,1 sets another)
#   install  the staged folder replaces public/models/ID, index.json takes the new title
#   card     the installed model's card (samples, filmstrip, reconstructions, loss curve)
#   keep     the snapshot's EMA weights (no optimizer state, no raw weights: a 256-wide v3 with both is ~54 MB) as
#            models/checkpoints/ID.pt (+ .log.jsonl, .few_step.pt without its optimizer, .preview_decoder.pt):
#            git keeps the shipped run, and train.py resumes from it
#   ship     all of the above in order, from a fresh runs/release-ID (a few-step or preview decoder file left there
#            for another model would be refused), stopping after score unless the snapshot's quick FID is lower;
#            about 90 minutes on 2 cores with DISTILL_MINUTES 40 (stop train.py first: both would share the cores)
#
# Then: npm run eval (rewrites the quality in README and manifest), models/eval/preview_error.py, node
# bench/versions.mjs, npm test.
set -euo pipefail
SELF=$(realpath "$0") # ship calls the stages again, after the cd; the usage text is read from it
cd "$(dirname "$SELF")/.."
[ $# -ge 4 ] || { sed -n '2,26p' "$SELF"; exit 2; }
STAGE=$1 RUN=${2%/} ID=$3 TITLE=$4 MINUTES=${5:-40}
# ID names folders that stages delete and replace: a plain model id only.
[[ $ID =~ ^[a-z0-9][a-z0-9._-]*$ ]] || { echo "ID must be a model id like emoji64-nestar, is '$ID'" >&2; exit 2; }
[[ -n $RUN && $RUN != /* && $RUN != -* ]] || { echo "RUN must be a relative folder like runs/emoji64-nestar-v3, is '$RUN'" >&2; exit 2; }
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
# (bash < 4.4 calls an empty array unbound under set -u: expand it through this guard)
with_preview() { "$@" ${preview_args[@]+"${preview_args[@]}"}; }

# What the shipped manifest says, so a new version keeps the page's description and sampling defaults.
manifest_field() {
  $PY -c "import json, sys; m = json.load(open(sys.argv[3])); v = eval(sys.argv[1], {}, {'m': m}); print(json.dumps(v) if sys.argv[2] == 'json' else v)" \
    "$1" "$2" "$SHIPPED/manifest.json"
}

case $STAGE in
  snap)
    [ -f "$RUN/checkpoint.pt" ] || { echo "no $RUN/checkpoint.pt" >&2; exit 1; }
    rm -rf -- "$SNAP" && mkdir -p -- "$SNAP"
    cp "$RUN"/checkpoint.pt "$RUN"/log.jsonl "$SNAP"/
    if [ -d "$RUN/samples" ]; then cp -r "$RUN/samples" "$SNAP"/; fi
    $PY -c "import sys, torch; s = torch.load(sys.argv[1], map_location='cpu'); print('snapshot: step', s['step'], 'trained %.2f h' % (s['elapsed_s'] / 3600))" \
      "$SNAP/checkpoint.pt"
    ;;
  score)
    # At the page's guidance: in session 13 a snapshot that won at quick_score's guidance 4 / temperature 0.8 (350
    # samples) lost at the page's settings (2,000 samples, 16 Heun steps: FID 2.78 vs 2.50).
    $PY models/eval/quick_score.py "models/checkpoints/$ID.pt" "$SNAP/checkpoint.pt" --samples 700 --out "$WORK/score.json" \
      --settings "$(manifest_field "dict(m['sampling']['defaults'], solver='heun', ode_steps=16)" json)"
    ;;
  preview)
    KEPT=models/checkpoints/$ID.preview_decoder.pt
    if [ -f "$KEPT" ] && $PY -c "
import sys; sys.path.insert(0, 'models')
from nestar import checkpoint, preview_decoder
preview_decoder.load(sys.argv[1], checkpoint.tokenizer_of(checkpoint.load(sys.argv[2])))" "$KEPT" "$SNAP/checkpoint.pt" 2>/dev/null; then
      echo "the kept $KEPT was trained for this tokenizer: reusing it"
      cp "$KEPT" "$PREVIEW"
    else
      $PY models/train_preview_decoder.py "$SNAP/checkpoint.pt" --out "$PREVIEW" --minutes 10
    fi
    ;;
  export)
    [ -f "$SHIPPED/manifest.json" ] || { echo "export keeps $SHIPPED's description and defaults: a new id needs models/export.py by hand" >&2; exit 1; }
    rm -rf -- "$STAGED"
    with_preview $PY models/export.py "$SNAP/checkpoint.pt" "$STAGED" --id "$ID" --title "$TITLE" \
      --description "$(manifest_field "m['description']" text)" \
      --defaults "$(manifest_field "dict(m['sampling']['defaults'], solver='heun')" json)"
    ;;
  distill)
    init_args=()
    if [ -f "models/checkpoints/$ID.few_step.pt" ]; then init_args=(--init "models/checkpoints/$ID.few_step.pt"); fi
    K=${EVALUATIONS:-$($PY -c "import json, sys; sys.path.insert(0, 'models'); from nestar.few_step_head import evaluations_argument; print(evaluations_argument((json.load(open(sys.argv[1])).get('few_step') or {}).get('evaluations', 2)))" "$SHIPPED/manifest.json")}
    with_preview $PY models/distill.py "$SNAP/checkpoint.pt" "$STAGED" --minutes "$MINUTES" --threads 1 \
      --out "$WORK/distill" --evaluations "$K" ${init_args[@]+"${init_args[@]}"}
    ;;
  install)
    [ -f "$STAGED/manifest.json" ] || { echo "nothing staged: run export (and distill) first" >&2; exit 1; }
    rm -rf -- "$SHIPPED" && cp -r -- "$STAGED" "$SHIPPED"
    $PY - "$ID" "$TITLE" <<'EOF'
import json, sys
path = "public/models/index.json"
index = json.load(open(path))
listed = [entry for entry in index["models"] if entry["id"] == sys.argv[1]]
if not listed:
    sys.exit(f"{sys.argv[1]} is not in {path}: add it by hand (where in the switcher it goes is a choice)")
for entry in listed:
    entry["title"] = sys.argv[2]
json.dump(index, open(path, "w"), indent=1)
open(path, "a").write("\n")
EOF
    ;;
  card)
    with_preview $PY models/model_card.py "$SNAP" "$SHIPPED" --few-step "$WORK/distill/few_step.pt"
    ;;
  keep)
    $PY models/slim_checkpoint.py --ema-only "$SNAP/checkpoint.pt" "models/checkpoints/$ID.pt"
    cp "$SNAP/log.jsonl" "models/checkpoints/$ID.log.jsonl"
    if [ -f "$PREVIEW" ]; then cp "$PREVIEW" "models/checkpoints/$ID.preview_decoder.pt"; fi
    if [ -f "$WORK/distill/few_step.pt" ]; then
      $PY models/slim_checkpoint.py "$WORK/distill/few_step.pt" "models/checkpoints/$ID.few_step.pt"
    fi
    echo "kept in models/checkpoints/: git add them and $SHIPPED (new files too) before committing"
    ;;
  ship)
    rm -rf -- "$WORK"
    for stage in snap score; do "$SELF" "$stage" "$RUN" "$ID" "$TITLE" "$MINUTES"; done
    $PY models/release_gate.py "$WORK/score.json" "models/checkpoints/$ID.pt" "$SNAP/checkpoint.pt"
    layout=$($PY -c "import sys, torch; print(torch.load(sys.argv[1], map_location='cpu')['model_config'].get('token_layout', 'pixel_patch'))" "$SNAP/checkpoint.pt")
    stages=(export distill install card keep)
    if [ "$layout" = latent ]; then stages=(preview "${stages[@]}"); fi
    for stage in "${stages[@]}"; do "$SELF" "$stage" "$RUN" "$ID" "$TITLE" "$MINUTES"; done
    ;;
  *)
    echo "unknown stage '$STAGE'" >&2; sed -n '2,26p' "$SELF"; exit 2
    ;;
esac
