#!/usr/bin/env bash
# The instant profile on ISBI 2015, as a user runs it; prints and keeps every figure.
#   1. bench-isbi: one cold `run` over the 150 training + 150 test1 images (wall time incl.
#      feature extraction), test1 MRE/SDR, test1 points as instant_<device>_<date>.csv;
#   2. bench-fewshot: k = 1, 3, 5, 10 labelled images, one shared feature cache;
#   3. one more labelled image re-matching all 300 cached images, as a whole `cc2d run`
#      process (wall time incl. Python start-up).
# Run it alone: another torch process on 2 cores slows it several times.
#   bash benchmarks/instant_isbi.sh ../shared/data/isbi2015 [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?give the ISBI data folder}
WORK=${2:-$(mktemp -d)}
DATE=$(date +%F)
OUT=benchmarks/results
CC2D=${CC2D:-.venv/bin/cc2d}

"$CC2D" bench-isbi --data "$DATA" --profile instant --device cpu --templates 125 \
    --work "$WORK/isbi" --save-predictions "$OUT" --out "$OUT/instant_isbi_cpu_$DATE.json"
"$CC2D" bench-fewshot --data "$DATA" --profile instant --device cpu --modes run \
    --k 1,3,5,10 --work "$WORK/fewshot" --out "$OUT/instant_fewshot_cpu_$DATE.json"

# One more reviewed image (the first of bench-fewshot's order, 072) on the cached run.
python3 - "$DATA" "$WORK/one_more.csv" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(f"{sys.argv[1]}/landmarks.csv")) if r["image"] == "072.jpg"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image", "landmark", "name", "x", "y"])
    w.writerows([r["image"], r["landmark"], r["name"], r["x"], r["y"]] for r in rows)
EOF
RUN="$WORK/isbi/template-125"
START=$(date +%s.%N)
"$CC2D" run --images "$DATA/images" --template "$DATA/images/125.jpg" --labels "$DATA/landmarks.csv" \
    --labelled "$WORK/one_more.csv" --out "$RUN" --profile instant --device cpu > "$WORK/rematch.log"
END=$(date +%s.%N)
COMMAND="cc2d run --images $DATA/images --template $DATA/images/125.jpg --labels \
$DATA/landmarks.csv --labelled one_more.csv --out RUN --profile instant --device cpu"
python3 - "$RUN/run.json" "$START" "$END" "$OUT/instant_rematch_cpu_$DATE.json" \
    "$(git rev-parse HEAD)" "$COMMAND" <<'EOF'
import json, sys
record = json.load(open(sys.argv[1]))
result = {"what": "one more labelled image (072.jpg) re-matches the 300 cached ISBI images",
          "device": record["environment"]["device"], "commit": sys.argv[5],
          "command": sys.argv[6],
          "process_wall_s": float(sys.argv[3]) - float(sys.argv[2]),
          "stages": record["stages"], "n_images": record["n_images"],
          "environment": record["environment"], "instant_config": record["instant_config"]}
json.dump(result, open(sys.argv[4], "w"), indent=2)
print(json.dumps(result, indent=2))
EOF
