#!/usr/bin/env bash
# Executes every notebook in notebooks/ headlessly with the GoNB kernel, fails if any cell failed,
# and exports each as a self-contained HTML report.
#
#   bash notebooks/run.sh [OUTDIR]        # default OUTDIR: notebooks/reports
#   GOADTR_SMALL=1 bash notebooks/run.sh  # the small CI setting (few images, few epochs)
#
# Needs Jupyter (Debian jupyter-nbconvert, jupyter-client) and the GoNB kernel: .ci/install-gonb.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-notebooks/reports}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
export GOEXPERIMENT=${GOEXPERIMENT:-simd}
export HOME=${HOME:-/root}
export PATH="$(go env GOPATH)/bin:$PATH"
# Notebooks write their models and figures under here; each notebook reads what earlier ones wrote.
export GOADTR_NOTEBOOK_WORK=${GOADTR_NOTEBOOK_WORK:-$root/notebooks/.work}
mkdir -p "$GOADTR_NOTEBOOK_WORK"

executed=$(mktemp -d)
trap 'rm -rf "$executed"' EXIT
status=0
for nb in notebooks/[0-9]*.ipynb; do
  name=$(basename "$nb" .ipynb)
  echo "== notebook $name ($(date +%T))"
  start=$SECONDS
  # --allow-errors so that a failing cell still yields an executed notebook for nbcheck to report.
  jupyter nbconvert --to notebook --execute "$nb" --allow-errors \
    --ExecutePreprocessor.kernel_name=gonb --ExecutePreprocessor.timeout=3600 \
    --output-dir "$executed" --output "$name" 2>"$executed/$name.log" || {
      echo "nbconvert failed on $nb:"; tail -n 30 "$executed/$name.log"; status=1; continue; }
  if ! go run ./notebooks/internal/nbcheck "$executed/$name.ipynb"; then
    status=1
  fi
  jupyter nbconvert --to html "$executed/$name.ipynb" --output-dir "$out" --output "$name" 2>/dev/null
  echo "   $name: $((SECONDS - start)) s -> $out/$name.html"
done
exit $status
