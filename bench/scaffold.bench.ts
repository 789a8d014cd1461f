/**
 * Scaffold-to-answer benchmark (`npm run bench -- scaffold`): the time from starting `create-openred-plugin`
 * (the real CLI, a child process) to the new plugin answering its owner route on a running node that watches
 * the plugins folder. Dependencies are already installed (the workspace links the repository's
 * node_modules), so `npm install` is excluded. Target: < 5 s.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { create, until, watchingNode, workspace } from '../test/integration/scaffold/harness.js';
import { median } from './lib/measure.js';

const ROUNDS = 5;
const TARGET_MS = 5_000;

const ws = await workspace();
const node = await watchingNode(ws.root, ws.plugins);
const total: number[] = [];
const cli: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const name = `bench-${i}`;
    const t0 = performance.now();
    const made = await create([name, '--yes', '--dir', join(ws.plugins, name)], ws.root);
    if (made.code !== 0) throw new Error(made.stderr);
    cli.push(performance.now() - t0);
    await until(() => node.get(`/${name}/hello`), name, 30_000);
    total.push(performance.now() - t0);
  }
} finally {
  await node.close();
  await ws.close();
}
const fmt = (ms: number): string => `${Math.round(ms)} ms`;
console.log(`machine: ${cpus().length} CPU(s), load ${loadavg()[0]!.toFixed(2)}, Node ${process.version}`);
console.log(
  `create-openred-plugin (CLI process)      median ${fmt(median(cli))}  max ${fmt(Math.max(...cli))}`,
);
console.log(
  `create -> route answers on running node  median ${fmt(median(total))}  max ${fmt(Math.max(...total))}  (${ROUNDS} rounds)`,
);
const ok = Math.max(...total) < TARGET_MS;
console.log(`target < ${TARGET_MS} ms: ${ok ? 'met' : 'MISSED'}`);
process.exit(ok ? 0 : 1);
