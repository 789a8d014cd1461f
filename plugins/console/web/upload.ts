/** Uploads a file into the node's share folder with progress (fetch cannot report upload progress). */
import { authHeaders, failure } from './api.js';

export interface Uploaded {
  path: string;
  size: number;
}

export function uploadFile(file: File, onProgress: (sent: number, total: number) => void): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/files/upload?name=${encodeURIComponent(file.name)}`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new Error('the upload was interrupted'));
    xhr.onload = () => {
      let json: unknown;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = undefined;
      }
      if (xhr.status === 201) resolve(json as Uploaded);
      else reject(failure(xhr.status, (json as { error?: { code?: string; message?: string } })?.error));
    };
    xhr.send(file);
  });
}
