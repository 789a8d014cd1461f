/** Settings of the monitoring module (`modules.monitoring` in openred.config.ts). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        /**
         * Who may scrape `GET /metrics`: `token` (a bearer token from the 0600 file `metrics-token`, or an owner
         * session), `owner` (owner sessions only), `none` (anyone who reaches the owner surface).
         */
        auth: { enum: ['token', 'owner', 'none'], default: 'token' },
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        /** A log file is closed and a new one started past this size (the chain continues). */
        maxFileBytes: { type: 'integer', minimum: 4096, default: 1048576 },
        /** Plugin events recorded besides the kernel's and `audit.record` (scalar fields, ids hashed). */
        events: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
          default: ['file.shared', 'file.downloaded', 'file.revoked'],
        },
      },
    },
  },
} as const;

export interface MonitoringConfig {
  metrics: { enabled: boolean; auth: 'token' | 'owner' | 'none' };
  audit: { enabled: boolean; maxFileBytes: number; events: string[] };
}
