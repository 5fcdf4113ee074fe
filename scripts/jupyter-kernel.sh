#!/bin/sh
# The Jupyter kernel "TypeScript (workbook)" (kernelspec workbook-tslab): runs the tslab of the workbook checkout
# that holds the notebook, with that checkout as its working directory.
#
# usage: jupyter-kernel.sh CONNECTION_FILE
#
# One kernel name serves every checkout on the machine, and still no notebook runs another checkout's lib/:
# Jupyter starts a kernel in the notebook's folder (the classic Notebook, JupyterLab, Notebook 7, and
# `jupyter nbconvert --execute` all do), so this script walks up from there to the first folder whose
# package.json is the workbook's, and runs THAT folder's node_modules/.bin/tslab. A notebook outside any checkout
# gets no kernel: the script says why and exits. (A kernel name per checkout would do the same, but the committed
# notebooks name one kernelspec, and a notebook copied between checkouts would keep running the old one's lib.)
# scripts/setup-jupyter.sh copies this file into the kernelspec's folder; editing it here changes nothing until
# setup-jupyter.sh runs again.
set -u
connection="${1:?usage: jupyter-kernel.sh CONNECTION_FILE}"
start="$(pwd)"
dir="$start"
while :; do
  if [ -f "$dir/package.json" ] && grep -q '"name"[[:space:]]*:[[:space:]]*"transformers-workbook"' "$dir/package.json"; then
    break
  fi
  if [ "$dir" = / ]; then
    echo "TypeScript (workbook) kernel: the notebook's folder $start is not inside a workbook checkout (no package.json named transformers-workbook above it). Open the notebooks of a checkout, e.g. its notebooks/ folder." >&2
    exit 1
  fi
  dir="$(dirname "$dir")"
done
tslab="$dir/node_modules/.bin/tslab"
if [ ! -x "$tslab" ]; then
  echo "TypeScript (workbook) kernel: the workbook checkout $dir has no $tslab: run 'npm ci' in $dir, then restart the kernel." >&2
  exit 1
fi
cd "$dir" || exit 1
exec "$tslab" kernel --config-path "$connection"
