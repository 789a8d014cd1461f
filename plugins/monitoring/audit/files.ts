import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileIndex } from './entry.js';

export interface LogFile {
  name: string;
  index: number;
  path: string;
}

/** The log files of `dir`, in order (other files are ignored). */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((name) => ({ name, index: fileIndex(name), path: join(dir, name) }))
    .filter((f): f is LogFile => f.index !== undefined)
    .sort((a, b) => a.index - b.index);
}

/**
 * A file's lines with their 1-based numbers. `partial` is the text after the last newline, when the file
 * does not end with one (a write cut short, or a truncation in the middle of a line).
 */
export async function readLines(
  path: string,
): Promise<{ lines: Array<{ n: number; text: string }>; partial?: string }> {
  const text = await readFile(path, 'utf8');
  const parts = text.split('\n');
  const tail = parts.pop()!;
  const lines = parts.map((t, i) => ({ n: i + 1, text: t }));
  return tail === '' ? { lines } : { lines, partial: tail };
}

/** SHA-256 over every log file's name and bytes, in order, and the sealed head: equal only for an unchanged log. */
export async function logFingerprint(dir: string, sealedHead: string | null): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await listLogFiles(dir)) {
    const bytes = await readFile(file.path);
    hash.update(`${file.name}\n${bytes.length}\n`).update(bytes);
  }
  hash.update(`head\n${sealedHead ?? ''}`);
  return hash.digest('hex');
}
