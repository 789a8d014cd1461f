import { hkdfSync, createHmac } from 'node:crypto';
const ck = Buffer.alloc(32, 1);
console.log(Buffer.from(hkdfSync('sha256', Buffer.alloc(0), ck, Buffer.alloc(0), 64)).toString('hex').slice(0, 16));
function h(ck: Buffer, ikm: Buffer) { const t = createHmac('sha256', ck).update(ikm).digest(); const o1 = createHmac('sha256', t).update(Buffer.from([1])).digest(); return o1; }
console.log(h(ck, Buffer.alloc(0)).toString('hex').slice(0,16));
let t0 = performance.now(); for (let i = 0; i < 20000; i++) hkdfSync('sha256', ck, ck, Buffer.alloc(0), 64); console.log('hkdfSync', 20000/(performance.now()-t0)*1000);
t0 = performance.now(); for (let i = 0; i < 20000; i++) { const t = createHmac('sha256', ck).update(ck).digest(); const o1 = createHmac('sha256', t).update(Buffer.from([1])).digest(); createHmac('sha256', t).update(o1).update(Buffer.from([2])).digest(); } console.log('hmac', 20000/(performance.now()-t0)*1000);
