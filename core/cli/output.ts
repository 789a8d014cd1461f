/** Thrown by a command that already printed its message and only needs to set the exit code. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Prints `data` as JSON when --json was given, else through `human`. */
export function print(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
}
