#!/usr/bin/env node
// The `openred` command. The TypeScript sources run without a build step: bundled into plain JS (bundle.js;
// rebuilt when a source changes), or through tsx's loader when that is not possible or OPENRED_TSX=1 asks for
// it (stack traces then point at the .ts files). reflect-metadata must be loaded before any decorated class.
import { pathToFileURL } from 'node:url';
import { bundledCli } from './bundle.js';
import { applyMemorySettings } from './memory.js';

// esbuild's synchronous API (the crypto agent's bundle) would otherwise start a worker thread that stays for
// the node's lifetime: a second V8 heap, and a new isolate resets applyMemorySettings().
process.env.ESBUILD_WORKER_THREADS ??= '0';
const bundle = process.env.OPENRED_TSX === '1' ? null : await bundledCli();
if (!bundle) {
  const { register } = await import('tsx/esm/api');
  register();
}
applyMemorySettings(); // after register(): V8 resets the setting when tsx's loader thread starts
await import('reflect-metadata');
const { main } = await import(bundle ? pathToFileURL(bundle).href : '../cli/main.ts');
await main(process.argv);
