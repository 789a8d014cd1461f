/**
 * Runs async tasks one at a time, in call order. Login attempts go through one of these: each attempt's
 * effect on the failure count and on the last used TOTP step is on disk before the next is looked at, so
 * parallel guesses cannot outrun the lockout or reuse one code twice.
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
