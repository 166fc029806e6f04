import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LIMITS, type Limits } from './spec/limits.ts';
import type { QuotaLimits } from './tenants/quotas.ts';

/** Everything the service reads from the environment, parsed and checked once. */
export interface Config {
  host: string;
  port: number;
  redisUrl: string;
  /** Prefix of every Redis key and of the BullMQ queue, so deployments (and tests) never share keys. */
  redisPrefix: string;
  queueName: string;
  workers: number;
  dataDir: string;
  checkpointDir: string;
  /** Uploaded datasets; on the checkpoint volume, which API and workers share. */
  datasetDir: string;
  logLevel: string;
  /** Seconds between SSE heartbeat comments. */
  sseHeartbeatS: number;
  /** Seconds an event stream and job record are kept after the job ends. */
  jobTtlS: number;
  /** How often each API's sweep controller passes over the running sweeps (SWEEP_INTERVAL_MS). */
  sweepIntervalMs: number;
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Inline arrays (nested JSON, base64) of more numbers than this are staged to disk at submit, not queued in Redis. */
  inlineArrayMax: number;
  /** A predict job's view carries its predictions as JSON up to this many numbers (read from its .npy files). */
  predictionsInlineMax: number;
  /** Largest Keras file POST /v1/models/import accepts, in bytes (read into memory to check it). */
  importMaxBytes: number;
  importInspector: { maxConcurrent: number; timeoutS: number; heapMb: number };
  /** BullMQ lock: a worker that stops renewing it for this long is presumed dead. */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died. */
  stalledIntervalMs: number;
  /** How often each worker removes files of ended or expired jobs (jobs/janitor.ts). */
  janitorIntervalS: number;
  /** Crashes of a job's worker tolerated before the job fails (each resumes from its last checkpoint). */
  maxCrashes: number;
  /** A worker restarts its trainer process after this many jobs, or when it grows past this RSS. */
  recycleAfterJobs: number;
  recycleRssMb: number;
  limits: Limits;
  /** Per-tenant limits (tenants/quotas.ts). */
  quotas: QuotaLimits;
  /** SHA-256 (hex) of each API key → its tenant. Empty: the service runs open. */
  apiKeys: Map<string, string>;
  /** ALLOW_OPEN=1: listen beyond loopback without API keys, on purpose (see openExposure). */
  allowOpen: boolean;
  /** Requests per minute per API key (or per client address when open). */
  rateLimitPerMinute: number;
}

/** The one tenant of a service without API keys; reserved when keys are on. */
export const OPEN_TENANT = 'public';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * API_KEYS="tenantA:keyA,tenantB:keyB" (hashed here, never kept in clear) and/or API_KEYS_FILE,
 * one "tenant:sha256-of-key" per line, so keys are hashed at rest.
 */
