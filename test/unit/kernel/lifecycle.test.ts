import { expect } from 'chai';
import { Lifecycle, type Service } from '../../../core/kernel/lifecycle.js';
import { silentLogger } from '../../../core/kernel/logger.js';

function recorder() {
  const events: string[] = [];
  const service = (
    name: string,
    dependsOn: string[] = [],
    behaviour: { failStart?: boolean; failStop?: boolean } = {},
  ): Service => ({
    name,
    dependsOn,
    start: async () => {
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    stop: async () => {
      events.push(`stop ${name}`);
      if (behaviour.failStop) throw new Error(`${name} cannot stop`);
    },
  });
  return { events, service };
}

describe('kernel/lifecycle', () => {
  it('starts services after their dependencies, whatever order they were added in', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('http', ['plugins']));
    lc.add(service('plugins', ['crypto', 'storage']));
    lc.add(service('storage'));
    lc.add(service('crypto'));
    await lc.start();
    expect(events).to.deep.equal(['start crypto', 'start storage', 'start plugins', 'start http']);
  });

  it('stops in reverse start order', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('b', ['a']));
    lc.add(service('a'));
    lc.add(service('c', ['b']));
    await lc.start();
    events.length = 0;
    await lc.stop();
    expect(events).to.deep.equal(['stop c', 'stop b', 'stop a']);
  });

  it('reports a dependency cycle with the path', () => {
    const { service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a', ['b']));
    lc.add(service('b', ['c']));
    lc.add(service('c', ['a']));
    expect(() => lc.order())
      .to.throw(/cycle: a -> b -> c -> a/)
      .with.property('code', 'OR_ERR_SERVICE_CYCLE');
  });

  it('names the service whose dependency is missing', () => {
    const { service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('http', ['plugins']));
    expect(() => lc.order())
      .to.throw('service http depends on unknown plugins')
      .with.property('code', 'OR_ERR_SERVICE_MISSING');
  });

  it('refuses the same service twice', () => {
    const { service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a'));
    expect(() => lc.add(service('a'))).to.throw(/added twice/);
  });

  it('rolls back: a failing start stops the services already started, in reverse, and rethrows', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a'));
    lc.add(service('b', ['a']));
    lc.add(service('c', ['b'], { failStart: true }));
    lc.add(service('d', ['c']));
    let error: unknown;
    await lc.start().catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal('c cannot start');
    expect(events).to.deep.equal(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('rolls back a start that throws synchronously too', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a'));
    lc.add({
      name: 'sync',
      dependsOn: ['a'],
      start: () => {
        throw new Error('sync failure');
      },
      stop: async () => undefined,
    });
    let error: unknown;
    await lc.start().catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal('sync failure');
    expect(events).to.deep.equal(['start a', 'stop a']);
  });

  it('stop is idempotent and concurrent callers share one stop', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a'));
    await lc.start();
    const [p1, p2] = [lc.stop(), lc.stop()];
    expect(p1).to.equal(p2);
    await Promise.all([p1, p2, lc.stop()]);
    await lc.stop();
    expect(events.filter((e) => e.startsWith('stop'))).to.deep.equal(['stop a']);
  });

  it('a service that fails to stop does not keep the others from stopping', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle(silentLogger());
    lc.add(service('a'));
    lc.add(service('b', ['a'], { failStop: true }));
    lc.add(service('c', ['b']));
    await lc.start();
    await lc.stop();
    expect(events.slice(3)).to.deep.equal(['stop c', 'stop b', 'stop a']);
  });
});

describe('kernel/lifecycle stop during start', () => {
  it('waits for the service being started, stops it with the others, and starts nothing more', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const lc = new Lifecycle(silentLogger());
    const svc = (name: string, dependsOn: string[], start: () => Promise<void> = async () => undefined) => ({
      name,
      dependsOn,
      start: async () => {
        await start();
        events.push(`start ${name}`);
      },
      stop: async () => void events.push(`stop ${name}`),
    });
    lc.add(svc('a', []));
    lc.add(svc('b', ['a'], () => gate));
    lc.add(svc('c', ['b']));
    const starting = lc.start().catch((err: { code: string }) => err.code);
    await new Promise((r) => setImmediate(r)); // a started, b is starting
    const stopping = lc.stop();
    release();
    await stopping;
    expect(await starting).to.equal('OR_ERR_STOPPED');
    expect(events).to.deep.equal(['start a', 'start b', 'stop b', 'stop a']);
  });
});
