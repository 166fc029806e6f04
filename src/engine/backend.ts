/**
 * Picks the TensorFlow backend once per process: tfjs-node (libtensorflow) when its binding loads,
 * else pure-JS tfjs with a loud warning, because training would be one to two orders slower.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'cpu';

let chosen: Promise<BackendName> | undefined;

export function initBackend(log: (msg: string) => void = (m) => process.stderr.write(m + '\n')): Promise<BackendName> {
  chosen ??= (async () => {
    // libtensorflow reads these when it loads. Keep its start-up notices (oneDNN, CPU features) quiet.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    // Op by op, small models spend their time dispatching kernels, where a thread pool costs more
    // than it gives: on 2 cores one intra-op thread trains the seed MLP 1.5x and the 784 MLP 1.3x
    // faster (a conv net 0.8x). Set TF_NUM_INTRAOP_THREADS to choose otherwise.
    if (process.env.TF_NUM_INTRAOP_THREADS === undefined && availableParallelism() <= 2) process.env.TF_NUM_INTRAOP_THREADS = '1';
    try {
      // A variable specifier: the package is optional and may be absent at type-check time.
      const nativeBackend = '@tensorflow/tfjs-node';
      await import(nativeBackend);
      await tf.setBackend('tensorflow');
    } catch (err) {
      log(
        [
          '!'.repeat(78),
          '! @tensorflow/tfjs-node did not load: training falls back to pure-JS @tensorflow/tfjs (slow).',
          `! Reason: ${(err as Error).message.split('\n')[0]}`,
          '! Fix: npm run setup:tfjs-node',
          '!'.repeat(78),
        ].join('\n'),
      );
      await tf.setBackend('cpu');
    }
    await tf.ready();
    return tf.getBackend() as BackendName;
  })();
  return chosen;
}

export { tf };
