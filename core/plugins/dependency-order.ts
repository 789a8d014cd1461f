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

/**
 * Orders what can be ordered and reports the rest: a plugin on a dependency cycle, or one that (transitively)
 * depends on a cycle or on a missing plugin, fails with the error `dependencyOrder` would throw for it. The
 * plugins unrelated to the problem are unaffected.
 */
export function orderOrReport<T extends Dependent>(
  items: readonly T[],
): { ordered: T[]; failed: Array<{ item: T; error: OpenRedError }> } {
  const byName = new Map(items.map((i) => [i.name, i]));
  const placed = new Set<string>();
  const ordered: T[] = [];
  for (let progress = true; progress;) {
    progress = false;
    for (const item of items) {
      if (placed.has(item.name) || !item.dependsOn.every((d) => placed.has(d))) continue;
      placed.add(item.name);
      ordered.push(item);
      progress = true;
    }
  }
  const failed: Array<{ item: T; error: OpenRedError }> = [];
  for (const item of items) {
    if (placed.has(item.name)) continue;
    // The unplaced plugins reachable from this one contain the cycle or the missing dependency.
    const reachable: T[] = [];
    const seen = new Set<string>();
    const walk = (name: string): void => {
      const next = byName.get(name);
      if (!next || seen.has(name) || placed.has(name)) return;
      seen.add(name);
      reachable.push(next);
      next.dependsOn.forEach(walk);
    };
    walk(item.name);
    try {
      dependencyOrder(reachable);
    } catch (err) {
      failed.push({ item, error: err as OpenRedError });
    }
  }
  return { ordered, failed };
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
