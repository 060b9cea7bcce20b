const BASE = "http://dashboard.invalid";

/**
 * Where to go after logging in: only a path on this site. `//evil`, `/\evil`, `/%5Cevil`
 * decoded, `https://evil`, tabs or newlines that URL parsing drops: anything that would
 * resolve to another origin becomes "/". The path returned is the parsed one, so what the
 * browser is sent to is exactly what was checked.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE || url.pathname.startsWith("//")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
