/** Wire and owner-API schemas of the file-sharing module (docs/modules/file-sharing.md). */
const NODE_ID = '^or[a-z2-7]{32}$';
const FILE_ID = '^[A-Za-z0-9_-]{22,64}$';
const TRANSFER_ID = '^[A-Za-z0-9_-]{16,64}$';

export const fileRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['file_id'],
  properties: { file_id: { type: 'string', pattern: FILE_ID } },
} as const;

export const fileTransferSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['file_id'],
  properties: {
    file_id: { type: 'string', pattern: FILE_ID },
    /** Resume this transfer instead of starting one. */
    transfer: { type: 'string', pattern: TRANSFER_ID },
  },
} as const;

export const fileChunkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['file_id', 'transfer', 'index'],
  properties: {
    file_id: { type: 'string', pattern: FILE_ID },
    transfer: { type: 'string', pattern: TRANSFER_ID },
    index: { type: 'integer', minimum: 0, maximum: 1048576 },
  },
} as const;

export const fileDoneSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['file_id', 'transfer'],
  properties: {
    file_id: { type: 'string', pattern: FILE_ID },
    transfer: { type: 'string', pattern: TRANSFER_ID },
  },
} as const;

export const shareSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'to'],
  properties: {
    /** Relative to the share folder. */
    path: { type: 'string', minLength: 1, maxLength: 4096 },
    to: { type: 'string', pattern: NODE_ID },
    expires_in_ms: { type: 'integer', minimum: 1000 },
    max_downloads: { type: 'integer', minimum: 1, maximum: 1000 },
    /** The name the peer sees (default: the file's name). */
    name: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

export const downloadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['link'],
  properties: {
    link: { type: 'string', maxLength: 200 },
    /** Absolute: a file to create, or an existing folder to put the file in. */
    path: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

export const fileIdParamSchema = {
  type: 'object',
  required: ['file_id'],
  properties: { file_id: { type: 'string', pattern: FILE_ID } },
} as const;

export const downloadIdSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,32}$' } },
} as const;

export const uploadQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 255 } },
} as const;
