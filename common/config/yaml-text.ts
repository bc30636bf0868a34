// Every YAML text netmon reads (config, devices, alert rules, device imports) is parsed here, so
// a pathologically nested text gets one clear error instead of a stack overflow further on (the
// yaml library reports "Maximum call stack size exceeded" past ~800 levels, and the recursive
// walks after it - interpolation, schema validation, toJS - would throw a RangeError on texts just
// below that). Rules: nothing here throws; a problem is added to doc.errors like the parser's
// own, with its line, so each caller reports it the way it reports any YAML error. The bound is
// far above any real file (a device is 4 levels deep) and the walk is iterative.
import { isCollection, isPair, parseDocument, YAMLParseError, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

/** Levels of nesting (collections inside collections) a YAML text may have. */
export const MAX_YAML_DEPTH = 64;

const tooDeep = `nested deeper than ${MAX_YAML_DEPTH} levels`;

/** parseDocument, plus the nesting bound (see the file comment). */
export function parseYamlText(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): Document.Parsed {
  const doc = parseDocument(text, options);
  for (const e of doc.errors) {
    if (e.message.includes('Maximum call stack size exceeded')) e.message = e.message.replace('Maximum call stack size exceeded', tooDeep);
  }
  if (doc.errors.length > 0) return doc;
  const at = deepNodeOffset(doc.contents);
  if (at !== null) {
    const err = new YAMLParseError([at, at + 1], 'RESOURCE_EXHAUSTION', tooDeep);
    const line = lineAt(text, at);
    err.linePos = [line];
    if (options.prettyErrors !== false) err.message = `${tooDeep} at line ${line.line}, column ${line.col}`;
    doc.errors.push(err);
  }
  return doc;
}

/** The source offset of the first collection deeper than MAX_YAML_DEPTH, or null. */
export function deepNodeOffset(root: unknown): number | null {
  const stack: Array<[node: unknown, depth: number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_YAML_DEPTH) return node.range?.[0] ?? 0;
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else {
        stack.push([item, depth + 1]);
      }
    }
  }
  return null;
}

function lineAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
