/** kjobs: parse the command line, run one command, turn its outcome into an exit code. */
import { parseCommandLine, type Command } from './args.ts';
import { cancelJob } from './cancel.ts';
import { asCliError, createClient, type Client } from './client.ts';
import { downloadModel } from './download.ts';
import { CliError, EXIT, UsageError } from './exit-codes.ts';
import { followJob } from './follow.ts';
import { processIo, type Io } from './io.ts';
import { listJobs, printJobList } from './list.ts';
import { submitJob } from './submit.ts';
import { cancelSweep, followSweep, submitSweep } from './sweep.ts';
import { USAGE } from './usage.ts';

async function run(command: Command, client: Client, io: Io): Promise<number> {
  switch (command.name) {
    case 'help':
      io.out.write(USAGE);
      return EXIT.ok;
    case 'submit': {
      const id = await submitJob(client, command.spec);
      io.out.write(`${id}\n`);
      return command.follow ? followJob(client, id, io) : EXIT.ok;
    }
    case 'follow':
      return followJob(client, command.job, io);
    case 'ls': {
      const { json, name: _, ...filters } = command;
      printJobList(await listJobs(client, filters), io, json);
      return EXIT.ok;
    }
    case 'cancel':
      io.out.write(`${await cancelJob(client, command.job)}\n`);
      return EXIT.ok;
    case 'download':
      await downloadModel(client, command.model, { checkpoint: command.checkpoint, output: command.output }, io);
      return EXIT.ok;
    case 'sweep': {
      const { id, objective } = await submitSweep(client, command.spec);
      io.out.write(`${id}\n`);
      return command.follow ? followSweep(client, id, objective, io) : EXIT.ok;
    }
    case 'cancel-sweep':
      io.out.write(`${await cancelSweep(client, command.sweep)}\n`);
      return EXIT.ok;
  }
}

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io = processIo()): Promise<number> {
  try {
    const { command, baseUrl, apiKey } = parseCommandLine(argv, env);
    return await run(command, createClient({ baseUrl, apiKey }), io);
  } catch (thrown) {
    const err = asCliError(thrown) ?? thrown;
    if (err instanceof UsageError) {
      io.err.write(`kjobs: ${err.message}\n\n${USAGE}`);
      return err.exitCode;
    }
    if (err instanceof CliError) {
      io.err.write(`kjobs: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug, not a situation: show the stack so it can be reported.
    io.err.write(`kjobs: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
