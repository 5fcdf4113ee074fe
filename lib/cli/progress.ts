/**
 * A one-line progress bar on stderr: step, epoch, loss, learning rate, tokens/s and time left. On a terminal
 * it redraws in place (at most 5 times a second); when stderr is a file or a pipe it prints a plain line
 * every `everySeconds` instead, so logs stay readable.
 */
import type { StepInfo } from '../mingpt/trainer';
import { formatDuration } from '../util/format';

export function progressLine(label: string, i: StepInfo, width = 24): string {
  const frac = i.step / i.totalSteps;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `${label} [${bar}] ${i.step}/${i.totalSteps} epoch ${i.epoch} loss ${i.loss.toFixed(4)} lr ${i.lr.toExponential(2)} ` +
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
