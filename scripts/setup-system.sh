#!/usr/bin/env bash
# The system packages the workbook's commands use, installed from Debian/Ubuntu packages where they are missing and
# apt may be used here (as root, or through sudo without a password prompt); otherwise one clear message saying what
# to install and what is skipped until then. `npm test` runs it first (pretest), `npm run build` through
# scripts/setup-jupyter.sh, CI through both.
#
#   bash scripts/setup-system.sh [--quiet] [--require] GROUP...
#
#   jupyter  jupyter-notebook jupyter-nbconvert  executes the notebooks (npm run build; notebook and site tests)
#   browser  chromium                            the rendered pages in headless Chromium (site tests)
#   blas     libopenblas0-pthread                matrix products on OpenBLAS: about 4x the training speed
#   torch    python3-torch                       the PyTorch parity tests, `npm run bench -- --vs-pytorch`
#   test     all four: what `npm test` uses
#
# A package counts as present when what uses it finds it: `jupyter`, `jupyter-nbconvert` and `jupyter-notebook` are on
# PATH; Chromium is at $CHROMIUM_PATH (default /usr/bin/chromium); the OpenBLAS library is at $MINGPT_BLAS_LIB or known
# to ldconfig; $TORCH_PYTHON (default /usr/bin/python3) finds the torch package. Those variables are the ones the tests
# and the lib read. The probes load nothing (importing torch or nbconvert takes seconds), so that a run where all is
# present costs well under a second.
#
# Exit status 0, also when something stays missing (the tests that need it are skipped, saying so), unless --require
# is given or WORKBOOK_REQUIRE_SYSTEM=1 (CI): then 1 when something is still missing. WORKBOOK_NO_APT=1 never
# installs, only reports.
set -uo pipefail

quiet=0
require="${WORKBOOK_REQUIRE_SYSTEM:-0}"
groups=()
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --require) require=1 ;;
    jupyter | browser | blas | torch) groups+=("$arg") ;;
    test) groups+=(jupyter browser blas torch) ;;
    *) echo "setup-system: unknown argument \"$arg\" (groups: jupyter, browser, blas, torch, test; flags: --quiet, --require)" >&2; exit 2 ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || { echo "usage: bash scripts/setup-system.sh [--quiet] [--require] jupyter|browser|blas|torch|test ..." >&2; exit 2; }
say() { [ "$quiet" = 1 ] || echo "setup-system: $*"; }

packages_of() {
  case "$1" in
    jupyter) echo "jupyter-notebook jupyter-nbconvert" ;;
    browser) echo "chromium" ;;
    blas) echo "libopenblas0-pthread" ;;
    torch) echo "python3-torch" ;;
  esac
}

until_then() {
  case "$1" in
    jupyter) echo "Until then, notebook execution (npm run build) and the notebook, live notebook and site tests are skipped." ;;
    browser) echo "Until then, the site tests in headless Chromium are skipped." ;;
    blas) echo "Until then, matrix products run on XNNPACK: training at about a quarter of the speed." ;;
    torch) echo "Until then, the PyTorch parity tests and bench --vs-pytorch are skipped." ;;
  esac
}

present() {
  case "$1" in
    jupyter) command -v jupyter && command -v jupyter-nbconvert && command -v jupyter-notebook ;;
    browser) [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] ;;
    blas)
      if [ -n "${MINGPT_BLAS_LIB:-}" ] && [ "${MINGPT_BLAS_LIB#*/}" != "$MINGPT_BLAS_LIB" ]; then
        [ -e "$MINGPT_BLAS_LIB" ]
      else
        local name="${MINGPT_BLAS_LIB:-libopenblas.so.0}" cache
        # Read the whole cache first: under pipefail, `ldconfig -p | grep -q` fails at random when grep exits on
        # its first match and ldconfig dies writing to the closed pipe (SIGPIPE).
        cache="$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null)"
        grep -qF "$name" <<<"$cache"
      fi ;;
    torch) "${TORCH_PYTHON:-/usr/bin/python3}" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' ;;
  esac
}

missing=()
for g in "${groups[@]}"; do
  present "$g" >/dev/null 2>&1 || { [[ " ${missing[*]-} " == *" $g "* ]] || missing+=("$g"); }
done
if [ ${#missing[@]} -eq 0 ]; then
  say "present: ${groups[*]}"
  exit 0
fi

packages=()
for g in "${missing[@]}"; do
  for p in $(packages_of "$g"); do packages+=("$p"); done
done

# May apt be used here, and how?
why=""
sudo=""
if [ "${WORKBOOK_NO_APT:-0}" = 1 ]; then
  why="WORKBOOK_NO_APT=1"
elif ! command -v apt-get >/dev/null 2>&1; then
  why="no apt-get here (not Debian or Ubuntu)"
elif [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    sudo="sudo -n"
  else
    why="not root, and sudo is missing or asks for a password"
  fi
fi

if [ -z "$why" ]; then
  say "missing: ${missing[*]}; installing ${packages[*]} with apt"
  log="$(mktemp)"
  if $sudo apt-get update -qq >"$log" 2>&1 &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >>"$log" 2>&1; then
    rm -f "$log"
  else
    why="apt-get failed: $(tail -n 3 "$log" | tr '\n' ' ')"
    rm -f "$log"
  fi
fi

still=()
for g in "${missing[@]}"; do present "$g" >/dev/null 2>&1 || still+=("$g"); done
if [ ${#still[@]} -eq 0 ]; then
  say "installed ${packages[*]}; present: ${groups[*]}"
  exit 0
fi

need=()
for g in "${still[@]}"; do
  for p in $(packages_of "$g"); do need+=("$p"); done
done
{
  echo "setup-system: missing ${need[*]}${why:+ (not installed: $why)}."
  echo "  Install:  sudo apt-get install ${need[*]}"
  [[ " ${still[*]} " == *" browser "* ]] && echo "            (or set CHROMIUM_PATH to a Chromium or Chrome binary)"
  [[ " ${still[*]} " == *" jupyter "* ]] && echo "            (elsewhere: pip install jupyterlab nbconvert)"
  for g in "${still[@]}"; do echo "  $(until_then "$g")"; done
} >&2
if [ "$require" = 1 ]; then
  echo "setup-system: WORKBOOK_REQUIRE_SYSTEM/--require: stopping here." >&2
  exit 1
fi
exit 0
