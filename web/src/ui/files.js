// Files in and out: a download of bytes under a name, and reading an uploaded file.
export function downloadBytes(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function readBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

export async function readText(file) {
  return file.text();
}
