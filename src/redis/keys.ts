/** Every Redis key the service uses, under one prefix so deployments and tests never collide. */
export class Keys {
  constructor(readonly prefix: string) {}
  job(id: string) {
    return `${this.prefix}:job:${id}`;
  }
  /**
   * Sorted set of a tenant's job ids by creation time, for listing. Not under `jobs:`, where
   * BullMQ keeps the queue named jobs (a tenant called "wait" would have hit its list).
   */
  jobIndex(tenant: string) {
    return `${this.prefix}:tenant:${tenant}:jobs`;
  }
  /** The job's spec as submitted, abbreviated (GET /v1/jobs/{id}/spec); expires with the record. */
  jobSpec(id: string) {
    return `${this.prefix}:job:${id}:spec`;
  }
  events(id: string) {
    return `${this.prefix}:job:${id}:events`;
  }
  eventsChannel(id: string) {
    return `${this.prefix}:job:${id}:notify`;
  }
  /** Pub/sub channel carrying ids of jobs to cancel, heard by every worker. */
  cancelChannel() {
    return `${this.prefix}:cancel`;
  }
  idempotency(tenant: string, key: string) {
    return `${this.prefix}:idem:${tenant}:${key}`;
  }
  /** Cluster-wide metric counters (see metrics/cluster-histogram.ts). */
  metric(name: string) {
    return `${this.prefix}:metrics:${name}`;
  }
  /** Ids of the jobs that took a resource ("model:<id>", "dataset:<id>"), and their end (see jobs/job-references.ts). */
  jobsUsing(resource: string) {
    return `${this.prefix}:uses:${resource}`;
  }
  /** The resources a job took, so its end can give them back. */
  usedBy(jobId: string) {
    return `${this.prefix}:job:${jobId}:uses`;
  }
  /** Set while a resource's delete is under way. */
  deleting(resource: string) {
    return `${this.prefix}:deleting:${resource}`;
  }
  /** A tenant's open event streams, each with its lease's end as score (tenants/quotas.ts). */
  tenantStreams(tenant: string) {
    return `${this.prefix}:tenant:${tenant}:streams`;
  }
  /** A sweep's record (JSON): its spec, trials and best. */
  sweep(id: string) {
    return `${this.prefix}:sweep:${id}`;
  }
  /** A tenant's sweep ids by creation time. */
  sweepIndex(tenant: string) {
    return `${this.prefix}:tenant:${tenant}:sweeps`;
  }
  /** Ids of the sweeps still running: what a controller advances. */
  activeSweeps() {
    return `${this.prefix}:sweeps:active`;
  }
  /** Set by DELETE /v1/sweeps/{id}: apart from the record, so a controller's save cannot undo it. */
  sweepCancel(id: string) {
    return `${this.prefix}:sweep:${id}:cancel`;
  }
  /** Held by the one controller advancing a sweep, with a lease (sweeps/controller.ts). */
  sweepLease(id: string) {
    return `${this.prefix}:sweep:${id}:lease`;
  }
  workerHeartbeat() {
    return `${this.prefix}:workers`;
  }
}
