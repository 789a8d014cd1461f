import { connect } from 'node:net';
const s = connect(80, '1.1.1.1');
s.on('error', (e) => { process.send!({ net: 'error ' + (e as NodeJS.ErrnoException).code }); });
s.on('connect', () => { process.send!({ net: 'connected' }); s.destroy(); });
process.on('message', (m) => { if (m === 'bye') process.exit(0); process.send!({ echo: m, ok: true }); });
process.send!({ ready: true, uid: process.getuid?.(), perm: (process as any).permission?.has?.('fs.write', '/tmp') });
