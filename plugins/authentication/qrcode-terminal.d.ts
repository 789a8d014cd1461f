declare module 'qrcode-terminal' {
  const qrcode: {
    /** Renders `input` as a QR code of terminal characters; calls `cb` synchronously with the text. */
    generate(input: string, opts: { small?: boolean }, cb: (qr: string) => void): void;
  };
  export default qrcode;
}
