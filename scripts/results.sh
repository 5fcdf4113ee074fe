#!/usr/bin/env bash
# The runs behind the results table of notebook 8, typed as a user would type them. Each run writes its record
# into results/<corpus>/ (--results-dir; format in results/README.md), each evaluation its predictions beside it
# (predictions/<id>.txt); models, and the --outputs copies that tell this script a step is done, go to
# results/tmp/ (git-ignored). Notebook 8 reads the records; nothing in it is typed by hand.
#
#   scripts/results.sh synthetic     the four rows on the synthetic world, as notebook 7 runs them (minutes)
#   scripts/results.sh worlds        the same four rows on other worlds, WORLDS (1 2 3 4): world k drawn and trained
#                                    with seed k (about 4 minutes each)
#   scripts/results.sh real          the real corpus: London, then pretraining runs of growing length for
#                                    vanilla and RoPE, each finetuned and evaluated (needs MINGPT_DATA_DIR
#                                    or data/birthplaces/; about half an hour on a 2-core CPU)
#   scripts/results.sh course        the real corpus with the course's own model and schedule (scale full),
#                                    pretraining cut after COURSE_EPOCHS epochs, RoPE also with its learning-rate
#                                    decay fitted to that length; the course's finetuning; then a smaller model
#                                    (scale cpu) for COURSE_SMALL_EPOCHS epochs (about 80 minutes in all)
#   scripts/results.sh long          longer runs of the course's model: RoPE, then vanilla, pretrained LONG_EPOCHS
#                                    epochs (120) with the decay fitted to them, the course's finetuning (about an
#                                    hour each)
#   scripts/results.sh full          the course's own schedule to the end (650 epochs, RoPE), snapshots after
#                                    50, 100, 200, ... epochs; each finetuned and evaluated (5.5 h and more;
#                                    resumable: type it again after an interruption)
#   scripts/results.sh scratch       the no-pretraining row with the course's recipe: the full preset finetuned
#                                    from scratch for its 75 epochs, evaluated (about 20 minutes)
#   scripts/results.sh sweep         past the course: finetuning settings (SWEEP) compared on 500 training pairs
#                                    held out, for the pretrained model SWEEP_FROM; the best finetuned on all
#                                    the training pairs and evaluated on dev, once (about 40 minutes)
#   scripts/results.sh snapshots     finetunes, evaluates and recall-probes the snapshots of `full` written so far
#                                    (3-4 min each)
#   scripts/results.sh recall        the recall probe of every pretrained checkpoint in results/tmp (a minute each)
#   scripts/results.sh projection    times a few steps of the course's own schedule and projects its duration
#   scripts/results.sh all           synthetic, real and projection, in that order
#
# Settings (environment): SEED (0), SYN_WORLD (the synthetic world's options, JSON), SYN_SCALE (the synthetic runs'
# preset), SYN_PRETRAIN / SYN_FINETUNE (flags that change its pretraining / its finetuning from pretrained
# weights), REAL_SCALE (the real runs' preset), REAL_EPOCHS (the pretraining lengths, in epochs, one run each),
# REAL_FINETUNE / REAL_SCRATCH (flags of the finetuning from pretrained weights / from scratch), REAL_NOPRETRAIN
# (1: also the no-pretraining row), COURSE_EPOCHS / COURSE_SMALL_EPOCHS (the course's model's pretraining lengths,
# the smaller model's; `course` only), LONG_EPOCHS / LONG_VARIANTS (`long` only), FULL_VARIANTS (rope) /
# FULL_SNAPSHOTS (50,100,200,300,400,500; `full` only).
#
# Pretraining runs of different lengths are separate runs from scratch: with the same seed, a run of E epochs is
# exactly the first E epochs of a longer one (data order, corruption and dropout are functions of (seed, step),
# and the learning-rate schedule is a function of tokens seen, not of the number of epochs). A run interrupted
# (Ctrl-C, a crash) resumes when the same command is typed again.
set -euo pipefail
cd "$(dirname "$0")/.."

