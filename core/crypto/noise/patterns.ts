/**
 * The handshake patterns OpenRed implements (spec rev. 34, sections 7.4 and 9.4). KKpsk0 is the one used on the
 * wire; NN and KK are kept because the published test vectors for them check the same machinery.
 */
export type NoiseToken = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';
export type PatternName = 'NN' | 'KK' | 'KKpsk0';

export interface HandshakePattern {
  name: PatternName;
  /** Pre-message public keys, initiator's then responder's (only 's' occurs in these patterns). */
  preInitiator: readonly 's'[];
  preResponder: readonly 's'[];
  /** Message i is sent by the initiator when i is even. */
  messages: readonly (readonly NoiseToken[])[];
}

export const PATTERNS: Readonly<Record<PatternName, HandshakePattern>> = Object.freeze({
  NN: { name: 'NN', preInitiator: [], preResponder: [], messages: [['e'], ['e', 'ee']] },
  KK: {
    name: 'KK',
    preInitiator: ['s'],
    preResponder: ['s'],
    messages: [
      ['e', 'es', 'ss'],
      ['e', 'ee', 'se'],
    ],
  },
  KKpsk0: {
    name: 'KKpsk0',
    preInitiator: ['s'],
    preResponder: ['s'],
    messages: [
      ['psk', 'e', 'es', 'ss'],
      ['e', 'ee', 'se'],
    ],
  },
});

export function usesPsk(p: HandshakePattern): boolean {
  return p.messages.some((m) => m.includes('psk'));
}
