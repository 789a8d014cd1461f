/** Known-answer vectors the built-in methods must reproduce at startup (the same gate plugin methods pass). */
import type { CipherVector } from './cipher-method.js';

/** RFC 8439 section 2.8.2. */
export const CHACHA20_POLY1305_VECTORS: CipherVector[] = [
  {
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plaintext: Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    ).toString('hex'),
    ciphertext:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  },
];

/** McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13, 14 and 16 (256-bit keys). */
export const AES_256_GCM_VECTORS: CipherVector[] = [
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
