export type PluginState = 'active' | 'failed' | 'disabled';

/** What `openred plugins` and the health endpoint show for each plugin. */
export interface PluginStatus {
  name: string;
  version: string | null;
  state: PluginState;
  dir: string;
  /** The last load/setup error; kept while an older version keeps serving. */
  lastError: string | null;
  loadedAt: number | null;
  reloads: number;
  routes: { p2p: number; api: number };
  dependsOn: string[];
}
