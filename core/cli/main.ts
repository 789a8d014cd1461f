import { Command, CommanderError } from 'commander';
import { ConfigError, isOpenRedError } from '../errors.js';
import { commands } from './commands/index.js';
import { CliExit } from './output.js';

/**
 * Entry point of the `openred` command. Each command lives in cli/commands/<name>.ts and registers itself on
 * the program; every command has --help, and --json where it prints data. Errors print one line and exit
 * non-zero.
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('openred')
    .description('Run and operate OpenRed nodes and directories.')
    .version('3.0.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliExit) {
      process.exitCode = err.exitCode;
      return;
    }
    const message = isOpenRedError(err)
      ? `${err.code}: ${err.message}`
      : ((err as Error)?.message ?? String(err));
    process.stderr.write(`openred: ${message}\n`);
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`  - ${p}\n`);
    }
    process.exitCode = 1;
  }
}
