/**
 * Static checks of the container setup; needs neither Docker nor the network.
 * - docker-compose.yml validates against the Compose Specification schema (test/fixtures/compose-spec.json).
 * - docker-compose.yml, the Dockerfile, package.json and src/config.ts agree with each other
 *   (volumes, REDIS_URL, ports, CHECKPOINT_DIR, health checks, commands).
 * Each check returns a list of problems; the last tests break copies of the files on purpose
 * to make sure every check actually fires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { loadConfig, openExposure } from '../src/config.ts';

const ROOT = new URL('../', import.meta.url);
const read = (rel: string) => readFileSync(new URL(rel, ROOT), 'utf8');
const exists = (rel: string) => existsSync(new URL(rel, ROOT));

const COMPOSE_TEXT = read('docker-compose.yml');
const DOCKERFILE_TEXT = read('Dockerfile');
const SCRIPTS: Record<string, string> = JSON.parse(read('package.json')).scripts;
const REDIS_SERVICE = 'redis';
const APP_SERVICES = ['api', 'worker'];

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const dict = (v: unknown): Dict => (isDict(v) ? v : {});

// ---------------------------------------------------------------- schema

let validateCompose: ValidateFunction | undefined;

function schemaErrors(compose: unknown): string[] {
  if (!validateCompose) {
    const spec = JSON.parse(read('test/fixtures/compose-spec.json'));
    // The spec uses keywords ajv's strict mode rejects (e.g. "deprecated" in draft-07), and
    // ajv-formats is not installed, so format keywords are not checked.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    // The spec declares "$schema": "https://json-schema.org/draft-07/schema"; ajv knows draft-07
    // only under its http:// id, so register the bundled meta-schema under the spec's spelling too.
    const draft07 = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json');
    if (spec.$schema !== draft07.$id) ajv.addMetaSchema({ ...draft07, $id: spec.$schema });
    validateCompose = ajv.compile(spec);
  }
  if (validateCompose(compose)) return [];
  return (validateCompose.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

interface DockerfileInfo {
  instructions: Instruction[];
  stages: number;
  /** Instructions of the last stage: the image that runs. */
  final: Instruction[];
  env: Record<string, string>;
  user: string | undefined;
  exposed: number[];
  cmd: string[];
  healthcheck: string[];
}

function parseDockerfile(text: string): DockerfileInfo {
  const instructions: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) continue; // comments are dropped even inside continuations
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: m[2].trim(), stage });
  }
  const final = instructions.filter((i) => i.stage === stage);
  const env: Record<string, string> = {};
  for (const i of final.filter((i) => i.keyword === 'ENV')) Object.assign(env, parseEnv(i.args));
  const users = final.filter((i) => i.keyword === 'USER');
  const cmds = final.filter((i) => i.keyword === 'CMD');
  const health = final.filter((i) => i.keyword === 'HEALTHCHECK');
  const hc = health.length ? /^(?:--\S+\s+)*CMD\s+(.*)$/s.exec(health[health.length - 1].args) : null;
  return {
    instructions,
    stages: stage + 1,
    final,
    env,
    user: users.length ? users[users.length - 1].args : undefined,
    exposed: final.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number.parseInt(p, 10)),
    cmd: cmds.length ? argv(cmds[cmds.length - 1].args) : [],
    healthcheck: hc ? argv(hc[1]) : [],
  };
}

/** `ENV A=1 B="two words"`, or the legacy `ENV KEY value`. */
function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[\w.-]+=/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    out[key] = rest.join(' ');
    return out;
  }
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const v = m[2];
    out[m[1]] = v.startsWith('"') ? JSON.parse(v) : v.startsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}

/** Exec form (JSON array) or shell form (split on blanks, good enough for these files). */
function argv(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const s = value.trim();
  if (s.startsWith('[')) return JSON.parse(s);
  return s.split(/\s+/).filter(Boolean);
}

