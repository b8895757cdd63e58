#!/usr/bin/env bash
# The clinic profile on ISBI 2015 (2-core CPU), as a user runs it; prints and keeps every
# figure under benchmarks/results/:
#   1. bench-isbi with seeds 0, 1, 2 (trained on the 150 training images, template 125;
#      scored on test1): instant matches and the clinic detector, wall times, seconds per
#      image; seed 0's test1 points as clinic-instant_/clinic_<device>_<date>.csv;
#   2. the mean ± sd across the seeds (clinic_seeds_cpu_<date>.json);
#   3. bench-fewshot: k = 3, 5, 10 labelled images (k = 1 is step 1's seed 0), one shared
#      feature cache.
# Run it alone: another torch process on 2 cores takes training steps from its budget.
#   bash benchmarks/clinic_isbi.sh ../shared/data/isbi2015 [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?give the ISBI data folder}
WORK=${2:-$(mktemp -d)}
DATE=$(date +%F)
OUT=benchmarks/results
CC2D=${CC2D:-.venv/bin/cc2d}
PYTHON=${PYTHON:-.venv/bin/python}

for seed in 0 1 2; do
    save=()
    [ "$seed" = 0 ] && save=(--save-predictions "$OUT")
    "$CC2D" bench-isbi --data "$DATA" --profile clinic --device cpu --templates 125 \
        --seed "$seed" --work "$WORK/seed$seed" "${save[@]}" \
        --out "$OUT/clinic_isbi_seed${seed}_cpu_$DATE.json"
done
"$PYTHON" benchmarks/seed_spread.py --out "$OUT/clinic_seeds_cpu_$DATE.json" \
    "$OUT"/clinic_isbi_seed{0,1,2}_cpu_"$DATE".json
"$CC2D" bench-fewshot --data "$DATA" --profile clinic --device cpu --modes run \
    --k 3,5,10 --work "$WORK/fewshot" --out "$OUT/clinic_fewshot_cpu_$DATE.json"
