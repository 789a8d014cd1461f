import type { Command } from 'commander';
import { register as init } from './init.js';
import { register as start } from './start.js';
import { register as status } from './status.js';
import { register as plugins } from './plugins.js';
import { register as peers } from './peers.js';
import { register as directory } from './directory.js';
import { register as dev } from './dev.js';
import { register as auth } from './auth.js';
import { register as audit } from './audit.js';
import { register as messaging } from './messaging.js';
import { register as files } from './files.js';

/** Each command module exports `register(program)`. Listed explicitly so the CLI starts without scanning disk. */
export const commands: Array<(program: Command) => void> = [
  init,
  start,
  status,
  plugins,
  peers,
  directory,
  dev,
  auth,
  audit,
  messaging,
  files,
];