/** Repo-relative source files named in a command line (e.g. src/server.ts). */
const referencedFiles = (args: string[]) => args.filter((a) => /^[\w.-]+(\/[\w.-]+)+\.(ts|mts|js|mjs|cjs|json)$/.test(a));

const isRoot = (user: string) => /^(root|0)(:.*)?$/.test(user.trim());

function healthRouteExists(): boolean {
  const dir = new URL('src/routes/', ROOT);
  return readdirSync(dir).some((f) => /\.ts$/.test(f) && /\.get\(\s*['"`]\/health['"`]/.test(readFileSync(new URL(f, dir), 'utf8')));
}

const DOCKERIGNORE = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
/** Whether .dockerignore names this path or one of its top folders (the patterns used here: plain names). */
const dockerIgnored = (src: string, ignore = DOCKERIGNORE) => {
  const parts = src.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
  return parts.some((_, i) => ignore.includes(parts.slice(0, i + 1).join('/')));
};

function checkDockerfile(df: DockerfileInfo): string[] {
  const problems: string[] = [];
  if (df.stages < 2) problems.push(`Dockerfile: expected a multi-stage build, found ${df.stages} FROM`);
  if (!df.user) problems.push('Dockerfile: the final stage has no USER (it would run as root)');
  else if (isRoot(df.user)) problems.push(`Dockerfile: the final stage runs as USER ${df.user}`);
  const runs = df.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b[^&;|]*(--omit=dev|--production)\b/.test(r)))
    problems.push('Dockerfile: no `npm ci --omit=dev` (or --production): dev dependencies would ship');
  if (df.env.HOST !== '0.0.0.0') problems.push(`Dockerfile: ENV HOST must be 0.0.0.0 in a container, got ${df.env.HOST}`);
  if (!df.env.CHECKPOINT_DIR) problems.push('Dockerfile: ENV CHECKPOINT_DIR is not set');
  const port = loadConfig(df.env).port;
  if (!df.exposed.includes(port)) problems.push(`Dockerfile: EXPOSE ${df.exposed.join(' ') || '(none)'} does not include the API port ${port}`);
  // A COPY of what .dockerignore leaves out of the build context fails the build ("not found").
  for (const copy of df.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
    for (const src of sources) if (dockerIgnored(src)) problems.push(`Dockerfile: COPY ${src} is excluded by .dockerignore`);
  }
  if (df.cmd.join(' ') !== SCRIPTS.api) problems.push(`Dockerfile: CMD "${df.cmd.join(' ')}" is not the API ("${SCRIPTS.api}")`);
  for (const f of referencedFiles([...df.cmd, ...df.healthcheck])) if (!exists(f)) problems.push(`Dockerfile: CMD/HEALTHCHECK names missing file ${f}`);
  if (!df.healthcheck.length) problems.push('Dockerfile: no HEALTHCHECK CMD');
  else if (!df.healthcheck.join(' ').includes('/health')) problems.push('Dockerfile: HEALTHCHECK does not probe /health');
  else if (!healthRouteExists()) problems.push('Dockerfile: HEALTHCHECK probes /health but no route in src/routes serves it');
  for (const i of df.instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))) {
    const sources = argv(i.args).filter((a) => !a.startsWith('--')).slice(0, -1);
    for (const s of sources) if (!/[*?[]/.test(s) && !exists(s)) problems.push(`Dockerfile: COPY source ${s} does not exist`);
  }
  return problems;
}

// ---------------------------------------------------------------- compose

interface Mount {
  type: string;
  source: string | undefined;
  target: string;
}

function mounts(svc: Dict): Mount[] {
  return (Array.isArray(svc.volumes) ? svc.volumes : []).map((v): Mount => {
    if (isDict(v)) return { type: String(v.type), source: v.source === undefined ? undefined : String(v.source), target: String(v.target) };
    const parts = String(v).split(':');
    if (parts.length === 1) return { type: 'volume', source: undefined, target: parts[0] }; // anonymous volume
    const source = parts[0];
    const isPath = /^[./~]/.test(source) || source.includes('/');
    return { type: isPath ? 'bind' : 'volume', source, target: parts[1] };
  });
}

