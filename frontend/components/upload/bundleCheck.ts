/** Client-side checks of a bundle before it is sent (the server checks everything again). */

export const MAX_BUNDLE_BYTES = 500 * 1024 * 1024;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // PK\x03\x04
const RAR_MAGIC = [0x52, 0x61, 0x72, 0x21]; // Rar!

async function readHead(file: Blob, n: number): Promise<Uint8Array> {
  const head = file.slice(0, n);
  if (typeof head.arrayBuffer === "function") return new Uint8Array(await head.arrayBuffer());
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error("cannot read the file"));
    reader.readAsArrayBuffer(head);
  });
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Every problem with the file, in words a creator can act on; empty when it looks right. */
export async function checkBundle(file: File): Promise<string[]> {
  const problems: string[] = [];
  const lower = file.name.toLowerCase();
  const kind = lower.endsWith(".zip") ? "zip" : lower.endsWith(".rar") ? "rar" : null;
  if (!kind) problems.push(`"${file.name}" is not a .zip or .rar file`);
  if (file.size === 0) {
    problems.push("The file is empty");
    return problems;
  }
  if (file.size > MAX_BUNDLE_BYTES) {
    problems.push(`The file is ${(file.size / 1024 / 1024).toFixed(0)} MB; the limit is 500 MB`);
  }
  const head = await readHead(file, 4);
  const isZip = startsWith(head, ZIP_MAGIC);
  const isRar = startsWith(head, RAR_MAGIC);
  if (kind === "zip" && !isZip) problems.push("The file is not a valid ZIP archive (its first bytes are not PK\\x03\\x04)");
  if (kind === "rar" && !isRar) problems.push("The file is not a valid RAR archive (its first bytes are not Rar!)");
  if (!kind && !isZip && !isRar) problems.push("Its content is not a ZIP or RAR archive either");
  return problems;
}
