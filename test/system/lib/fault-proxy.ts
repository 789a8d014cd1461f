/**
 * A TCP proxy on 127.0.0.1 that injects network faults between two processes. A node advertises the proxy's
 * port as its p2p URL (`node.publicUrl`), so peers and the directory reach it only through here.
 *
 * Faults (all changeable while connections are open):
 *  - `delayMs`: every chunk is held this long (order is kept: TCP has no reordering to simulate);
 *  - `bytesPerSecond`: throttling, per direction and connection;
 *  - `cutAll()` / `cutAfterBytes`: connections reset mid-stream (RST), now or after N bytes each way;
 *  - mode `refuse`: new connections are reset as soon as they are accepted;
 *  - mode `blackhole`: new connections are accepted and read, and never answered;
 *  - mode `respond`: new connections are handed to a fake peer (see fake-peer.ts).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole' | 'respond';

export interface ProxyStats {
  accepted: number;
  refused: number;
  /** Connections this proxy reset (cutAll, cutAfterBytes). */
  cut: number;
  bytesUp: number;
  bytesDown: number;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

export class FaultProxy {
  mode: ProxyMode = 'forward';
  delayMs = 0;
  bytesPerSecond = 0;
  /** Reset each connection once it has carried this many bytes in one direction (undefined: never). */
  cutAfterBytes: number | undefined;
  /** Used in mode `respond`. */
  responder: ((socket: Socket) => void) | undefined;
  readonly stats: ProxyStats = { accepted: 0, refused: 0, cut: 0, bytesUp: 0, bytesDown: 0 };
  readonly #pairs = new Set<Pair>();
  readonly #silent = new Set<Socket>();

  private constructor(
    readonly server: Server,
    /** Where connections go (settable: a node's port may be chosen after its proxy's). */
    public targetPort: number,
  ) {}

  /** Listens on `port` (0: any free port) and forwards to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number, port = 0): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, targetPort);
    server.on('connection', (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connections (forwarded and silent). */
  get open(): number {
    return this.#pairs.size + this.#silent.size;
  }

  /** Back to a clean pass-through. */
  heal(): void {
    this.mode = 'forward';
    this.delayMs = 0;
    this.bytesPerSecond = 0;
    this.cutAfterBytes = undefined;
  }

  /** Resets every open connection now, mid-stream. */
  cutAll(): number {
    let n = 0;
    for (const pair of [...this.#pairs]) {
      this.#cut(pair);
      n++;
    }
    for (const s of [...this.#silent]) {
      s.resetAndDestroy();
      n++;
    }
    this.#silent.clear();
    return n;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.stats.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole' || (this.mode === 'respond' && this.responder)) {
      this.#silent.add(client);
      client.once('close', () => this.#silent.delete(client));
      if (this.mode === 'respond') this.responder!(client);
      else client.resume(); // read and discard, never answer
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    this.#pairs.add(pair);
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    this.#pipe(pair, client, upstream, 'bytesUp');
    this.#pipe(pair, upstream, client, 'bytesDown');
  }

  /** Copies `from` to `to` through the delay/throttle schedule, keeping chunk order. */
  #pipe(pair: Pair, from: Socket, to: Socket, counter: 'bytesUp' | 'bytesDown'): void {
    let carried = 0;
    let chain = Promise.resolve();
    let pending = 0;
    let nextFree = 0;
    from.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      this.stats[counter] += chunk.length;
      const cutHere = this.cutAfterBytes !== undefined && carried >= this.cutAfterBytes;
      const now = performance.now();
      const transmitMs = this.bytesPerSecond > 0 ? (chunk.length / this.bytesPerSecond) * 1000 : 0;
      const at = Math.max(now + this.delayMs, nextFree) + transmitMs;
      nextFree = at;
      pending++;
      if (pending > 32) from.pause(); // bounded buffering: the sender feels the throttle
      chain = chain.then(async () => {
        const wait = at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending--;
        if (pending <= 8 && from.isPaused()) from.resume();
        if (!this.#pairs.has(pair)) return;
        if (cutHere) {
          // Part of the chunk gets through, then the line drops: a cut in the middle of a message.
          to.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
          this.#cut(pair);
          return;
        }
        to.write(chunk);
      });
    });
    // A side that closes passes the close on once what it sent has been delivered: gracefully after a FIN,
    // as a reset after an error (the peer went away abruptly).
    from.once('close', (hadError: boolean) => {
      void chain.then(() => {
        if (hadError) this.#cut(pair, false);
        else to.end();
        if (pair.client.destroyed && pair.upstream?.destroyed) this.#pairs.delete(pair);
      });
    });
  }

  /** Resets both sides; `injected` is false when only passing on a reset that happened elsewhere. */
  #cut(pair: Pair, injected = true): void {
    if (!this.#pairs.delete(pair)) return;
    if (injected) this.stats.cut++;
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  }
}
