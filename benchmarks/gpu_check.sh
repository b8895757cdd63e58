#!/usr/bin/env bash
# One GPU session's whole check (device tool): SSL step throughput, the full ISBI pipeline
# with template 125, and inference latency. Writes everything under $OUT (default
# benchmarks/results). Data: copy ../shared/data/isbi2015 into carry/isbi2015 first
#   mkdir -p carry && cp -r ../shared/data/isbi2015 carry/
# and run with carry=["carry"]. Needs only torch, torchvision, numpy and OpenCV.
set -euo pipefail
OUT=${OUT:-benchmarks/results}
DATA=${DATA:-carry/isbi2015}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
date=$(date +%F)
python -m engine.cli.main bench-ssl --profile full --steps 30 | tee "$OUT/bench_ssl_gpu_$date.json"
python -m engine.cli.main bench-isbi --data "$DATA" --profile full \
    --out "$OUT/isbi_full_gpu_$date.json" --work /tmp/cc2d-runs --save-predictions "$OUT" \
    2> "$OUT/isbi_full_gpu_$date.log"
python -m engine.cli.main bench-infer --run /tmp/cc2d-runs/template-125 --profile full \
    | tee "$OUT/bench_infer_gpu_$date.json"
