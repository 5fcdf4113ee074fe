/**
 * Training progress in one line: step, epoch, loss, the learning rate at this step (the schedule's, not its peak),
 * tokens/s and time left.
 *
 * `ProgressBar` is the command line's: on a terminal it redraws in place (at most 5 times a second); when stderr is
 * a file or a pipe it prints a plain line every `everySeconds` instead, so logs stay readable.
 * `progressDisplay` is the notebooks': one output line that each update replaces (Jupyter's update_display_data),
 * so a live notebook shows one moving line and a saved or executed notebook keeps only the last one.
 */
import { formatDuration } from '../util/format';
import { updatableDisplay } from '../viz/kernel';

/**
 * What a progress line shows of a training step: the fields of the trainer's StepInfo (lib/mingpt/trainer.ts) that
 * it reads, said here so that a notebook importing this file does not compile the whole trainer.
 */
export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  etaSeconds: number;
}

export function progressLine(label: string, i: StepInfo, width = 24): string {
  const frac = i.step / i.totalSteps;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `${label} [${bar}] ${i.step}/${i.totalSteps} epoch ${i.epoch} loss ${i.loss.toFixed(4)} lr now ${i.lr.toExponential(2)} ` +
    `${Math.round(i.tokensPerSec)} tok/s ETA ${formatDuration(i.etaSeconds)}`;
}

export class ProgressBar {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everySeconds = 10,
  ) {}

  update(info: StepInfo): void {
    const now = Date.now();
    const isLast = info.step === info.totalSteps;
    if (this.stream.isTTY) {
      if (now - this.last < 200 && !isLast) return;
      this.stream.write('\r' + progressLine(this.label, info).slice(0, (this.stream.columns ?? 120) - 1) + '\x1b[K');
      this.drawn = true;
    } else {
      if (now - this.last < this.everySeconds * 1000 && !isLast && info.step !== 1) return;
      this.stream.write(progressLine(this.label, info) + '\n');
    }
    this.last = now;
  }

  /** Prints a message on its own line (ending the bar's line first on a terminal). */
  log(message: string): void {
    if (this.drawn) {
      this.stream.write('\n');
      this.drawn = false;
    }
    this.stream.write(message + '\n');
  }
}

export interface ProgressDisplayOptions {
  /** Least time between two updates of the line (default 0.5 s); the first and the last step always show. */
  everySeconds?: number;
  /** Outside a kernel a new line is printed instead, at most this often (default 30 s). */
  printEverySeconds?: number;
  /** For tests: the clock, the display and the printer. */
  now?: () => number;
  display?: { show(data: Record<string, string>): void };
  print?: (line: string) => void;
}

/**
 * An `onStep` callback for notebooks: `trainer.train({ onStep: progressDisplay('pretrain rope') })`.
 * Inside a kernel it keeps ONE output line up to date; elsewhere (scripts, tests) it prints a line at the first
 * step, at most every `printEverySeconds`, and at the last step.
 */
export function progressDisplay(label: string, opts: ProgressDisplayOptions = {}): (info: StepInfo) => void {
  const now = opts.now ?? Date.now;
  const display = 'display' in opts ? opts.display : updatableDisplay();
  const print = opts.print ?? ((line: string) => console.log(line));
  const every = (display ? opts.everySeconds ?? 0.5 : opts.printEverySeconds ?? 30) * 1000;
  let last = -Infinity;
  return (info: StepInfo) => {
    const t = now();
    const edge = info.step === 1 || info.step === info.totalSteps;
    if (!edge && t - last < every) return;
    last = t;
    const line = progressLine(label, info);
    if (display) display.show({ 'text/plain': line });
    else print(line);
  };
}
