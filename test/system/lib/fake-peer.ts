/**
 * Broken peers, as responders for the fault proxy's `respond` mode (the node keeps its advertised address,
 * and what answers there misbehaves):
 *  - `garbageBytes`: answers the first request with random bytes that are not HTTP, then closes;
 *  - `garbageHttp`: answers a well-formed HTTP 200 whose body is random bytes (not JSON, not sealed);
 *  - `hangAfterHeaders`: sends a status line and headers, then never the body it announced.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

export function garbageBytes(socket: Socket): void {
  socket.once('data', () => {
    socket.end(randomBytes(512));
  });
}

export function garbageHttp(socket: Socket): void {
  socket.once('data', () => {
    const body = randomBytes(256);
    socket.end(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]),
    );
  });
}

export function hangAfterHeaders(socket: Socket): void {
  socket.once('data', () => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{');
  });
}
