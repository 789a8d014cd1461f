import { errors } from '@openred/plugin-sdk';

const NODE_ID = /^or[a-z2-7]{32}$/;
export const FILE_ID = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * A share link names the sharing node and the file: `openred://<nodeId>/file/<fileId>`. The file id is a
 * random 128-bit capability, but it is only honoured for the peer the share was made for.
 */
export function formatLink(nodeId: string, fileId: string): string {
  return `openred://${nodeId}/file/${fileId}`;
}

export function parseLink(link: string): { node: string; fileId: string } {
  const m = /^openred:\/\/([a-z2-7]+)\/file\/([A-Za-z0-9_-]+)$/.exec(link.trim());
  if (!m || !NODE_ID.test(m[1]!) || !FILE_ID.test(m[2]!)) {
    throw errors.badRequest('OR_ERR_BAD_LINK', 'not a file link (openred://<nodeId>/file/<fileId>)');
  }
  return { node: m[1]!, fileId: m[2]! };
}
