import { Type } from 'typebox';

/** Ten years: a TTL beyond it is a typo for "never" (leave it out, or PATCH it to null). */
const MAX_TTL_S = 10 * 365 * 24 * 3600;

/** Seconds a model or dataset is kept; then the janitor removes it, unless a queued or running job uses it. */
export const TtlS = Type.Integer({ minimum: 1, maximum: MAX_TTL_S, description: 'Seconds from now until it may be removed (kept while a queued or running job uses it).' });

export const TtlQuery = Type.Object({ ttl_s: Type.Optional(TtlS) });

export const ExpiryPatch = Type.Object(
  { ttl_s: Type.Union([TtlS, Type.Null()], { description: 'Seconds from now until it may be removed; null keeps it until deleted.' }) },
  { title: 'ExpiryPatch', additionalProperties: false },
);

export const ExpiresAt = Type.Optional(Type.String({ format: 'date-time', description: 'When it may be removed (its ttl_s); absent: kept until deleted.' }));
