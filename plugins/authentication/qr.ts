import qrcode from 'qrcode-terminal';

/** A QR code of `text` drawn with block characters (two modules per character row), for a terminal. */
export function terminalQr(text: string): string {
  let out = '';
  qrcode.generate(text, { small: true }, (qr) => {
    out = qr;
  });
  return out;
}
