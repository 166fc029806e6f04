import type { Callback, TrainingContext } from './callback.ts';

/** keras.callbacks.TerminateOnNaN: stops as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN implements Callback {
  constructor(private readonly onTerminate?: (epoch: number, batch: number, loss: number) => void) {}
  private epoch = 0;
  onEpochBegin(epoch: number) {
    this.epoch = epoch;
  }
  onBatchEnd(batch: number, ctx: TrainingContext, batchLoss: () => number) {
    const loss = batchLoss();
    if (!Number.isFinite(loss)) {
      ctx.stopTraining = true;
      this.onTerminate?.(this.epoch, batch, loss);
    }
  }
}
