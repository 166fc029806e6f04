/**
 * `kjobs follow`: a job's events rendered as Keras's fit log, plus one line per notable event.
 * followEvents, the loop to a stream's end, is also what `kjobs sweep --follow` runs.
 */
import type { Client } from './client.ts';
import { TERMINAL_EVENTS, type FollowOptions, type JobEvent as StreamFrame, type Reconnecting } from '../client/index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { Io } from './io.ts';
import { epochLine, kerasNumber, logsText, type Logs } from './keras-line.ts';
import { progressLine, type BarState } from './progress-bar.ts';

/** An event as the view reads it: its data loosely typed, since it only prints what is there. */
export interface JobEvent {
  id?: string;
  type: string;
  data: any;
}

const EXIT_BY_STATE: Record<string, number> = { completed: EXIT.ok, failed: EXIT.failed, cancelled: EXIT.cancelled };

/**
 * Callbacks run before the service reports the epoch's end, so their events arrive ahead of
 * `epoch_end`; Keras prints their messages after the epoch's line. These are held back until then.
 */
const PRINTED_AFTER_EPOCH_LINE = new Set(['checkpoint', 'early_stopping', 'lr_reduced']);

/** After these the epoch in progress will not end normally: the job stopped, or starts again from a checkpoint. */
const ENDS_THE_EPOCH = new Set(['state', 'resumed', 'train_end', ...TERMINAL_EVENTS]);

const CLEAR_LINE = '\r\x1b[2K';

/**
 * When the service logged the event: stream ids start with Redis's clock in ms. Arrival time would
 * make the ETA nonsense for events replayed in one burst (following a job that is already running).
 */
function eventTime(event: JobEvent): number {
  const ms = event.id ? Number(event.id.split('-')[0]) : NaN;
  return Number.isFinite(ms) ? ms : Date.now();
}

export class FollowView implements EventView {
  private steps?: number;
  private running?: { epoch: number; epochs: number; startedAt: number };
  private bar?: BarState;
  private barShown = false;
  private held: string[] = [];

  constructor(private readonly io: Io) {}

  show(event: JobEvent): void {
    const d = event.data ?? {};
    switch (event.type) {
      case 'train_begin':
        this.steps = d.steps;
        return;
      case 'epoch_begin':
        this.running = { epoch: d.epoch, epochs: d.epochs, startedAt: eventTime(event) };
        this.drawBar({ epoch: d.epoch, epochs: d.epochs, step: 0, steps: this.steps, elapsedMs: 0 });
        return;
      case 'progress':
        this.drawBar({ epoch: d.epoch, epochs: d.epochs, step: d.step, steps: d.steps ?? this.steps, loss: d.loss, elapsedMs: this.running ? eventTime(event) - this.running.startedAt : 0 });
        return;
      case 'epoch_end':
        this.bar = undefined;
        this.running = undefined;
        this.line(epochLine(d.epoch, d.epochs, (d.logs ?? {}) as Logs));
        this.flushHeld();
        return;
    }
    if (ENDS_THE_EPOCH.has(event.type)) {
      this.bar = undefined;
      this.running = undefined;
    }
    const text = describe(event);
    if (text === undefined) return;
    if (PRINTED_AFTER_EPOCH_LINE.has(event.type) && this.running && d.epoch === this.running.epoch) {
      this.held.push(text);
      return;
    }
    this.flushHeld();
    if (event.type === 'failed') this.errorLine(text);
    else this.line(text);
  }

  reconnecting(info: Reconnecting): void {
    this.errorLine(reconnectingText(info));
  }

  /** Leaves the terminal on a fresh line (after an interrupt, say). */
  close(): void {
    this.flushHeld();
    this.clearBar();
  }

  private flushHeld(): void {
    for (const text of this.held.splice(0)) this.line(text);
  }

  private drawBar(state: BarState): void {
    this.bar = state;
    if (!this.io.tty) return;
    this.io.out.write(`\r${progressLine(state, this.io.columns())}\x1b[K`);
    this.barShown = true;
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.io.out.write(CLEAR_LINE);
    this.barShown = false;
  }

  /** Lines go above the bar: clear it, print, draw it again if the epoch is still running. */
  private line(text: string): void {
    this.clearBar();
    this.io.out.write(`${text}\n`);
    if (this.bar) this.drawBar(this.bar);
  }

  private errorLine(text: string): void {
    this.clearBar();
    this.io.err.write(`${text}\n`);
    if (this.bar) this.drawBar(this.bar);
  }
}

