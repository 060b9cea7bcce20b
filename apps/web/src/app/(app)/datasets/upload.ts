export interface UploadResult {
  uploadId: string;
  sizeBytes: number;
  sha256: string;
}

export class UploadError extends Error {
  override name = "UploadError";
}

/** The gateway tells a zip from a text dataset by its bytes; the type is only informative. */
function contentType(file: File): string {
  if (/\.csv$/i.test(file.name)) return "text/csv";
  if (/\.jsonl$/i.test(file.name)) return "application/jsonl";
  return "application/zip";
}

/** XMLHttpRequest rather than fetch: it is the browser API that reports upload progress. */
export function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/upload");
    xhr.setRequestHeader("content-type", contentType(file));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new UploadError("The upload failed: network error"));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        // fall through to the status check
      }
      if (xhr.status === 201 || xhr.status === 200) {
        if (typeof body.uploadId === "string") return resolve(body as unknown as UploadResult);
      }
      const message = typeof body.error === "string" ? body.error : (body as { message?: string }).message;
      reject(new UploadError(message ?? `The upload was refused (HTTP ${xhr.status})`));
    };
    xhr.send(file);
  });
}