function loadApiKeys(env: NodeJS.ProcessEnv): Map<string, string> {
  const keys = new Map<string, string>();
  const add = (tenant: string, hash: string, where: string) => {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(tenant)) throw new Error(`${where}: tenant "${tenant}" must be letters, digits, _ . -`);
    // What an open service stores belongs to "public": a key of that name would own it all.
    if (tenant === OPEN_TENANT) throw new Error(`${where}: the tenant name "${OPEN_TENANT}" is reserved (it owns what the service stored while it ran without keys)`);
    keys.set(hash, tenant);
  };
  for (const entry of (env.API_KEYS ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    if (at < 1 || at === entry.length - 1) throw new Error('API_KEYS must look like tenantA:keyA,tenantB:keyB');
    add(entry.slice(0, at), sha256(entry.slice(at + 1)), 'API_KEYS');
  }
  if (env.API_KEYS_FILE) {
    for (const line of fs.readFileSync(env.API_KEYS_FILE, 'utf8').split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([^:\s]+)[:\s]+([0-9a-f]{64})$/i.exec(line);
      if (!m) throw new Error(`API_KEYS_FILE: expected "tenant:sha256hex" lines, got "${line.slice(0, 40)}"`);
      add(m[1], m[2].toLowerCase(), 'API_KEYS_FILE');
    }
  }
  return keys;
}

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name} must be 1/true or 0/false, got "${value}"`);
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * Why the API must not start as configured, if it must not: no API keys while listening beyond
 * loopback (a container's HOST=0.0.0.0) hands every model and dataset to whoever reaches the port.
 * Checked when the API starts, not in loadConfig, so tools can still read such a config.
 */
export function openExposure(config: Pick<Config, 'host' | 'apiKeys' | 'allowOpen'>): string | undefined {
  if (config.apiKeys.size > 0 || config.allowOpen || isLoopback(config.host)) return undefined;
  return `HOST=${config.host} with no API_KEYS would let anyone who reaches the port submit jobs and read every model; set API_KEYS (or API_KEYS_FILE), bind HOST=127.0.0.1, or set ALLOW_OPEN=1 to run open on purpose`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  const checkpointDir = path.resolve(env.CHECKPOINT_DIR ?? path.join(dataDir, 'checkpoints'));
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int('PORT', env.PORT, 3000),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: env.REDIS_PREFIX ?? 'kj',
    queueName: env.QUEUE_NAME ?? 'jobs',
    workers: int('WORKERS', env.WORKERS, 1),
    dataDir,
    checkpointDir,
    datasetDir: path.join(checkpointDir, 'datasets'),
    logLevel: env.LOG_LEVEL ?? 'info',
    sseHeartbeatS: int('SSE_HEARTBEAT_S', env.SSE_HEARTBEAT_S, 15, 1),
    jobTtlS: int('JOB_TTL_S', env.JOB_TTL_S, 7 * 24 * 3600, 60),
    sweepIntervalMs: int('SWEEP_INTERVAL_MS', env.SWEEP_INTERVAL_MS, 500, 10),
    bodyLimit: int('BODY_LIMIT', env.BODY_LIMIT, 64 * 1024 * 1024, 1024),
    inlineArrayMax: int('INLINE_ARRAY_MAX', env.INLINE_ARRAY_MAX, 1024, 0),
    predictionsInlineMax: int('PREDICTIONS_INLINE_MAX', env.PREDICTIONS_INLINE_MAX, 100_000, 0),
    importMaxBytes: int('MODEL_IMPORT_MAX_BYTES', env.MODEL_IMPORT_MAX_BYTES, 512 * 1024 * 1024, 1024),
    importInspector: {
      maxConcurrent: int('IMPORT_MAX_CONCURRENT', env.IMPORT_MAX_CONCURRENT, 2, 1),
      timeoutS: int('IMPORT_TIMEOUT_S', env.IMPORT_TIMEOUT_S, 300, 1),
      heapMb: int('IMPORT_HEAP_MB', env.IMPORT_HEAP_MB, 2048, 64),
    },
    lockDurationMs: int('LOCK_DURATION_MS', env.LOCK_DURATION_MS, 30_000, 1000),
    stalledIntervalMs: int('STALLED_INTERVAL_MS', env.STALLED_INTERVAL_MS, 30_000, 500),
    janitorIntervalS: int('JANITOR_INTERVAL_S', env.JANITOR_INTERVAL_S, 600, 1),
    maxCrashes: int('MAX_CRASHES', env.MAX_CRASHES, 2, 0),
    recycleAfterJobs: int('RECYCLE_AFTER_JOBS', env.RECYCLE_AFTER_JOBS, 50, 1),
    recycleRssMb: int('RECYCLE_RSS_MB', env.RECYCLE_RSS_MB, 3072, 64),
    apiKeys: loadApiKeys(env),
    allowOpen: flag('ALLOW_OPEN', env.ALLOW_OPEN),
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', env.RATE_LIMIT_PER_MINUTE, 6000, 1),
    quotas: {
      maxActiveJobs: int('TENANT_MAX_ACTIVE_JOBS', env.TENANT_MAX_ACTIVE_JOBS, 100, 1),
      maxDiskBytes: int('TENANT_MAX_DISK_BYTES', env.TENANT_MAX_DISK_BYTES, 50 * 1024 ** 3, 1),
      maxDatasets: int('TENANT_MAX_DATASETS', env.TENANT_MAX_DATASETS, 1000, 1),
      maxStreams: int('TENANT_MAX_STREAMS', env.TENANT_MAX_STREAMS, 100, 1),
    },
    limits: {
      maxLayers: int('MAX_LAYERS', env.MAX_LAYERS, DEFAULT_LIMITS.maxLayers, 1),
      maxParams: int('MAX_PARAMS', env.MAX_PARAMS, DEFAULT_LIMITS.maxParams, 1),
      maxArrayElements: int('MAX_ARRAY_ELEMENTS', env.MAX_ARRAY_ELEMENTS, DEFAULT_LIMITS.maxArrayElements, 1),
      maxEpochSamples: int('MAX_EPOCH_SAMPLES', env.MAX_EPOCH_SAMPLES, DEFAULT_LIMITS.maxEpochSamples, 1),
      maxBatchSize: int('MAX_BATCH_SIZE', env.MAX_BATCH_SIZE, DEFAULT_LIMITS.maxBatchSize, 1),
      maxSampleActivations: int('MAX_SAMPLE_ACTIVATIONS', env.MAX_SAMPLE_ACTIVATIONS, DEFAULT_LIMITS.maxSampleActivations, 1),
    },
  };
}
