// Bounds on request bodies (dashboard.limits): the size (fastify's bodyLimit, set by server.ts:
// 413 FST_ERR_CTP_BODY_TOO_LARGE) and the nesting depth of JSON bodies (400 naming the limit).
// Rules: the depth is measured on the text before it is parsed, in one pass without recursion, so a
// 20,000-deep body costs a scan and never reaches JSON.parse, a schema or a merge patch (each of
// them recursive: that body used to overflow the stack, a 500); within the limit the body is parsed
// by fastify's own JSON parser (prototype-poisoning checks included).
import type { FastifyInstance } from 'fastify';
import { InputError } from '../common/errors.js';

/**
 * The nesting depth of a JSON text ({} and [] count one level each; strings are skipped, escapes
 * included), or `max + 1` as soon as it passes `max`. Not a validator: malformed text is left to the parser.
 */
export function jsonDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

export function tooDeep(max: number): InputError {
  return new InputError('body', `is nested deeper than ${max} levels (dashboard.limits.jsonDepth)`, { message: `body is nested deeper than ${max} levels (dashboard.limits.jsonDepth)` });
}

/** Replaces the JSON body parser of `app` with one that refuses bodies deeper than `maxDepth` first. */
export function registerJsonDepthLimit(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepth(text, maxDepth) > maxDepth) {
      done(tooDeep(maxDepth), undefined);
      return;
    }
    void parse(req, text, done);
  });
}
