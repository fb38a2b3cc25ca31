// The resolve hook of module-probe.mjs: notes every module URL the process resolves.
import { appendFileSync } from 'node:fs';

let out = '';
export async function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, `${result.url}\n`);
  return result;
}
