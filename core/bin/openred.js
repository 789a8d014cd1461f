#!/usr/bin/env node
// The `openred` command. TypeScript sources run without a build step through tsx's loader, registered here
// before anything else is imported; reflect-metadata must be loaded before any decorated class.
import { register } from 'tsx/esm/api';
register();
await import('reflect-metadata');
const { main } = await import('../cli/main.ts');
await main(process.argv);
