import { Writable } from 'node:stream';

/** A stream that keeps what is written to it, as a terminal (isTTY) by default: for a Ui in command tests. */
export class Sink extends Writable {
  text = '';
  constructor(readonly isTTY = true) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}
