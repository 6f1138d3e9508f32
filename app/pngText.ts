/**
 * PNG text chunks: writes uncompressed iTXt chunks (UTF-8 text, so class labels of any script survive) right after
 * IHDR, and reads tEXt and uncompressed iTXt chunks back. Enough of the PNG spec for a downloaded image to carry its
 * settings (urlState.ts: pngEntries / pngSearch), nothing more.
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of PNG chunks (ISO 3309), over type and data. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function isPng(png: Uint8Array): boolean {
  return png.length >= 8 && SIGNATURE.every((b, i) => png[i] === b);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeAndData = out.subarray(4, 8 + data.length);
  typeAndData.set(new TextEncoder().encode(type), 0);
  typeAndData.set(data, 4);
  view.setUint32(8 + data.length, crc32(typeAndData));
  return out;
}

/** An uncompressed iTXt chunk: keyword (Latin-1, 1-79 chars), no language tag, UTF-8 text. */
function iTXt(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new RangeError(`bad PNG text keyword ${JSON.stringify(keyword)}`);
  const key = new TextEncoder().encode(keyword);
  const value = new TextEncoder().encode(text);
  // keyword \0 compression-flag(0) compression-method(0) language \0 translated-keyword \0 text
  const data = new Uint8Array(key.length + 5 + value.length);
  data.set(key, 0);
  data.set(value, key.length + 5);
  return chunk('iTXt', data);
}

/** `png` with one iTXt chunk per entry inserted after IHDR. */
export function withTextChunks(png: Uint8Array, entries: [string, string][]): Uint8Array<ArrayBuffer> {
  if (!isPng(png)) throw new RangeError('not a PNG');
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunks = entries.map(([k, v]) => iTXt(k, v));
  const out = new Uint8Array(png.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(png.subarray(0, ihdrEnd), 0);
  let at = ihdrEnd;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  out.set(png.subarray(ihdrEnd), at);
  return out;
}

/** Every tEXt and uncompressed iTXt chunk of `png` (keyword -> text); empty for anything that is not a PNG. */
export function readTextChunks(png: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  if (!isPng(png)) return out;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = latin1.decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, Math.min(png.length, at + 8 + length));
    if (type === 'tEXt' || type === 'iTXt') {
      const zero = data.indexOf(0);
      if (zero > 0) {
        const keyword = latin1.decode(data.subarray(0, zero));
        if (type === 'tEXt') {
          out.set(keyword, latin1.decode(data.subarray(zero + 1)));
        } else if (data[zero + 1] === 0) {
          // Skip compression flag and method, then the language tag and the translated keyword (both \0-ended).
          const language = data.indexOf(0, zero + 3);
          const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
          if (translated >= 0) out.set(keyword, utf8.decode(data.subarray(translated + 1)));
        }
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return out;
}
