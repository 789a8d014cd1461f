/**
 * JSON Schema (draft-07) of openred.config.ts after defaults. `additionalProperties: false` everywhere the
 * kernel owns the shape, so a typo ("modlues") is an error rather than silently ignored. Module settings are
 * validated by each plugin's own schema when the plugin loads.
 */
const listen = (host: string, port: number) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    host: { type: 'string', minLength: 1, default: host },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: port },
  },
});

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    node: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string', maxLength: 64 },
        dataDir: { type: 'string', minLength: 1, default: '.data/node' },
        publicUrl: { type: 'string', pattern: '^https?://' },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        p2p: listen('127.0.0.1', 7700),
        api: listen('127.0.0.1', 7701),
        limits: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxBodyBytes: { type: 'integer', minimum: 1024, default: 1048576 },
            maxJsonDepth: { type: 'integer', minimum: 2, maximum: 1000, default: 32 },
            requestTimeoutMs: { type: 'integer', minimum: 100, default: 30000 },
            headersTimeoutMs: { type: 'integer', minimum: 100, default: 10000 },
            keepAliveTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            handlerTimeoutMs: { type: 'integer', minimum: 100, default: 30000 },
            unauthenticatedPerSecond: { type: 'number', exclusiveMinimum: 0, default: 20 },
            unauthenticatedBurst: { type: 'integer', minimum: 1, default: 60 },
          },
        },
      },
    },
    directory: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        publicKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
        embedded: {
          default: { port: 7600, host: '127.0.0.1', allowLoopback: true },
          oneOf: [
            { const: false },
            {
              type: 'object',
              properties: {
                port: { type: 'integer', minimum: 0, maximum: 65535, default: 7600 },
                host: { type: 'string', default: '127.0.0.1' },
                allowLoopback: { type: 'boolean', default: true },
              },
            },
          ],
        },
        heartbeatSeconds: { type: 'integer', minimum: 1, default: 30 },
      },
    },
    crypto: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        isolation: { enum: ['process', 'inline'], default: 'process' },
        epochSeconds: { type: 'integer', minimum: 60, default: 3600 },
        graceSeconds: { type: 'integer', minimum: 0, default: 120 },
        methodPolicy: { type: 'string', minLength: 1, default: 'hourly' },
        methods: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          minItems: 1,
          uniqueItems: true,
          default: ['chacha20-poly1305', 'aes-256-gcm'],
        },
        sessionTtlSeconds: { type: 'integer', minimum: 60, default: 86400 },
      },
    },
    plugins: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        dirs: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['plugins'] },
        packages: { type: 'boolean', default: true },
        hotReload: { type: 'boolean', default: true },
      },
    },
    modules: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^[a-z0-9][a-z0-9-]*$' },
      additionalProperties: {
        type: 'object',
        properties: { enabled: { type: 'boolean', default: true } },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
  },
} as const;
