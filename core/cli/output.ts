/** Thrown by a command that already printed its message and only needs to set the exit code. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Prints `data` as one line of JSON when --json was given (easy to parse line by line), else `human()`. */
export function print(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data) + '\n' : human() + '\n');
}