const namedVolumes = (svc: Dict) => mounts(svc).filter((m): m is Mount & { source: string } => m.type === 'volume' && !!m.source);

/** `${NAME}`, `${NAME:-default}` and `${NAME-default}` as compose fills them from the shell's variables. */
const interpolate = (value: string, shell: Record<string, string>) =>
  value.replace(/\$\{(\w+)(?:(:?)-([^}]*))?\}/g, (_, name: string, colon: string, fallback: string | undefined) => {
    const set = shell[name];
    if (fallback === undefined) return set ?? '';
    return set === undefined || (colon && set === '') ? fallback : set;
  });

/** A service's environment as its container sees it, `docker compose up` run in a shell with `shell` set. */
function environment(svc: Dict, shell: Record<string, string> = {}): Record<string, string> {
  const env = svc.environment;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const e of env.map(String)) {
      const i = e.indexOf('=');
      if (i > 0) out[e.slice(0, i)] = interpolate(e.slice(i + 1), shell);
    }
  } else for (const [k, v] of Object.entries(dict(env))) if (v !== null && v !== undefined) out[k] = interpolate(String(v), shell);
  return out;
}

/** depends_on as { service: condition }; the list form means service_started. */
function dependsOn(svc: Dict): Record<string, string> {
  const d = svc.depends_on;
  if (Array.isArray(d)) return Object.fromEntries(d.map((s) => [String(s), 'service_started']));
  return Object.fromEntries(Object.entries(dict(d)).map(([k, v]) => [k, String(dict(v).condition)]));
}

/** Container-side ports of a service's `ports`, with the published side when given. */
function ports(svc: Dict): Array<{ published: string | undefined; target: number }> {
  return (Array.isArray(svc.ports) ? svc.ports : []).map((p) => {
    if (isDict(p)) return { published: p.published === undefined ? undefined : String(p.published), target: Number(p.target) };
    const parts = String(p).replace(/\/\w+$/, '').split(':'); // [ip:][host:]container[/proto]
    const target = Number(parts[parts.length - 1]);
    return { published: parts.length > 1 ? parts[parts.length - 2] : undefined, target };
  });
}

const healthcheckDisabled = (svc: Dict) => {
  const hc = dict(svc.healthcheck);
  return hc.disable === true || argv(hc.test)[0] === 'NONE';
};

