/** `kjobs ls`: the job listing as a compact table. */
import type { paths } from '../client/index.ts';
import type { Client } from './client.ts';

type ListQuery = NonNullable<paths['/v1/jobs']['get']['parameters']['query']>;
import type { Io } from './io.ts';

export interface ListedJob {
  id: string;
  type: string;
  state: string;
  created_at: string;
  progress?: { epoch: number; epochs: number };
}

export interface JobList {
  jobs: ListedJob[];
  next_cursor: string | null;
}

export interface ListFilters {
  state?: string;
  type?: string;
  limit?: number;
  cursor?: string;
}

export async function listJobs(client: Client, filters: ListFilters): Promise<JobList> {
  // Values the service does not know (a misspelled state) are its to refuse, with a message.
  const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as ListQuery;
  return client.ok(client.api.GET('/v1/jobs', { params: { query } }));
}

/** Seconds are plenty in a listing; a UTC stamp sorts and compares across machines. */
function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export function jobsTable(jobs: ListedJob[]): string {
  const rows = [
    ['ID', 'TYPE', 'STATE', 'EPOCH', 'CREATED'],
    // evaluate and predict jobs have no epochs.
    ...jobs.map((j) => [j.id, j.type, j.state, j.progress?.epochs ? `${j.progress.epoch}/${j.progress.epochs}` : '-', shortTime(j.created_at)]),
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ')).join('\n') + '\n';
}

export function printJobList(list: JobList, io: Io, json: boolean): void {
  if (json) {
    io.out.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  io.out.write(jobsTable(list.jobs));
  if (list.next_cursor) io.err.write(`more jobs: kjobs ls --cursor ${list.next_cursor}\n`);
}
