/** Every Redis key the service uses, under one prefix so deployments and tests never collide. */
export class Keys {
  constructor(readonly prefix: string) {}
  job(id: string) {
    return `${this.prefix}:job:${id}`;
  }
  /** Sorted set of a tenant's job ids by creation time, for listing. */
  jobIndex(tenant: string) {
    return `${this.prefix}:jobs:${tenant}`;
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
  workerHeartbeat() {
    return `${this.prefix}:workers`;
  }
}
