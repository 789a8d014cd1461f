import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { PluginContext } from './context.js';

export type Teardown = () => void | Promise<void>;

export interface PluginDefinition<Config = unknown> {
  /** Unique name: lowercase letters, digits and dashes. It is also the key under `modules` in the config. */
  name: string;
  /** Semantic version of this plugin. */
  version: string;
  description?: string;
  /** JSON Schema of the plugin's configuration; the kernel validates it with ajv and applies defaults. */
  config?: JSONSchema;
  /** Plugins that must be set up before this one. */
  dependsOn?: string[];
  /**
   * Declares what the plugin does: routes, middleware, ciphers, subscriptions. Nothing is live until
   * setup resolves; then everything it declared is swapped in at once. May return a teardown.
   */
  setup(ctx: PluginContext<Config>): void | Teardown | Promise<void | Teardown>;
}

const PLUGIN_BRAND = Symbol.for('openred.plugin');

/**
 * Declares a plugin. The config type is inferred from the `config` JSON Schema (write it `as const`).
 *
 * @example
 * export default definePlugin({
 *   name: 'hello',
 *   version: '1.0.0',
 *   config: { type: 'object', properties: { greeting: { type: 'string', default: 'hi' } } } as const,
 *   setup(ctx) {
 *     ctx.p2p.post('/hello', () => ({ greeting: ctx.config.greeting, from: ctx.node.id }));
 *   },
 * });
 */
export function definePlugin<const S extends JSONSchema = { type: 'object' }>(
  definition: PluginDefinition<S extends { type: 'object' } ? FromSchema<S> : unknown> & { config?: S },
): PluginDefinition<FromSchema<S>> {
  Object.defineProperty(definition, PLUGIN_BRAND, { value: true });
  return definition as unknown as PluginDefinition<FromSchema<S>>;
}

/** True for objects made by definePlugin (checked by brand, so duplicated SDK copies still match). */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true
  );
}
