// Loads a browser module of dashboard/public/ as it is (plain ES module, no build step) for Node's
// unit tests of the page's pure modules; the caller names the exports it uses as a type.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { publicDir } from './static-assets.js';

export async function importPublic<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(publicDir(), path)).href)) as T;
}
