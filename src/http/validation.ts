// Two validators: bodies are taken exactly as sent (no coercion, unknown fields refused, S80);
// query strings and path parameters arrive as text, so numbers and booleans are coerced there.
// Both refuse text that no store can hold the same way: NUL (PostgreSQL refuses it) and unpaired
// surrogates (replaced on the way into either store, so what was written is not what is read back).
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: false, ...options });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv({ coerceTypes: false, removeAdditional: false, useDefaults: false });
const lenient = makeAjv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true });

const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** The JSON pointer of the first string (value or key) that is not storable text, or null. */
function findUnstorableText(root: unknown): string | null {
  // A loop, not recursion: a body of 30,000 nested arrays fits in 64 KiB.
  const pending: [unknown, string][] = [[root, '']];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return path;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (UNSTORABLE.test(key)) return at;
      pending.push([item, at]);
    }
  }
  return null;
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? strict : lenient).compile(schema as object);
  const check = ((data: unknown, context?: object) => {
    const bad = findUnstorableText(data);
    if (bad !== null) {
      const error: ErrorObject = {
        instancePath: bad,
        schemaPath: '#',
        keyword: 'text',
        params: {},
        message: 'must be text without NUL characters or unpaired surrogates',
      };
      check.errors = [error];
      return false;
    }
    const ok = context === undefined ? validate(data) : validate(data, context as never);
    check.errors = validate.errors;
    return ok;
  }) as ValidateFunction;
  // Fastify hands Ajv functions their parent object (so coercion can reach the root); keep that working.
  check.schemaEnv = validate.schemaEnv;
  check.schema = validate.schema;
  return check as ReturnType<FastifySchemaCompiler<unknown>>;
};
