import { expect } from 'chai';
import { dependencyOrder, dependentsOf } from '../../../core/plugins/dependency-order.js';

const p = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('plugins/dependency-order', () => {
  it('puts every plugin after its dependencies and keeps the given order otherwise', () => {
    const order = dependencyOrder([p('messaging', 'auth'), p('monitoring'), p('auth', 'crypto'), p('crypto')]);
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
