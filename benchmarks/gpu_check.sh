#!/usr/bin/env bash
# One GPU session's whole check (device tool): SSL step throughput, the full ISBI pipeline
# with template 125, and inference latency, all written under $OUT.
#
#   mkdir -p carry && cp -r ../shared/data/isbi2015 carry/     # 36 MB, git-ignored
#   device run: OUT=$OUT bash benchmarks/gpu_check.sh  with carry=["carry"], timeout ~540 s
#   (8 files come back: the limit of the device tool)
#
# Dry run on the CPU first: PROFILE=tiny OUT=/tmp/gpucheck bash benchmarks/gpu_check.sh
# Needs only torch, torchvision, numpy and OpenCV (no pydicom, no PySide6).
set -euo pipefail
OUT=${OUT:-benchmarks/results}
DATA=${DATA:-carry/isbi2015}
PROFILE=${PROFILE:-full}
WORK=${WORK:-/tmp/cc2d-runs}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
day=$(date +%F)
cc2d() { "${PYTHON:-python}" -m engine.cli.main "$@"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu_$day.txt" || true
cc2d bench-ssl --profile "$PROFILE" --steps 30 > "$OUT/bench_ssl_${PROFILE}_$day.json"
cc2d bench-isbi --data "$DATA" --profile "$PROFILE" --out "$OUT/isbi_${PROFILE}_$day.json" \
    --work "$WORK" --save-predictions "$OUT" 2> "$OUT/isbi_${PROFILE}_$day.log"
cc2d bench-infer --run "$WORK/template-125" --profile "$PROFILE" \
    > "$OUT/bench_infer_${PROFILE}_$day.json"
cat "$OUT/bench_ssl_${PROFILE}_$day.json" "$OUT/bench_infer_${PROFILE}_$day.json"
