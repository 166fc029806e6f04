/** The BullMQ queue that carries accepted jobs from the API to the workers. */
import { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { connectRedis } from '../redis/connect.ts';
import type { ResumeFrom, RunnableJob } from '../spec/check-job.ts';
import type { CompileSpec, ModelSpec } from '../spec/schema.ts';

/**
 * A Keras file the API accepted (POST /v1/models/import): checked and translated there, turned
 * into a stored model by a worker, which needs TensorFlow.js to write the model files.
 */
export interface ImportJob {
  type: 'import';
  /** The translated architecture, and compile when the file carried a compile_config. */
  model: ModelSpec;
  compile?: CompileSpec;
  format: 'keras' | 'h5';
  /** The uploaded file, staged on the checkpoint volume; the worker removes it. */
  upload: string;
  filename: string;
  keras_version?: string;
  timeout_s?: number;
  /** The model's TTL (POST /v1/models/import?ttl_s=), set by the worker before it describes the model. */
  ttl_s?: number;
}

/** What a worker receives: the checked job, and for fit and import jobs the id its model will get. */
export interface QueuedJob {
  jobId: string;
  tenant: string;
  modelId?: string;
  job: RunnableJob | ImportJob;
  resume?: ResumeFrom;
}

/** BullMQ does not close a connection it was given, so closing the queue closes it here. */
export function createQueue(config: Config): Queue<QueuedJob> {
  const connection = connectRedis(config.redisUrl);
  const queue = new Queue<QueuedJob>(config.queueName, {
    connection,
    prefix: config.redisPrefix,
    // An ended job is removed from the queue at once: its record, spec and events (which expire
    // after JOB_TTL_S) are what clients read, so Redis keeps no job's data past its end.
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
  });
  const close = queue.close.bind(queue);
  queue.close = async () => {
    await close();
    connection.disconnect();
  };
  return queue;
}
