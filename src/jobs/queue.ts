/** The BullMQ queue that carries accepted jobs from the API to the workers. */
import { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { connectRedis } from '../redis/connect.ts';
import type { ResumeFrom } from '../spec/check-job.ts';
import type { JobCreate } from '../spec/schema.ts';

/** What a worker receives: the checked job, and for fit jobs the id its model will get. */
export interface QueuedJob {
  jobId: string;
  tenant: string;
  modelId?: string;
  job: JobCreate;
  resume?: ResumeFrom;
}

/** BullMQ does not close a connection it was given, so closing the queue closes it here. */
export function createQueue(config: Config): Queue<QueuedJob> {
  const connection = connectRedis(config.redisUrl);
  const queue = new Queue<QueuedJob>(config.queueName, {
    connection,
    prefix: config.redisPrefix,
    defaultJobOptions: { attempts: 1, removeOnComplete: { age: config.jobTtlS }, removeOnFail: { age: config.jobTtlS } },
  });
  const close = queue.close.bind(queue);
  queue.close = async () => {
    await close();
    connection.disconnect();
  };
  return queue;
}