SEED=${SEED:-0}
SYN_SCALE=${SYN_SCALE:-smoke}
# The synthetic rows are notebook 7's run, made by the command: the default world (DEFAULT_WORLD_OPTIONS, the one
# notebooks 5 to 7 generate), the smoke preset unchanged, seed 0. The build checks that notebook 7 shows these
# numbers (scripts/site/claims.ts), so a change of the world or the preset means running this again.
SYN_WORLD=${SYN_WORLD:-'{}'}
WORLDS=${WORLDS:-1 2 3 4}
SYN_PRETRAIN=${SYN_PRETRAIN:-}
SYN_FINETUNE=${SYN_FINETUNE:-}
REAL_SCALE=${REAL_SCALE:-smoke}
# Pretraining lengths on the real corpus, in epochs (at smoke scale, about 13 s an epoch on a quiet 2-core CPU).
REAL_EPOCHS=${REAL_EPOCHS:-3 10 30}
# Finetuning from pretrained weights: the course's learning rate, 5 epochs of the 2,000 pairs (625 steps).
REAL_FINETUNE=${REAL_FINETUNE:---epochs 5 --learning-rate 6e-4}
# Finetuning from scratch (the no-pretraining row): the preset, capped at 8 epochs (1,000 steps), as notebook 5.
REAL_SCRATCH=${REAL_SCRATCH:---epochs 8}
REAL_NOPRETRAIN=${REAL_NOPRETRAIN:-1}
# The course's model on the real corpus: pretraining lengths in epochs (about 40 s an epoch with two threads).
COURSE_EPOCHS=${COURSE_EPOCHS:-30}
# A smaller model for the same budget: the cpu preset (4 layers x 128), this many epochs, decay fitted to them.
COURSE_SMALL_EPOCHS=${COURSE_SMALL_EPOCHS:-60}

mingpt() {
  echo "+ mingpt $*" >&2
  node bin/mingpt.js "$@"
}

# One pretrained row of the synthetic world: pretrain, finetune, evaluate. One training thread and one OpenBLAS
# thread for pretraining: notebook 7 pretrains both models at once, one thread each (lib/mingpt/train_together.ts),
# and these records are its numbers (two threads sum in another order).
synthetic_pretrained() {
  local v=$1 R=$2 C=$3
  local common=(--corpus auto --seed "$SEED" --results-dir "$R" --json --quiet)
  # shellcheck disable=SC2086 # SYN_PRETRAIN holds several flags
  OPENBLAS_NUM_THREADS=1 mingpt pretrain "${common[@]}" --scale "$SYN_SCALE" $SYN_PRETRAIN --threads 1 --variant "$v" \
    --writing-params "$C/$v.pretrain.params"
  # shellcheck disable=SC2086
  mingpt finetune "${common[@]}" --scale "$SYN_SCALE" $SYN_FINETUNE --variant "$v" --reading-params "$C/$v.pretrain.params" \
    --writing-params "$C/$v-pretrain.params"
  mingpt evaluate "${common[@]}" --variant "$v" --reading-params "$C/$v-pretrain.params" \
    --outputs "$C/outputs/$v-pretrain.dev.txt"
}

synthetic() {
  synthetic_world "${RESULTS:-results}/synthetic" "${RESULTS:-results}/tmp/synthetic"
}

# The four synthetic rows of one world: records into $1, models and the world's files into $2.
synthetic_world() {
  local R=$1 C=$2
  mkdir -p "$R" "$C/outputs"
  # The world is written to files, its options kept beside the records; mingpt reads it through MINGPT_DATA_DIR.
  echo "+ npx tsx scripts/write_world.ts $C/world '$SYN_WORLD'" >&2
  npx tsx scripts/write_world.ts "$C/world" "$SYN_WORLD"
  cp "$C/world/world.json" "$R/world.json"
  export MINGPT_DATA_DIR=$C/world
  local common=(--corpus auto --seed "$SEED" --results-dir "$R" --json --quiet)
  mingpt london "${common[@]}" --outputs "$C/outputs/london.dev.txt"
  mingpt finetune "${common[@]}" --scale "$SYN_SCALE" --variant vanilla --writing-params "$C/vanilla-nopretrain.params"
  mingpt evaluate "${common[@]}" --variant vanilla --reading-params "$C/vanilla-nopretrain.params" \
    --outputs "$C/outputs/vanilla-nopretrain.dev.txt"
  # The two pretrained rows side by side, one thread each (two cores: about the time of one).
  local pids=()
  for v in vanilla rope; do
    synthetic_pretrained "$v" "$R" "$C" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  unset MINGPT_DATA_DIR
}

real() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  mingpt london "${common[@]}" --outputs "$C/outputs/london.dev.txt"
  if [ "$REAL_NOPRETRAIN" = 1 ]; then
    # shellcheck disable=SC2086
    mingpt finetune "${common[@]}" --scale "$REAL_SCALE" $REAL_SCRATCH --variant vanilla --writing-params "$C/vanilla-nopretrain.params"
    mingpt evaluate "${common[@]}" --variant vanilla --reading-params "$C/vanilla-nopretrain.params" \
      --outputs "$C/outputs/vanilla-nopretrain.dev.txt"
  fi
  for e in $REAL_EPOCHS; do
    for v in vanilla rope; do
      mingpt pretrain "${common[@]}" --scale "$REAL_SCALE" --epochs "$e" --variant "$v" --writing-params "$C/$v.pretrain-e$e.params"
      # shellcheck disable=SC2086
      mingpt finetune "${common[@]}" --scale "$REAL_SCALE" $REAL_FINETUNE --variant "$v" --reading-params "$C/$v.pretrain-e$e.params" \
        --writing-params "$C/$v-pretrain-e$e.params"
      mingpt evaluate "${common[@]}" --variant "$v" --reading-params "$C/$v-pretrain-e$e.params" \
        --outputs "$C/outputs/$v-pretrain-e$e.dev.txt"
    done
  done
}

# Finetune the pretrained model $C/VARIANT.pretrain-NAME.params with the SCALE preset's recipe, evaluate it.
finetune_and_evaluate() {
  local scale=$1 v=$2 name=$3
  mingpt finetune "${common[@]}" --scale "$scale" --variant "$v" --reading-params "$C/$v.pretrain-$name.params" \
    --writing-params "$C/$v-pretrain-$name.params"
  mingpt evaluate "${common[@]}" --variant "$v" --reading-params "$C/$v-pretrain-$name.params" \
    --outputs "$C/outputs/$v-pretrain-$name.dev.txt"
}

# One run of `course`: pretrain (SCALE, VARIANT, extra pretraining flags), finetune with the preset's recipe
# from those weights, evaluate. NAME tells the files apart.
course_run() {
  local scale=$1 v=$2 name=$3
  shift 3
  mingpt pretrain "${common[@]}" --scale "$scale" "$@" --variant "$v" --writing-params "$C/$v.pretrain-$name.params"
  finetune_and_evaluate "$scale" "$v" "$name"
}

course() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  for e in $COURSE_EPOCHS; do
    # The first E epochs of the course's 650, on its schedule (final_tokens at 650 epochs: the rate is still
    # near its peak at the end), then the same length with the cosine fitted to it (--decay-epochs E).
    course_run full rope "full-e$e" --epochs "$e"
    course_run full rope "full-fit-e$e" --epochs "$e" --decay-epochs "$e"
    course_run full vanilla "full-e$e" --epochs "$e"
  done
  # A quarter of the width, so about three times the epochs in the same minutes; the cpu preset's finetuning.
  local e=$COURSE_SMALL_EPOCHS
  course_run cpu rope "cpu-fit-e$e" --epochs "$e" --decay-epochs "$e"
}

# Longer runs, as far as a session allows: the course's model with the cosine fitted to LONG_EPOCHS, for each of
# LONG_VARIANTS (RoPE first: the row the course's goal is about).
long() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  local e=${LONG_EPOCHS:-120}
  for v in ${LONG_VARIANTS:-rope vanilla}; do
    course_run full "$v" "full-fit-e$e" --epochs "$e" --decay-epochs "$e"
  done
}

# The course's own recipe from start to end (scale full: 650 epochs under one cosine, examples in order, decay
# by name as its trainer.py), for each of FULL_VARIANTS, with a snapshot of the model after each of
# FULL_SNAPSHOTS epochs; the final model finetuned with the course's recipe, evaluated and recall-probed first (the
# table's row), then every snapshot the same way. Files are tagged "course" ($C/rope.pretrain-course.params).
# About 5.5 hours of pretraining a variant on a 2-core CPU: interrupt it at will, the same command resumes it
# (`snapshots` evaluates the snapshots written so far).
full() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  for v in ${FULL_VARIANTS:-rope}; do
    mingpt pretrain "${common[@]}" --scale full --variant "$v" --snapshot-epochs "${FULL_SNAPSHOTS:-50,100,200,300,400,500}" \
      --writing-params "$C/$v.pretrain-course.params"
    finetune_and_evaluate full "$v" course
    echo "+ npx tsx scripts/recall_probe.ts --corpus real --results-dir $R --skip-probed $C/$v.pretrain-course.params" >&2
    npx tsx scripts/recall_probe.ts --corpus real --results-dir "$R" --skip-probed "$C/$v.pretrain-course.params"
    snapshots
  done
}

