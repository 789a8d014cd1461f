import type { CipherVector } from '@openred/plugin-sdk';

/**
 * Known-answer vectors (hex) the node checks before it enables the method: McGrew & Viega, "The Galois/Counter
 * Mode of Operation", test cases 13, 14 and 16. Use published vectors of your algorithm, never ones you
 * produced with your own implementation.
 */
export const vectors: CipherVector[] = [
  {
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '',
    ciphertext: '530f8afbc74536b9a963b4f1c4cb738b',
  },
  {
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext:
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];
