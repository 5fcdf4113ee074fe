#!/usr/bin/env bash
# Registers this checkout's tslab as the Jupyter kernel "workbook-tslab" (TypeScript (workbook)).
#
# The kernel starts tslab from THIS checkout's node_modules (no global install) with the project root as its
# working directory, so that every notebook imports the lib as './lib/...' (tslab compiles with rootDir set to the
# kernel's working directory: '../lib' from notebooks/ does not compile, see yunabe/tslab#63).
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
  elsewhere:      pip install jupyterlab nbconvert   (or conda install -c conda-forge jupyterlab nbconvert)
Then run this script again: bash scripts/setup-jupyter.sh
MSG
  exit 1
fi

kernels="$(jupyter --data-dir)/kernels/workbook-tslab"
mkdir -p "$kernels"
# {connection_file} is substituted by Jupyter; sh receives it as $0.
python_quote() { printf '%s' "$1" | sed "s/'/'\\\\''/g"; }
cat > "$kernels/kernel.json" <<JSON
{
  "argv": ["/bin/sh", "-c", "cd '$(python_quote "$root")' && exec ./node_modules/.bin/tslab kernel --config-path \"\$0\"", "{connection_file}"],
  "display_name": "TypeScript (workbook)",
  "language": "typescript",
  "metadata": { "workbook_root": "$root" }
}
JSON
say "kernel 'workbook-tslab' registered in $kernels for $root"
