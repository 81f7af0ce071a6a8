/** The caller-owned `denotrt_error` record (512 bytes), laid out as in c_shim/include/denotrt.h. */
export const ERROR_RECORD_BYTES = 512;
const API_OFFSET = 8;
const CODE_NAME_OFFSET = 72;
const MESSAGE_OFFSET = 136;

export interface ErrorRecord {
  status: number;
  code: number;
  api: string;
  codeName: string;
  message: string;
}

const decoder = new TextDecoder();

function cString(bytes: Uint8Array, start: number, end: number): string {
  const slice = bytes.subarray(start, end);
  const nul = slice.indexOf(0);
  return decoder.decode(nul < 0 ? slice : slice.subarray(0, nul));
}

export function newErrorRecord(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(ERROR_RECORD_BYTES);
}

export function readErrorRecord(bytes: Uint8Array): ErrorRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    status: view.getInt32(0, true),
    code: view.getInt32(4, true),
    api: cString(bytes, API_OFFSET, CODE_NAME_OFFSET),
    codeName: cString(bytes, CODE_NAME_OFFSET, MESSAGE_OFFSET),
    message: cString(bytes, MESSAGE_OFFSET, ERROR_RECORD_BYTES),
  };
}
