/** The command line as a typed command: which one, its arguments, and the service to talk to. */
import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.ts';

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const COMMANDS: Record<string, { args: string[]; options: Record<string, OptionSpec> }> = {
  submit: { args: ['SPEC'], options: { follow: { type: 'boolean' } } },
  follow: { args: ['JOB'], options: {} },
  ls: { args: [], options: { state: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } } },
  cancel: { args: ['JOB'], options: {} },
  download: { args: ['MODEL'], options: { checkpoint: { type: 'string' }, output: { type: 'string', short: 'o' } } },
  sweep: { args: ['SPEC'], options: { follow: { type: 'boolean' } } },
  'cancel-sweep': { args: ['SWEEP'], options: {} },
  help: { args: [], options: {} },
};

const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'];
const TYPES = ['fit', 'evaluate', 'predict'];

export type Command =
  | { name: 'help' }
  | { name: 'submit'; spec: string; follow: boolean }
  | { name: 'follow'; job: string }
  | { name: 'ls'; state?: string; type?: string; limit?: number; cursor?: string; json: boolean }
  | { name: 'cancel'; job: string }
  | { name: 'download'; model: string; checkpoint?: string; output?: string }
  | { name: 'sweep'; spec: string; follow: boolean }
  | { name: 'cancel-sweep'; sweep: string };

export interface Invocation {
  command: Command;
  baseUrl: string;
  apiKey?: string;
}

/** The command is the first word that is neither an option nor a global option's value. */
function findCommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return argv[i + 1];
    if ((arg === '--url' || arg === '--api-key') && !arg.includes('=')) {
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    return arg;
  }
  return undefined;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${url}`);
  return url;
}

function oneOf(option: string, value: string | undefined, allowed: string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value;
}

export function parseCommandLine(argv: string[], env: Record<string, string | undefined>): Invocation {
  const name = findCommand(argv) ?? 'help';
  const spec = COMMANDS[name];
  if (!spec) throw new UsageError(`unknown command "${name}"`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const str = (key: string) => values[key] as string | undefined;
  const args = parsed.positionals.slice(1);
  const baseUrl = checkUrl(str('url') ?? env.KJOBS_URL ?? 'http://127.0.0.1:3000');
  const apiKey = str('api-key') ?? (env.KJOBS_API_KEY || undefined);
  if (values.help) return { command: { name: 'help' }, baseUrl, apiKey };
  if (args.length < spec.args.length) throw new UsageError(`${name}: missing ${spec.args.slice(args.length).join(' ')}`);
  if (args.length > spec.args.length) throw new UsageError(`${name}: unexpected argument "${args[spec.args.length]}"`);

  const invocation = (command: Command): Invocation => ({ command, baseUrl, apiKey });
  switch (name) {
    case 'submit':
    case 'sweep':
      return invocation({ name, spec: args[0], follow: Boolean(values.follow) });
    case 'cancel-sweep':
      return invocation({ name, sweep: args[0] });
    case 'follow':
    case 'cancel':
      return invocation({ name, job: args[0] });
    case 'download':
      return invocation({ name, model: args[0], checkpoint: str('checkpoint'), output: str('output') });
    case 'ls': {
      const limitText = str('limit');
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw new UsageError(`--limit must be a whole number from 1 to 100, not "${limitText}"`);
      return invocation({ name, state: oneOf('state', str('state'), STATES), type: oneOf('type', str('type'), TYPES), limit, cursor: str('cursor'), json: Boolean(values.json) });
    }
    default:
      return invocation({ name: 'help' });
  }
}
