/**
 * Loading the page's data files. Each is a script that hands its contents to `window.askPage.deliver(key, base64)`:
 * a page opened from file:// may load scripts next to it but may not fetch() them, and a static host serves
 * scripts as it serves anything else. Each file is loaded once, when first needed.
 */
import type { AskData, AskGlobal } from './data';

declare global {
  interface Window {
    askPage: AskGlobal;
  }
}

/** The global the data scripts call; made by the bundle before any of them runs. */
export function askGlobal(): AskGlobal {
  if (!window.askPage) {
    const g: AskGlobal = {
      delivered: new Map(),
      setData(d: AskData) {
        g.data = d;
      },
      deliver(key: string, base64: string) {
        g.delivered.set(key, base64);
      },
    };
    window.askPage = g;
  }
  return window.askPage;
}

const loading = new Map<string, Promise<void>>();

function loadScript(src: string): Promise<void> {
  let p = loading.get(src);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error(`${src} did not load (is the page's folder complete?)`));
      document.head.appendChild(s);
    });
    loading.set(src, p);
  }
  return p;
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The bytes the script `src` delivers under its own name. */
export async function loadDelivered(src: string): Promise<Uint8Array> {
  await loadScript(src);
  const text = askGlobal().delivered.get(src);
  if (text === undefined) throw new Error(`${src} loaded but delivered nothing under its name`);
  askGlobal().delivered.delete(src);
  return fromBase64(text);
}