# The no-pretraining row as the course runs it: the full preset's model finetuned from random weights with its
# recipe (75 epochs of the 2,000 pairs, batch 256, lr 6e-4), evaluated. Files tagged "course", beside the
# smoke-preset run of `real` (vanilla-nopretrain.*).
scratch() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  mingpt finetune "${common[@]}" --scale full --variant vanilla --writing-params "$C/vanilla-nopretrain-course.params"
  mingpt evaluate "${common[@]}" --variant vanilla --reading-params "$C/vanilla-nopretrain-course.params" \
    --outputs "$C/outputs/vanilla-nopretrain-course.dev.txt"
}

# Which finetuning reaches the most of what a pretrained model stores, chosen without the dev set: each of the
# SWEEP settings (one line each; the course's first, so that it wins a tie) finetunes SWEEP_FROM on 1,500 of
# the training pairs and is scored on the 500 held out (scripts/hold_out.ts, seed SEED); the best setting
# (scripts/best_finetune.ts) is then finetuned on all 2,000 and evaluated on dev. The settings came in two rounds,
# both before any dev evaluation: the course's and five around it, then (the held-out scores falling with more
# finetuning: fewer epochs or a lower rate did better) four gentler ones.
SWEEP_FROM=${SWEEP_FROM:-rope.pretrain-course}
SWEEP=${SWEEP:-'--epochs 10 --learning-rate 6e-4
--epochs 5 --learning-rate 6e-4
--epochs 20 --learning-rate 6e-4
--epochs 10 --learning-rate 3e-4
--epochs 10 --learning-rate 1.2e-3
--epochs 20 --learning-rate 3e-4
--epochs 5 --learning-rate 3e-4
--epochs 10 --learning-rate 1.5e-4
--epochs 20 --learning-rate 1.5e-4
--epochs 3 --learning-rate 6e-4'}
sweep_name() { echo "$1" | sed -E 's/--([a-z-]+) /\1=/g; s/ /,/g'; }
sweep() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  local H=$C/holdout-seed$SEED S=$C/sweep
  mkdir -p "$R" "$C/outputs/sweep" "$S"
  echo "+ npx tsx scripts/hold_out.ts --corpus real --count 500 --seed $SEED $H" >&2
  npx tsx scripts/hold_out.ts --corpus real --count 500 --seed "$SEED" "$H"
  local v=${SWEEP_FROM%%.*} flags name
  while IFS= read -r flags; do
    [ -n "$flags" ] || continue
    name=$v-${SWEEP_FROM#*.pretrain-}.$(sweep_name "$flags") # rope-course.epochs=10,learning-rate=6e-4
    if [ -e "$C/outputs/sweep/$name.heldout.txt" ]; then continue; fi
    # shellcheck disable=SC2086
    mingpt finetune "${common[@]}" --scale full $flags --variant "$v" --finetune-corpus "$H/train.tsv" \
      --reading-params "$C/$SWEEP_FROM.params" --writing-params "$S/$name.params"
    mingpt evaluate "${common[@]}" --variant "$v" --reading-params "$S/$name.params" --eval-corpus "$H/heldout.tsv" \
      --outputs "$C/outputs/sweep/$name.heldout.txt"
  done <<< "$SWEEP"
  echo "+ npx tsx scripts/best_finetune.ts --results-dir $R --from $C/$SWEEP_FROM.params $H/heldout.tsv" >&2
  flags=$(npx tsx scripts/best_finetune.ts --results-dir "$R" --from "$C/$SWEEP_FROM.params" "$H/heldout.tsv")
  name=$v-${SWEEP_FROM#*.pretrain-}.$(sweep_name "$flags")
  # The dev set once: a repeated sweep that chose the same setting again evaluates nothing more.
  if [ -e "$C/outputs/sweep/$name.dev.txt" ]; then echo "already evaluated on dev: $C/outputs/sweep/$name.dev.txt" >&2; return; fi
  # shellcheck disable=SC2086
  mingpt finetune "${common[@]}" --scale full $flags --variant "$v" --reading-params "$C/$SWEEP_FROM.params" \
    --writing-params "$S/$name.all.params"
  mingpt evaluate "${common[@]}" --variant "$v" --reading-params "$S/$name.all.params" \
    --outputs "$C/outputs/sweep/$name.dev.txt"
}

# Finetunes and evaluates each snapshot of a `full` run ($C/VARIANT.pretrain-course.eN.params) that has no dev
# predictions in $C/outputs yet, and probes what it recalls before finetuning (scripts/recall_probe.ts) when its run
# has no probe in the records; safe to run while the pretraining goes on.
snapshots() {
  local R=${RESULTS:-results}/real C=${RESULTS:-results}/tmp/real
  local common=(--corpus real --seed "$SEED" --results-dir "$R" --json --quiet)
  mkdir -p "$R" "$C/outputs"
  local p name v tag
  for p in "$C"/*.pretrain-course.e*.params; do
    [ -e "$p" ] || continue
    name=$(basename "$p" .params) # rope.pretrain-full.e100
    v=${name%%.*} tag=${name#*.pretrain-}
    if [ ! -e "$C/outputs/$v-pretrain-$tag.dev.txt" ]; then finetune_and_evaluate full "$v" "$tag"; fi
    echo "+ npx tsx scripts/recall_probe.ts --corpus real --results-dir $R --skip-probed $p" >&2
    npx tsx scripts/recall_probe.ts --corpus real --results-dir "$R" --skip-probed "$p"
  done
}

# The recall probe (scripts/recall_probe.ts) of every pretrained checkpoint in tmp/: the synthetic world's, read
# through its files as its runs were, and the real corpus's.
recall() {
  local T=${RESULTS:-results}/tmp
  echo "+ MINGPT_DATA_DIR=$T/synthetic/world npx tsx scripts/recall_probe.ts --corpus auto --results-dir ${RESULTS:-results}/synthetic --skip-probed $T/synthetic/*.pretrain.params" >&2
  MINGPT_DATA_DIR="$T/synthetic/world" npx tsx scripts/recall_probe.ts --corpus auto --results-dir "${RESULTS:-results}/synthetic" --skip-probed "$T"/synthetic/*.pretrain.params
  echo "+ npx tsx scripts/recall_probe.ts --corpus real --results-dir ${RESULTS:-results}/real --skip-probed $T/real/*.pretrain*.params" >&2
  npx tsx scripts/recall_probe.ts --corpus real --results-dir "${RESULTS:-results}/real" --skip-probed "$T"/real/*.pretrain*.params
}

# The same four rows on other worlds: world k is DEFAULT_WORLD_OPTIONS drawn with seed k and trained with seed k,
# so that notebooks 7 and 8 can show how far one run's numbers move when both the questions and the training are
# drawn again. A world whose last row is done is skipped.
worlds() {
  local k
  for k in $WORLDS; do
    local R=${RESULTS:-results}/worlds/world$k C=${RESULTS:-results}/tmp/worlds/world$k
    if [ -f "$C/outputs/rope-pretrain.dev.txt" ] && [ -f "$C/outputs/vanilla-pretrain.dev.txt" ]; then
      echo "world $k: done ($C/outputs)" >&2
      continue
    fi
    (SEED=$k SYN_WORLD="{\"seed\": $k}" && synthetic_world "$R" "$C")
  done
}

projection() {
  echo "+ npx tsx scripts/project_full.ts --corpus real --scale full --steps 3 --results-dir results/real" >&2
  npx tsx scripts/project_full.ts --corpus real --scale full --steps 3 --results-dir results/real
}

case "${1:-all}" in
  synthetic) synthetic ;;
  worlds) worlds ;;
  real) real ;;
  course) course ;;
  long) long ;;
  full) full ;;
  scratch) scratch ;;
  sweep) sweep ;;
  snapshots) snapshots ;;
  recall) recall ;;
  projection) projection ;;
  all) synthetic; real; projection ;;
  *) echo "usage: scripts/results.sh [synthetic|worlds|real|course|long|full|scratch|sweep|snapshots|recall|projection|all]" >&2; exit 2 ;;
esac
