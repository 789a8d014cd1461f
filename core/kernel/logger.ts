import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino). Secrets never reach a log line: the paths below are redacted wherever they
 * appear, and code logs ids and codes rather than bodies.
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
) {
  const opts: LoggerOptions = {
    level: options.level ?? process.env.OPENRED_LOG_LEVEL ?? 'info',
    base: options.name ? { name: options.name } : { pid: process.pid },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'psk',
        '*.psk',
        'secret',
        '*.secret',
        'req.headers.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  return options.destination ? pino(opts, options.destination as never) : pino(opts);
}

/** A logger that drops everything; for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
