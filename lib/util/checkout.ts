/** Which workbook checkout is running. */
import * as path from 'path';

/**
 * The checkout whose lib/ runs here: the folder above lib/. In a notebook it is the checkout that the kernel
 * found above the notebook's folder (scripts/jupyter-kernel.sh), so it names what an edit to lib/ changes.
 */
export function checkoutRoot(): string {
  return path.resolve(__dirname, '..', '..');
}
