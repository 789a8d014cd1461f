import { expect } from 'chai';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { EventBus } from '../../../core/kernel/event-bus.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('kernel/event-bus', () => {
  it('delivers to every subscriber even when one throws or rejects, and logs the failures', async () => {
    const { log, lines } = capturingLogger();
    const bus = new EventBus(log);
    const got: string[] = [];
    bus.on('x', () => {
      throw new Error('sync boom');
    });
    bus.on('x', (p) => void got.push(`a:${String(p)}`));
    bus.on('x', async () => {
      throw new Error('async boom');
    });
    bus.on('x', (p) => void got.push(`b:${String(p)}`));
    expect(() => bus.emit('x', 1)).not.to.throw();
    await tick();
    expect(got).to.deep.equal(['a:1', 'b:1']);
    expect(lines.filter((l) => l.msg === 'event subscriber failed')).to.have.length(2);
  });

  it('delivers asynchronously, so a slow subscriber never blocks the emitter', async () => {
    const bus = new EventBus(capturingLogger().log);
    const got: number[] = [];
    bus.on('x', (p) => void got.push(p as number));
    bus.emit('x', 1);
    expect(got).to.deep.equal([]);
    await tick();
    expect(got).to.deep.equal([1]);
  });

  it('unsubscribes and forgets empty events', async () => {
    const bus = new EventBus(capturingLogger().log);
    const got: number[] = [];
    const off = bus.on('x', (p) => void got.push(p as number));
    expect(bus.listenerCount('x')).to.equal(1);
    off();
    expect(bus.listenerCount('x')).to.equal(0);
    bus.emit('x', 1);
    await tick();
    expect(got).to.deep.equal([]);
  });
});