function checkCompose(compose: Dict, df: DockerfileInfo): string[] {
  const problems: string[] = [];
  const services = dict(compose.services);
  const declared = dict(compose.volumes);
  const svc = (name: string) => dict(services[name]);

  for (const name of [REDIS_SERVICE, ...APP_SERVICES]) if (!isDict(services[name])) problems.push(`compose: service "${name}" is missing`);

  // Named volumes: every one used is declared, every one declared is used.
  const used = new Set<string>();
  for (const [name, s] of Object.entries(services)) {
    for (const m of namedVolumes(dict(s))) {
      used.add(m.source);
      if (!(m.source in declared)) problems.push(`compose: service "${name}" mounts volume "${m.source}", which is not declared under top-level volumes`);
    }
  }
  for (const v of Object.keys(declared)) if (!used.has(v)) problems.push(`compose: top-level volume "${v}" is not used by any service`);

  // depends_on: targets exist; Redis is awaited healthy; service_healthy needs a healthcheck.
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, condition] of Object.entries(dependsOn(dict(s)))) {
      if (!isDict(services[dep])) problems.push(`compose: service "${name}" depends on unknown service "${dep}"`);
      if (dep === REDIS_SERVICE && condition !== 'service_healthy')
        problems.push(`compose: service "${name}" depends on ${dep} with condition ${condition}, expected service_healthy`);
      if (condition === 'service_healthy' && (!isDict(svc(dep).healthcheck) || healthcheckDisabled(svc(dep))))
        problems.push(`compose: service "${name}" waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
    }
  }

  // Redis: persistent (AOF on a named volume at /data) and with a healthcheck.
  const redis = svc(REDIS_SERVICE);
  if (!/--appendonly\s+yes\b/.test(argv(redis.command).join(' '))) problems.push('compose: redis does not run with --appendonly yes');
  if (!namedVolumes(redis).some((m) => m.target === '/data')) problems.push('compose: redis has no named volume at /data (the AOF would be lost)');
  const redisTest = argv(dict(redis.healthcheck).test).join(' ');
  if (healthcheckDisabled(redis) || !/redis-cli\b.*\bping\b/.test(redisTest)) problems.push('compose: redis has no `redis-cli ping` healthcheck');

  // api and worker: same image from this Dockerfile, REDIS_URL at the redis service, shared checkpoints.
  const checkpointMounts: Record<string, Mount & { source: string }> = {};
  for (const name of APP_SERVICES) {
    const s = svc(name);
    const build = isDict(s.build) ? s.build : { context: s.build };
    if (s.build === undefined) problems.push(`compose: service "${name}" has no build`);
    else if (path.posix.normalize(String(build.context ?? '.')) !== '.' || (build.dockerfile ?? 'Dockerfile') !== 'Dockerfile')
      problems.push(`compose: service "${name}" does not build ./Dockerfile`);

    const env = environment(s);
    const config = loadConfig({ ...df.env, ...env });
    if (!env.REDIS_URL) problems.push(`compose: service "${name}" has no REDIS_URL (it would use ${config.redisUrl})`);
    else {
      let url: URL | undefined;
      try {
        url = new URL(env.REDIS_URL);
      } catch {
        problems.push(`compose: service "${name}" REDIS_URL "${env.REDIS_URL}" is not a URL`);
      }
      if (url && (url.protocol !== 'redis:' || url.hostname !== REDIS_SERVICE || (url.port || '6379') !== '6379'))
        problems.push(`compose: service "${name}" REDIS_URL "${env.REDIS_URL}" does not point at redis://${REDIS_SERVICE}:6379`);
    }
    if (!(REDIS_SERVICE in dependsOn(s))) problems.push(`compose: service "${name}" does not depend on ${REDIS_SERVICE}`);

    const ckpt = namedVolumes(s).find((m) => path.posix.normalize(m.target) === config.checkpointDir);
    if (!ckpt) problems.push(`compose: service "${name}" has no named volume at its CHECKPOINT_DIR ${config.checkpointDir}`);
    else checkpointMounts[name] = ckpt;
    if (config.checkpointDir !== path.posix.normalize(df.env.CHECKPOINT_DIR ?? ''))
      problems.push(`compose: service "${name}" CHECKPOINT_DIR ${config.checkpointDir} differs from the Dockerfile's ${df.env.CHECKPOINT_DIR}`);
  }
  const [a, w] = APP_SERVICES.map((n) => checkpointMounts[n]);
  if (a && w && (a.source !== w.source || a.target !== w.target))
    problems.push(`compose: api mounts ${a.source}:${a.target} but worker mounts ${w.source}:${w.target}; they must share the checkpoints`);
  if (svc('api').image !== svc('worker').image) problems.push('compose: api and worker should name the same image');

  // api: publishes the port the Dockerfile EXPOSEs and the config listens on; healthy via /health.
  const api = svc('api');
  const apiPort = loadConfig({ ...df.env, ...environment(api) }).port;
  const apiPorts = ports(api);
  if (!apiPorts.length) problems.push('compose: api publishes no port');
  for (const p of apiPorts) {
    if (p.target !== apiPort) problems.push(`compose: api maps container port ${p.target}, but the API listens on ${apiPort}`);
    if (!df.exposed.includes(p.target)) problems.push(`compose: api maps container port ${p.target}, which the Dockerfile does not EXPOSE`);
  }
  // Started with no keys in the shell, the API must refuse to run open; given keys or ALLOW_OPEN, it starts.
  const exposure = (shell: Record<string, string>) => openExposure(loadConfig({ ...df.env, ...environment(api, shell) }));
  if (!exposure({})) problems.push('compose: `docker compose up` with no API_KEYS in the shell would start the api open on a published port');
  if (exposure({ API_KEYS: 'team:secret' })) problems.push('compose: api does not take API_KEYS from the shell');
  if (exposure({ ALLOW_OPEN: '1' })) problems.push('compose: api does not take ALLOW_OPEN from the shell');
  const apiTest = argv(dict(api.healthcheck).test).join(' ');
  if (healthcheckDisabled(api) || !apiTest.includes(`:${apiPort}/health`)) problems.push(`compose: api healthcheck does not probe :${apiPort}/health`);

  // worker: scalable, runs `npm run worker`, and does not inherit the API's HTTP healthcheck.
  const worker = svc('worker');
  if ('container_name' in worker) problems.push('compose: worker has a container_name, so it cannot be scaled');
  if (ports(worker).length) problems.push('compose: worker publishes host ports, so it cannot be scaled');
  const workerCmd = argv(worker.command);
  if (workerCmd.join(' ') !== SCRIPTS.worker) problems.push(`compose: worker command "${workerCmd.join(' ')}" is not "${SCRIPTS.worker}"`);
  for (const f of referencedFiles(workerCmd)) if (!exists(f)) problems.push(`compose: worker command names missing file ${f}`);
  if (!healthcheckDisabled(worker) && (!isDict(worker.healthcheck) || argv(dict(worker.healthcheck).test).join(' ').includes('/health')))
    problems.push("compose: worker inherits or uses the API's /health healthcheck, but serves no HTTP");

  return problems;
}

