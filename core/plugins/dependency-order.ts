import { OpenRedError } from '../errors.js';

export interface Dependent {
  name: string;
  dependsOn: readonly string[];
}

/**
 * Orders plugins so each comes after its dependencies. A missing dependency or a cycle is an error that
 * names the plugins involved: `plugin a depends on b, which is not enabled` /
 * `plugin dependency cycle: a -> b -> a`.
 */
export function dependencyOrder<T extends Dependent>(items: readonly T[]): T[] {
  const byName = new Map(items.map((i) => [i.name, i]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: T[] = [];
  const visit = (item: T, path: string[]): void => {
    const s = state.get(item.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const start = path.indexOf(item.name);
      throw new OpenRedError(
        'OR_ERR_PLUGIN_CYCLE',
        `plugin dependency cycle: ${[...path.slice(start), item.name].join(' -> ')}`,
      );
    }
    state.set(item.name, 'visiting');
    for (const dep of item.dependsOn) {
      const target = byName.get(dep);
      if (!target) {
        throw new OpenRedError(
          'OR_ERR_PLUGIN_DEPENDENCY',
          `plugin ${item.name} depends on ${dep}, which is not enabled or not installed`,
        );
      }
      visit(target, [...path, item.name]);
    }
    state.set(item.name, 'done');
    out.push(item);
  };
  for (const item of items) visit(item, []);
  return out;
}

/** Names that (transitively) depend on `name`. */
export function dependentsOf(items: readonly Dependent[], name: string): string[] {
  const result = new Set<string>();
  let frontier = [name];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const item of items) {
      if (!result.has(item.name) && item.dependsOn.some((d) => frontier.includes(d))) {
        result.add(item.name);
        next.push(item.name);
      }
    }
    frontier = next;
  }
  return [...result];
}
