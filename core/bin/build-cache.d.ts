export function codeRoot(from: string): string;
export function buildCacheDir(from: string): string;
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void;
export function writeContentAddressed(dir: string, prefix: string, code: string | Uint8Array): string;
export function pruneStale(dir: string, prefix: string, keep: string, maxAgeMs?: number): void;
