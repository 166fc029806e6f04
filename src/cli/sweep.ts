/**
 * `kjobs sweep` and `kjobs cancel-sweep`: send a hyperparameter sweep, follow it one line per
 * finished trial, name its best trial; or cancel one.
 */
import type { Reconnecting, components } from '../client/index.ts';
import type { Client } from './client.ts';
import { followEvents, reconnectingText, type EventView, type JobEvent } from './follow.ts';
import type { Io } from './io.ts';
import { kerasNumber } from './keras-line.ts';
import { readSpec } from './submit.ts';

type SweepCreate = components['schemas']['SweepCreate'];
type Hyperparameters = Record<string, string | number | boolean>;

/** Sends the sweep; its id, and the objective's name (for the trial lines) as the spec has it. */
export async function submitSweep(client: Client, source: string): Promise<{ id: string; objective: string }> {
  const spec = await readSpec(source);
  // As with jobs, the service checks the body (search space, placeholders, the base job) and says where it is wrong.
  const accepted = await client.ok(client.api.POST('/v1/sweeps', { body: spec as SweepCreate }));
  return { id: accepted.id, objective: (spec as Partial<SweepCreate>).objective?.name ?? 'objective' };
}

/** A DELETE asks the sweep's controller to stop it: trials are cancelled, then the sweep ends cancelled. 404 and 409 (already ended) are thrown as ApiError. */
export async function cancelSweep(client: Client, sweepId: string): Promise<string> {
  const sweep = await client.ok(client.api.DELETE('/v1/sweeps/{id}', { params: { path: { id: sweepId } } }));
  return `${sweep.id}: cancel requested (its queued and running trials are cancelled, then the sweep ends)`;
}

/** `units=32 learning_rate=0.01`, in the service's order; a string that would not read back as one word is quoted. */
export function hyperparametersText(values: Hyperparameters | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'string' && (value === '' || /[\s="']/.test(value)) ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

const objectiveText = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : kerasNumber(value));
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/** `Trial 3 completed - val_loss: 2.2873 - epochs_run: 2 - units=32 learning_rate=0.01`, then the error or why it was stopped. */
export function trialLine(d: { trial_id: string; state: string; objective?: number | null; epochs_run?: number | null; hyperparameters?: Hyperparameters; error?: string; stopped_reason?: string }, objective: string): string {
  const epochs = d.epochs_run === null || d.epochs_run === undefined ? 'n/a' : String(d.epochs_run);
  const error = d.error ? ` - error: ${oneLine(d.error)}` : d.stopped_reason ? ` - ${oneLine(d.stopped_reason)}` : '';
  return `Trial ${d.trial_id} ${d.state} - ${objective}: ${objectiveText(d.objective)} - epochs_run: ${epochs} - ${hyperparametersText(d.hyperparameters)}${error}`;
}

/** `Best trial 3 - val_loss: 2.2873 - units=32 learning_rate=0.01 - model ID`. */
export function bestLine(best: { trial_id: string; objective: number; hyperparameters: Hyperparameters; model_id: string | null } | null | undefined, objective: string): string {
  if (!best) return `No best trial: no trial reported ${objective}`;
  return `Best trial ${best.trial_id} - ${objective}: ${kerasNumber(best.objective)} - ${hyperparametersText(best.hyperparameters)} - ${best.model_id ? `model ${best.model_id}` : 'no model'}`;
}

/** A sweep's stream as lines: one per ended trial, then how the sweep ended and its best trial. */
export class SweepView implements EventView {
  constructor(
    private readonly io: Io,
    private readonly objective: string,
  ) {}

  show(event: JobEvent): void {
    const d = event.data ?? {};
    switch (event.type) {
      case 'trial_ended':
        this.io.out.write(`${trialLine(d, this.objective)}\n`);
        return;
      case 'completed':
      case 'cancelled': {
        const trials = typeof d.trials === 'number' ? ` - ${d.trials} trial${d.trials === 1 ? '' : 's'}` : '';
        this.io.out.write(`Sweep ${event.type}${trials}\n${bestLine(d.best, this.objective)}\n`);
        return;
      }
      case 'failed':
        this.io.err.write(`Sweep failed: ${oneLine(d.error ?? 'no error message')}\n`);
        this.io.out.write(`${bestLine(d.best, this.objective)}\n`);
        return;
      // state, trial_started, trial_stopped and new_best: the trial lines and the final best line already say it.
    }
  }

  reconnecting(info: Reconnecting): void {
    this.io.err.write(`${reconnectingText(info)}\n`);
  }

  close(): void {}
}

/** Follows until the sweep ends: 0 completed, 1 failed, 2 cancelled (as for a job). */
export function followSweep(client: Client, sweepId: string, objective: string, io: Io): Promise<number> {
  return followEvents(new SweepView(io, objective), `sweep ${sweepId}`, (options) => client.followSweep(sweepId, options));
}
