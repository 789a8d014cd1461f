/**
 * Scenario figures: one JSON line per result on stdout (`[system] <scenario> {...}`), and appended to the
 * file named by OPENRED_SYSTEM_REPORT when set, so docs/reliability.md can quote the latest run.
 */
import { appendFileSync } from 'node:fs';

export function report(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, at: new Date().toISOString(), ...figures });
  console.log(`    [system] ${line}`);
  const file = process.env.OPENRED_SYSTEM_REPORT;
  if (file) appendFileSync(file, line + '\n');
}
