/**
 * Slowloris-style clients: many connections that send a request a few bytes at a time and never finish it,
 * either in the headers or in a body announced by content-length. `run()` resolves when the server has
 * closed every one of them, or when `giveUpMs` has passed (the ones still open are then counted and closed).
 */
import { connect, type Socket } from 'node:net';

/** Announced body size: under every surface's body limit (the directory's is 16 KiB), so only time can stop it. */
const BODY_BYTES = 8000;

export interface SlowlorisOptions {
  port: number;
  /** Request path (the surface under attack: /p2p/..., /api/..., /api/v3/... on a directory). */
  path: string;
  connections: number;
  /** 'headers': never finish the headers. 'body': finish the headers, then trickle a body. */
  phase: 'headers' | 'body';
  /** One byte per socket every this many ms. */
  dripMs: number;
  giveUpMs: number;
}

export interface SlowlorisResult {
  /** Connections the server dropped, and after how long each (ms from connect). */
  dropped: number[];
  /** Connections still open at `giveUpMs`. */
  stillOpen: number;
}

export async function slowloris(o: SlowlorisOptions): Promise<SlowlorisResult> {
  const dropped: number[] = [];
  const sockets: Socket[] = [];
  // Sockets the attacker closed itself at the deadline: their close is not the server dropping them.
  const givenUp = new WeakSet<Socket>();
  const done: Array<Promise<void>> = [];
  for (let i = 0; i < o.connections; i++) {
    const socket = connect({ host: '127.0.0.1', port: o.port });
    sockets.push(socket);
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    done.push(
      new Promise<void>((resolve) => {
        socket.on('error', () => undefined);
        socket.once('close', () => {
          clearInterval(timer);
          if (!givenUp.has(socket)) dropped.push(Math.round(performance.now() - t0));
          resolve();
        });
        socket.once('connect', () => {
          const head =
            o.phase === 'headers'
              ? `POST ${o.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
              : `POST ${o.path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${BODY_BYTES}\r\n\r\n{`;
          socket.write(head);
          let n = 0;
          timer = setInterval(() => {
            // Headers: an endless header line. Body: spaces inside a JSON object that never ends.
            socket.write(o.phase === 'headers' ? (n++ === 0 ? 'X-Slow: ' : 'a') : ' ');
          }, o.dripMs);
        });
      }),
    );
  }
  const deadline = new Promise<void>((r) => setTimeout(r, o.giveUpMs).unref());
  await Promise.race([Promise.all(done), deadline]);
  let stillOpen = 0;
  for (const s of sockets) {
    if (!s.destroyed) {
      stillOpen++;
      givenUp.add(s);
      s.destroy();
    }
  }
  await Promise.all(done);
  return { dropped, stillOpen };
}
