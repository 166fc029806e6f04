/** `kjobs submit`: send a job spec, print the new job's id. */
import fs from 'node:fs/promises';
import type { JobCreate } from '../client/index.ts';
import type { Client } from './client.ts';
import { CliError } from './exit-codes.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The spec as JSON; checked here only for being JSON, the service checks the rest and says where. */
export async function readSpec(source: string): Promise<unknown> {
  const name = source === '-' ? 'stdin' : source;
  let text: string;
  try {
    text = source === '-' ? await readStdin() : await fs.readFile(source, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${name}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function submitJob(client: Client, source: string): Promise<string> {
  const spec = await readSpec(source);
  // The service checks the spec (and says where it is wrong); the CLI only read it as JSON.
  const accepted = await client.ok(client.api.POST('/v1/jobs', { body: spec as JobCreate }));
  return accepted.id;
}
