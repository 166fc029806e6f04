/** The BullMQ queue that carries accepted jobs from the API to the workers. */
import { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { connectRedis } from '../redis/connect.ts';
import type { FitJobCreate } from '../spec/schema.ts';

export interface QueuedJob {
  jobId: string;
  modelId: string;
  spec: FitJobCreate;
}

export function createQueue(config: Config): Queue<QueuedJob> {
  return new Queue<QueuedJob>(config.queueName, {
    connection: connectRedis(config.redisUrl),
    prefix: config.redisPrefix,
    defaultJobOptions: { attempts: 1, removeOnComplete: { age: config.jobTtlS }, removeOnFail: { age: config.jobTtlS } },
  });
}
