#!/usr/bin/env bash
# Registers the Jupyter kernel "TypeScript (workbook)" (kernelspec workbook-tslab) for this user, and puts
# plotly.js where the notebook servers serve it, both under `jupyter --data-dir`.
#
# The kernel is scripts/jupyter-kernel.sh, copied into the kernelspec: it runs the tslab of the checkout that
# holds the notebook (found from the notebook's folder), with that checkout as its working directory, so every
# notebook imports the lib as './lib/...' (tslab compiles with rootDir set to the kernel's working directory:
# '../lib' from notebooks/ does not compile, see yunabe/tslab#63). Two checkouts side by side each run their own.
#
# plotly.min.js goes to nbextensions/transformers-workbook/ (served by the classic Notebook 6) and to
# labextensions/transformers-workbook/static/ (served by JupyterLab 4 and Notebook 7): the figures of lib/viz load
# it from there, once per page, so saved notebooks do not carry it.
#
# Where Jupyter is missing it is installed from Debian/Ubuntu packages when possible (scripts/setup-system.sh: apt, as
# root or with sudo without a password prompt); otherwise the script stops and says what to install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quiet="${1:-}"
say() { [ "$quiet" = "--quiet" ] || echo "setup-jupyter: $*"; }

if [ ! -x "$root/node_modules/.bin/tslab" ]; then
  echo "setup-jupyter: $root/node_modules/.bin/tslab is missing: run 'npm ci' (or 'npm install') in $root first." >&2
  exit 1
fi

# Jupyter from Debian/Ubuntu packages where it is missing and apt may be used (scripts/setup-system.sh).
bash "$root/scripts/setup-system.sh" jupyter $([ "$quiet" = "--quiet" ] && echo --quiet) || true
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  cat >&2 <<'MSG'
setup-jupyter: Jupyter (with nbconvert) is not installed and could not be installed automatically.
  Debian/Ubuntu:  sudo apt-get install jupyter-notebook jupyter-nbconvert
  elsewhere:      python3 -m venv ~/.venvs/jupyter && ~/.venvs/jupyter/bin/pip install notebook nbconvert
                  (then put ~/.venvs/jupyter/bin on PATH)
Then run this script again: bash scripts/setup-jupyter.sh
MSG
  exit 1
fi

data="$(jupyter --data-dir)"
kernels="$data/kernels/workbook-tslab"
mkdir -p "$kernels"
cp "$root/scripts/jupyter-kernel.sh" "$kernels/jupyter-kernel.sh"
# Jupyter substitutes {resource_dir} (this folder) and {connection_file}.
cat > "$kernels/kernel.json" <<'JSON'
{
  "argv": ["/bin/sh", "{resource_dir}/jupyter-kernel.sh", "{connection_file}"],
  "display_name": "TypeScript (workbook)",
  "language": "typescript",
  "metadata": { "workbook_kernel": "runs the workbook checkout that holds the notebook" }
}
JSON
plotly="$root/node_modules/plotly.js-dist-min/plotly.min.js"
for folder in "$data/nbextensions/transformers-workbook" "$data/labextensions/transformers-workbook/static"; do
  mkdir -p "$folder"
  cp "$plotly" "$folder/plotly.min.js"
done
say "kernel 'workbook-tslab' registered in $kernels (it runs the checkout that holds the notebook); plotly.js installed in $data/nbextensions and $data/labextensions"