function shape(dims: unknown): string {
  const list = Array.isArray(dims) ? dims : [];
  return list.length === 1 ? `(${list[0]},)` : `(${list.join(', ')})`;
}

/** The one-line text of a notable event (Keras's own wording where Keras has one), or undefined to stay quiet. */
export function describe(event: JobEvent): string | undefined {
  const d = event.data ?? {};
  switch (event.type) {
    case 'state':
      // queued/running are what following implies; a state with a reason (handed back by a stopping worker) is news.
      return d.reason ? `Job ${d.state}: ${d.reason}` : undefined;
    case 'resumed': {
      const from = d.checkpoint ? `from checkpoint ${d.checkpoint}, ` : '';
      const why = d.reason ? ` (${d.reason})` : d.attempt ? ` (attempt ${d.attempt})` : '';
      return `Resumed ${from}continuing with epoch ${(d.epoch ?? 0) + 1}${why}`;
    }
    case 'checkpoint':
      if (d.kind === 'model_checkpoint') {
        const value = d.monitor && typeof d.value === 'number' ? ` (${d.monitor}: ${kerasNumber(d.value)})` : '';
        return `Epoch ${d.epoch + 1}: saving model to ${d.name}${value}`;
      }
      return `Epoch ${d.epoch + 1}: checkpoint ${d.name}${d.kind && d.kind !== 'epoch' ? ` (${d.kind})` : ''}`;
    case 'early_stopping': {
      const restore = d.restore_best_weights ? `\nRestoring model weights from the end of the best epoch: ${d.best_epoch + 1}.` : '';
      return `Epoch ${d.epoch + 1}: early stopping${restore}`;
    }
    case 'lr_reduced':
      return `Epoch ${d.epoch + 1}: ReduceLROnPlateau reducing learning rate to ${d.learning_rate}.`;
    case 'terminated_nan':
      return `Epoch ${d.epoch + 1}, batch ${d.batch}: Invalid loss, terminating training`;
    case 'evaluate':
      return `Evaluate${logsText((d.logs ?? {}) as Logs)}`;
    case 'predict': {
      const names: string[] = d.output_names ?? [];
      const shapes: unknown[] = d.shapes ?? [];
      return `Predict - ${names.map((name, i) => `${name}: ${shape(shapes[i])}`).join(' - ')}`;
    }
    case 'completed':
      return `Job completed${d.model_id ? ` - model ${d.model_id}` : ''}`;
    case 'failed':
      return `Job failed: ${d.error?.message ?? 'no error message'}`;
    case 'cancelled':
      return `Job cancelled${d.reason ? `: ${d.reason}` : ''}`;
    default:
      return undefined;
  }
}

/** What a followed event stream is shown on: a job's Keras log, a sweep's trial lines. */
export interface EventView {
  show(event: JobEvent): void;
  reconnecting(info: Reconnecting): void;
  /** Leaves the terminal on a fresh line: at the end, and on an interrupt. */
  close(): void;
}

export function reconnectingText(info: Reconnecting): string {
  return `kjobs: connection lost (${info.reason}); reconnecting in ${(info.delayMs / 1000).toFixed(2)} s, attempt ${info.attempt}/${info.attempts}`;
}

/**
 * Shows a stream's events until its terminal event; the exit code says how it ended (0 completed,
 * 1 failed, 2 cancelled). `open` starts the stream (it reconnects with Last-Event-ID itself);
 * `what` names it ("job ID") should it end without a terminal event.
 */
export async function followEvents(view: EventView, what: string, open: (options: FollowOptions) => AsyncIterable<StreamFrame>): Promise<number> {
  const interrupted = () => {
    view.close();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    for await (const frame of open({ onReconnecting: (info) => view.reconnecting(info) })) {
      const event: JobEvent = { id: frame.id || undefined, type: frame.event, data: frame.data };
      view.show(event);
      if (TERMINAL_EVENTS.has(event.type)) return EXIT_BY_STATE[event.type];
    }
    throw new CliError(`the event stream of ${what} ended without a final state`, EXIT.unreachable);
  } finally {
    process.removeListener('SIGINT', interrupted);
    view.close();
  }
}

/** Follows until the job ends; the exit code says how it ended (0 completed, 1 failed, 2 cancelled). */
export function followJob(client: Client, jobId: string, io: Io): Promise<number> {
  return followEvents(new FollowView(io), `job ${jobId}`, (options) => client.follow(jobId, options));
}
