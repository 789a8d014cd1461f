import type { Clock } from '../../kernel/clock.js';
import type { ResolvedDirectoryOptions } from '../options.js';
import { LowdbStore } from './lowdb-store.js';
import { RedisStore } from './redis-store.js';
import type { DirectoryStore } from './types.js';

export * from './types.js';
export { LowdbStore, type LowdbStoreOptions } from './lowdb-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';

/** Opens the store the options name. */
export async function openStore(
  options: ResolvedDirectoryOptions,
  clock: Clock,
  onError?: (err: unknown) => void,
): Promise<DirectoryStore> {
  const retentionSeconds = options.presence.retentionSeconds;
  if (options.store === 'redis') {
    return RedisStore.open({ url: options.redisUrl, keyPrefix: options.keyPrefix, retentionSeconds, clock });
  }
  return LowdbStore.open({
    dataDir: options.dataDir,
    shards: options.lowdbShards,
    retentionSeconds,
    clock,
    onError,
  });
}
