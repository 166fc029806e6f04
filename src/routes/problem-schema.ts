import { Type } from 'typebox';

/** RFC 9457 problem details, with the offending fields as JSON pointers. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String({ description: 'JSON pointer into the request body' }), message: Type.String() }))),
    quota: Type.Optional(
      Type.Object(
        { limit: Type.String({ description: 'The setting, e.g. TENANT_MAX_ACTIVE_JOBS' }), what: Type.String(), used: Type.Number(), max: Type.Number() },
        { description: '429/507: the per-tenant limit that was reached, and the current use' },
      ),
    ),
  },
  { $id: 'Problem', title: 'Problem', description: 'A problem (RFC 9457, sent as application/problem+json): what was wrong and, for bad input, which fields (JSON pointers).' },
);
