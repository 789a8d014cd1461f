/**
 * Continuous message traffic from one node to another until stopped, tolerant of either side dying: a
 * failed send is counted as refused (never acknowledged) and retried after a short pause.
 */
import type { SystemNode } from './cluster.js';
import { sendMessages, type Sent } from './traffic.js';

export interface TrafficLoop {
  readonly acked: Sent[];
  readonly refused: string[];
  /** Stops after the send in progress; resolves once the loop has ended. */
  stop(): Promise<void>;
}

export function startTrafficLoop(from: SystemNode, to: SystemNode, tag: string, pauseMs = 20): TrafficLoop {
  const acked: Sent[] = [];
  const refused: string[] = [];
  let running = true;
  const loop = (async () => {
    let i = 0;
    while (running) {
      // The receiver's id is known even while it is down (the node object keeps its last start's info).
      const r = await sendMessages(from, to, 1, `${tag}-${i++}`).catch((err: Error) => ({
        acked: [],
        refused: [err.message],
      }));
      acked.push(...r.acked);
      refused.push(...r.refused);
      await new Promise((res) => setTimeout(res, r.refused.length > 0 ? 200 : pauseMs));
    }
  })();
  return {
    acked,
    refused,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
