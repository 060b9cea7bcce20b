import { GraftApiError } from "./errors.ts";
import type { GraftFetcher, RequestBody } from "./fetcher.ts";

/** What POST /uploads answers; `uploadId` feeds createDataset and registerModel. */
export interface UploadResult {
  uploadId: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * POSTs bytes (a zip of class folders, or of a tfjs model) to the gateway's /uploads. A refusal
 * throws GraftApiError with the gateway's code (PAYLOAD_TOO_LARGE, BAD_USER_INPUT,
 * UNAUTHENTICATED) and `field` "file".
 */
export async function upload(
  fetcher: GraftFetcher,
  body: RequestBody,
  options: { contentType?: string; timeoutMs?: number | null } = {},
): Promise<UploadResult> {
  const response = await fetcher.send(body, {
    url: fetcher.uploadsUrl,
    contentType: options.contentType ?? "application/zip",
    timeoutMs: options.timeoutMs,
  });
  const text = await response.text();
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(text);
  } catch {
    // a non-JSON refusal is reported below with its status
  }
  if (response.status === 401) {
    throw new GraftApiError("UNAUTHENTICATED", "the API key was refused", undefined, { status: 401 });
  }
  if (response.status === 200 || response.status === 201) {
    if (typeof payload.uploadId === "string") return payload as unknown as UploadResult;
  }
  const code =
    typeof payload.code === "string" ? payload.code : response.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_USER_INPUT";
  const message = typeof payload.error === "string" ? payload.error : text || `HTTP ${response.status}`;
  throw new GraftApiError(code, `upload refused: ${message}`, "file", { status: response.status });
}
