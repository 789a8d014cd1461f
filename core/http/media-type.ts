/**
 * The media type of a Content-Type value: lower case, without parameters ('' when absent). Values in `known`,
 * given exactly as listed (what clients send most), are answered as they are, without splitting, trimming and
 * lower-casing on every request.
 */
export function mediaType(value: string | undefined, known?: ReadonlySet<string>): string {
  if (value === undefined) return '';
  if (known?.has(value)) return value;
  if (value === 'application/json; charset=utf-8') return 'application/json';
  return value.split(';')[0]!.trim().toLowerCase();
}
