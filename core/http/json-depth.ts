/**
 * Returns true when `text` nests objects/arrays deeper than `max`. Runs before JSON.parse on purpose: a
 * million-deep body parses fine but later overflows the stack in JSON.stringify or in a recursive walker.
 * Brackets inside strings do not count; escapes inside strings are skipped.
 */
export function exceedsJsonDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}
