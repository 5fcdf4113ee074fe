/**
 * Rich output from inside a tslab kernel: a display with several representations of one thing (a figure as
 * HTML and as plotly JSON), and a display that is replaced in place (a progress line).
 *
 * Outside a kernel (mocha, scripts, the CLI) there is nowhere to display: `inKernel()` is false and the
 * functions here return false so that callers can fall back to printing.
 */

/** A Jupyter mimebundle: one entry per representation, e.g. 'text/html', 'application/vnd.plotly.v1+json'. */
export type MimeBundle = Record<string, string | object>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type WriteDisplayData = (message: DisplayMessage, update: boolean) => void;

/**
 * tslab's writer of display messages for the cell that runs now, or undefined outside a kernel.
 * tslab's public `display.raw` sends one mime type per message; a figure needs two in one message (the front end
 * picks the one it can draw), so the writer is taken from where `display.raw` takes it.
 */
function writer(): WriteDisplayData | undefined {
  try {
    // Loaded lazily: only a kernel has a display to write to.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether this code runs inside a tslab kernel (and so can display). */
export function inKernel(): boolean {
  return writer() !== undefined;
}

/** Displays one output with all the given representations; false outside a kernel. */
export function displayBundle(data: MimeBundle): boolean {
  const write = writer();
  if (!write) return false;
  write({ data, metadata: {}, transient: {} }, false);
  return true;
}

let displayIds = 0;

/**
 * An output that each `show` replaces (Jupyter's update_display_data): a live notebook redraws it in place, and
 * an executed notebook (nbclient, nbconvert) keeps only the last state. Undefined outside a kernel.
 */
export function updatableDisplay(): { show(data: MimeBundle): void } | undefined {
  if (!writer()) return undefined;
  const id = `workbook-${process.pid}-${++displayIds}`;
  let shown = false;
  return {
    show(data: MimeBundle) {
      const write = writer();
      if (!write) return;
      write({ data, metadata: {}, transient: { display_id: id } }, shown);
      shown = true;
    },
  };
}
