/**
 * What @fastify/swagger's document needs before client generators and `redocly lint` take it:
 * schemas named by their `title` become components used by `$ref` (else every route repeats them
 * inline, unnamed); TypeBox tuples (draft-07 `items: [...]`) become 2020-12 `prefixItems`; errors
 * are documented as they are sent (application/problem+json); operations behind API keys say so.
 */
type Json = Record<string, any>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const PROBLEM_REF = '#/components/schemas/Problem';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Statuses every operation behind the bearer scheme may answer, whatever the route. */
const SECURED_ERRORS: Record<string, string> = {
  '401': 'No API key, or an unknown one (only when the service runs with API_KEYS).',
  '429': 'Too many requests from this key (RATE_LIMIT_PER_MINUTE), or a per-tenant quota is used up.',
};

/**
 * Replaces each titled schema with a `$ref` to components.schemas[title], children first so the
 * components refer to each other. Two different schemas under one title are a mistake in the
 * route schemas, so they stop the document rather than one silently standing in for the other.
 */
function hoistNamedSchemas(node: unknown, components: Json): unknown {
  if (Array.isArray(node)) return node.map((n) => hoistNamedSchemas(n, components));
  if (!isObject(node)) return node;
  const out: Json = {};
  // Examples are values, not schemas: a "title" key in one is data.
  for (const [k, v] of Object.entries(node)) out[k] = k === 'example' || k === 'examples' ? v : hoistNamedSchemas(v, components);
  const title = out.title;
  if (typeof title !== 'string' || !/^[A-Za-z0-9_]+$/.test(title)) return out;
  const seen = components[title];
  if (seen && JSON.stringify(seen) !== JSON.stringify(out)) throw new Error(`OpenAPI: two different schemas are titled "${title}"`);
  components[title] = out;
  return { $ref: `#/components/schemas/${title}` };
}

/** TypeBox writes a tuple as draft-07 `items: [a, b]` (+ `additionalItems`); OpenAPI 3.1 means `prefixItems`. */
function tuplesToPrefixItems(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(tuplesToPrefixItems);
  if (!isObject(node)) return;
  if (Array.isArray(node.items)) {
    node.prefixItems = node.items;
    node.items = node.additionalItems === false ? false : (node.additionalItems ?? true);
    delete node.additionalItems;
  }
  for (const [k, v] of Object.entries(node)) if (k !== 'example' && k !== 'examples') tuplesToPrefixItems(v);
}

export function finishDocument(doc: Json, examples: Record<string, Record<string, { summary: string; value: unknown }>> = {}): Json {
  const components: Json = { ...(doc.components?.schemas ?? {}) };
  doc.paths = hoistNamedSchemas(doc.paths, components);
  for (const [name, schema] of Object.entries(components)) {
    const { $ref: _self, ...body } = (hoistNamedSchemas({ ...schema, title: undefined }, components) as Json) ?? {};
    components[name] = { ...body, title: name };
  }
  tuplesToPrefixItems(doc.paths);
  tuplesToPrefixItems(components);
  doc.components = { ...doc.components, schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) };

  for (const [route, item] of Object.entries(doc.paths as Json)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Json)[method];
      if (!op) continue;
      // The wildcard route (files/*): a named parameter that may hold slashes.
      for (const p of op.parameters ?? []) if (p.name === '*') Object.assign(p, { name: 'path', description: 'final/<file>, artifacts/<file> or checkpoints/<name>/<file>' });
      const body = op.requestBody?.content?.['application/json'];
      if (body && examples[op.operationId]) body.examples = examples[op.operationId];
      const secured = !Array.isArray(op.security) || op.security.length > 0;
      if (secured) for (const [status, description] of Object.entries(SECURED_ERRORS)) op.responses[status] ??= { description, content: { 'application/json': { schema: { $ref: PROBLEM_REF } } } };
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const json = response.content?.['application/json'];
        if (/^[45]/.test(status) && json?.schema?.$ref === PROBLEM_REF) {
          response.content = { 'application/problem+json': json };
        }
      }
    }
    if (route.includes('{*}')) {
      doc.paths[route.replace('{*}', '{path}')] = item;
      delete doc.paths[route];
    }
  }
  return doc;
}
