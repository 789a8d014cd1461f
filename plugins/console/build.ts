/** `npm run build:console`: builds the console bundle (run by the root `prepare` script on install). */
import { ensureBundle } from './bundle.js';

const bundle = await ensureBundle();
console.log(`console bundle ${bundle.built ? 'built' : 'up to date'}: ${bundle.dir}`);
