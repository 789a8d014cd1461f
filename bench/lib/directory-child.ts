/**
 * A directory in its own process for benchmarks that report the directory's memory apart from the load
 * generator's: `fork`ed with the options as JSON in argv[2]; it sends `{url, publicKey}` once listening and
 * answers each 'memory' message with process.memoryUsage() taken after a full GC. 'stop' stops it.
 */
import { startDirectory } from '../../core/directory/start.js';
import { silentLogger } from '../../core/kernel/logger.js';

const dir = await startDirectory(JSON.parse(process.argv[2]!), { logger: silentLogger() });
process.send!({ url: dir.url, publicKey: dir.publicKey });
process.on('message', (msg) => {
  if (msg === 'memory') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ memory: process.memoryUsage() });
  } else if (msg === 'stop') {
    void dir.stop().then(() => process.exit(0));
  }
});