// ---------------------------------------------------------------- tests

const compose = () => dict(parseYaml(COMPOSE_TEXT));
const dockerfile = () => parseDockerfile(DOCKERFILE_TEXT);

test('docker-compose.yml is valid against the Compose Specification schema', () => {
  assert.deepEqual(schemaErrors(compose()), []);
});

test('docker-compose.yml agrees with the Dockerfile, package.json and src/config.ts', () => {
  assert.deepEqual(checkCompose(compose(), dockerfile()), []);
});

test('Dockerfile: multi-stage, non-root, production deps, CMD and HEALTHCHECK point at real files', () => {
  assert.deepEqual(checkDockerfile(dockerfile()), []);
});

/** Applies a change to a fresh copy of the compose file and returns the problems found. */
function composeProblems(change: (c: Dict) => void, df = dockerfile()): string[] {
  const c = compose();
  change(c);
  return [...schemaErrors(c), ...checkCompose(c, df)];
}
const services = (c: Dict) => dict(c.services);
const service = (c: Dict, name: string) => dict(services(c)[name]);

test('the compose checks catch broken setups', () => {
  const cases: Array<[string, (c: Dict) => void, RegExp]> = [
    ['volume name typo', (c) => { service(c, 'worker').volumes = ['checkpoint:/data/checkpoints']; }, /"checkpoint", which is not declared/],
    ['unused volume', (c) => { dict(c.volumes).models = null; }, /"models" is not used/],
    ['worker container_name', (c) => { service(c, 'worker').container_name = 'worker'; }, /cannot be scaled/],
    ['worker host port', (c) => { service(c, 'worker').ports = ['3001:3000']; }, /cannot be scaled/],
    ['REDIS_URL at localhost', (c) => { service(c, 'api').environment = { REDIS_URL: 'redis://127.0.0.1:6379' }; }, /REDIS_URL .* does not point at redis:\/\/redis/],
    ['REDIS_URL missing', (c) => { delete service(c, 'worker').environment; }, /worker" has no REDIS_URL/],
    ['depends_on not healthy', (c) => { service(c, 'api').depends_on = ['redis']; }, /condition service_started, expected service_healthy/],
    ['wrong container port', (c) => { service(c, 'api').ports = ['3000:8080']; }, /container port 8080/],
    ['PORT override without port mapping', (c) => { dict(service(c, 'api').environment).PORT = '4000'; }, /API listens on 4000/],
    ['checkpoints at another path', (c) => { service(c, 'worker').volumes = ['checkpoints:/srv/ckpt']; }, /worker" has no named volume at its CHECKPOINT_DIR/],
    ['no AOF', (c) => { service(c, 'redis').command = 'redis-server'; }, /--appendonly yes/],
    ['no redis healthcheck', (c) => { delete service(c, 'redis').healthcheck; }, /no `redis-cli ping` healthcheck/],
    ['worker runs something else', (c) => { service(c, 'worker').command = ['node', '--import', 'tsx', 'workers/nope.ts']; }, /missing file workers\/nope\.ts/],
    ['worker keeps the HTTP healthcheck', (c) => { delete service(c, 'worker').healthcheck; }, /serves no HTTP/],
    ['not a Compose key', (c) => { service(c, 'api').restart_policy = 'always'; }, /must NOT have additional properties/],
    ['open by default', (c) => { dict(service(c, 'api').environment).ALLOW_OPEN = '1'; }, /with no API_KEYS in the shell would start the api open/],
    ['API_KEYS not passed through', (c) => { delete dict(service(c, 'api').environment).API_KEYS; }, /api does not take API_KEYS from the shell/],
    ['bad depends_on condition', (c) => { dict(dict(service(c, 'api').depends_on).redis).condition = 'healthy'; }, /must be equal to one of the allowed values/],
  ];
  for (const [label, change, expected] of cases) {
    const problems = composeProblems(change);
    assert.ok(problems.some((p) => expected.test(p)), `${label}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
  }
  // The text as written in the file, with one volume renamed, must fail too.
  const broken = dict(parseYaml(COMPOSE_TEXT.replace('- checkpoints:/data/checkpoints', '- checkpoint:/data/checkpoints')));
  assert.notDeepEqual(checkCompose(broken, dockerfile()), []);
});

test('the Dockerfile checks catch broken setups', () => {
  const cases: Array<[string, (text: string) => string, RegExp]> = [
    ['single stage', (t) => t.replace(/^FROM .* AS deps$/m, '').replace(/^COPY --from=deps .*$/m, ''), /multi-stage/],
    ['runs as root', (t) => t.replace(/^USER .*$/m, 'USER root'), /runs as USER root/],
    ['no USER', (t) => t.replace(/^USER .*$/m, ''), /no USER/],
    ['dev deps shipped', (t) => t.replace('npm ci --omit=dev', 'npm ci'), /npm ci --omit=dev/],
    ['CMD names a missing file', (t) => t.replace('src/server.ts"]', 'src/nope.ts"]'), /missing file src\/nope\.ts|is not the API/],
    ['HOST left at 127.0.0.1', (t) => t.replace('HOST=0.0.0.0', 'HOST=127.0.0.1'), /HOST must be 0\.0\.0\.0/],
    ['no EXPOSE', (t) => t.replace(/^EXPOSE .*$/m, ''), /EXPOSE .* does not include/],
    ['COPY of an ignored folder', (t) => t.replace('COPY bin/ ./bin/', 'COPY bench/ ./bench/'), /COPY bench\/ is excluded by \.dockerignore/],
    ['no HEALTHCHECK', (t) => t.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''), /no HEALTHCHECK/],
  ];
  for (const [label, change, expected] of cases) {
    const text = change(DOCKERFILE_TEXT);
    assert.notEqual(text, DOCKERFILE_TEXT, `${label}: the mutation did not apply`);
    const problems = checkDockerfile(parseDockerfile(text));
    assert.ok(problems.some((p) => expected.test(p)), `${label}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
  }
  // A Dockerfile whose CHECKPOINT_DIR no longer matches the compose mounts.
  const moved = parseDockerfile(DOCKERFILE_TEXT.replace('CHECKPOINT_DIR=/data/checkpoints', 'CHECKPOINT_DIR=/data/ckpt'));
  assert.ok(checkCompose(compose(), moved).some((p) => /CHECKPOINT_DIR/.test(p)));
});
