import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { errors } from '@openred/plugin-sdk';
import { sanitizeName } from './paths.js';

export interface UploadResult {
  /** The file's path relative to the share folder: what `POST /api/files/share` takes. */
  path: string;
  size: number;
}

/**
 * Writes an upload into the share folder (the owner's way to share a file that is not on the node's disk
 * yet, e.g. from the web console). The name is reduced to one safe component; an existing file is never
 * replaced: a free name is found with ` (1)`, ` (2)`... The bytes go to an exclusive temp file (0600), are
 * fsynced, then linked under the final name, so a cut upload leaves nothing behind under that name.
 */
export async function receiveUpload(
  source: Readable,
  shareDir: string,
  requestedName: string,
  maxBytes: number,
  declaredBytes: number | undefined,
): Promise<UploadResult> {
  if (declaredBytes !== undefined && declaredBytes > maxBytes) {
    throw errors.tooLarge('OR_ERR_FILE_TOO_LARGE', `files are limited to ${maxBytes} bytes`);
  }
  const name = sanitizeName(requestedName);
  const temp = join(shareDir, `.upload-${randomBytes(9).toString('base64url')}.part`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const file = await open(temp, flags, 0o600);
  let size = 0;
  try {
    for await (const chunk of source) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > maxBytes)
        throw errors.tooLarge('OR_ERR_FILE_TOO_LARGE', `files are limited to ${maxBytes} bytes`);
      await file.write(bytes);
    }
    if (declaredBytes !== undefined && size !== declaredBytes) {
      throw errors.badRequest('OR_ERR_UPLOAD_INCOMPLETE', `received ${size} of ${declaredBytes} bytes`);
    }
    await file.sync();
    await file.close();
    const path = await publishUnderFreeName(temp, shareDir, name);
    return { path, size };
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function publishUnderFreeName(temp: string, dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let n = 0; n < 1000; n++) {
    const candidate = n === 0 ? name : `${stem} (${n})${ext}`;
    try {
      await link(temp, join(dir, candidate));
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw errors.conflict('OR_ERR_TARGET_EXISTS', `no free name for ${name} in the share folder`);
}
