import { expect } from 'chai';
import { dependencyOrder, dependentsOf, orderOrReport } from '../../../core/plugins/dependency-order.js';

const p = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('plugins/dependency-order', () => {
  it('puts every plugin after its dependencies and keeps the given order otherwise', () => {
    const order = dependencyOrder([
      p('messaging', 'auth'),
      p('monitoring'),
      p('auth', 'crypto'),
      p('crypto'),
    ]);
    expect(order.map((x) => x.name)).to.deep.equal(['crypto', 'auth', 'messaging', 'monitoring']);
  });

  it('names the plugins of a cycle, in order', () => {
    expect(() => dependencyOrder([p('x'), p('a', 'b'), p('b', 'c'), p('c', 'a')]))
      .to.throw('plugin dependency cycle: a -> b -> c -> a')
      .with.property('code', 'OR_ERR_PLUGIN_CYCLE');
  });

  it('reports a plugin that depends on itself', () => {
    expect(() => dependencyOrder([p('a', 'a')])).to.throw('plugin dependency cycle: a -> a');
  });

  it('names the plugin and the missing dependency', () => {
    expect(() => dependencyOrder([p('messaging', 'authentication')]))
      .to.throw('plugin messaging depends on authentication, which is not enabled or not installed')
      .with.property('code', 'OR_ERR_PLUGIN_DEPENDENCY');
  });

  it('finds transitive dependents', () => {
    const items = [p('a'), p('b', 'a'), p('c', 'b'), p('d'), p('e', 'c', 'd')];
    expect(dependentsOf(items, 'a').sort()).to.deep.equal(['b', 'c', 'e']);
    expect(dependentsOf(items, 'd')).to.deep.equal(['e']);
    expect(dependentsOf(items, 'e')).to.deep.equal([]);
  });
});

describe('plugins/dependency-order orderOrReport', () => {
  it('orders the plugins unrelated to a cycle and fails only the cycle and its dependents', () => {
    const { ordered, failed } = orderOrReport([
      p('healthy'),
      p('a', 'b'),
      p('b', 'a'),
      p('after-a', 'a'),
      p('uses-healthy', 'healthy'),
    ]);
    expect(ordered.map((x) => x.name)).to.deep.equal(['healthy', 'uses-healthy']);
    const errors = Object.fromEntries(failed.map((f) => [f.item.name, f.error.message]));
    expect(errors).to.deep.equal({
      a: 'plugin dependency cycle: a -> b -> a',
      b: 'plugin dependency cycle: b -> a -> b',
      'after-a': 'plugin dependency cycle: a -> b -> a',
    });
  });

  it('fails a plugin whose dependency is missing, naming both', () => {
    const { ordered, failed } = orderOrReport([p('x', 'ghost'), p('y')]);
    expect(ordered.map((i) => i.name)).to.deep.equal(['y']);
    expect(failed[0]!.error.message).to.equal(
      'plugin x depends on ghost, which is not enabled or not installed',
    );
  });
});
