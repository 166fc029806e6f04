import type { Callback, Logs } from './callback.ts';

export interface CSVLoggerOptions {
  filename: string;
  separator?: string;
  append?: boolean;
}

/** keras.callbacks.CSVLogger: one row per epoch (epoch, then the log keys sorted). */
export class CSVLogger implements Callback {
  private lines: string[] = [];
  private keys?: string[];
  constructor(private readonly options: CSVLoggerOptions, private readonly write: (filename: string, content: string) => Promise<void>) {
    if (!options.filename) throw new Error('CSVLogger: filename is required');
  }
  getState() {
    return { lines: this.lines, keys: this.keys };
  }
  setState(s: unknown) {
    const st = s as { lines: string[]; keys?: string[] };
    this.lines = st.lines;
    this.keys = st.keys;
  }
  async onEpochEnd(epoch: number, logs: Logs) {
    const sep = this.options.separator ?? ',';
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      if (this.lines.length === 0) this.lines.push(['epoch', ...this.keys].join(sep));
    }
    this.lines.push([String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? 'NA' : String(logs[k])))].join(sep));
    await this.write(this.options.filename, this.lines.join('\r\n') + '\r\n');
  }
}
