/**
 * Logs in to a running dashboard the way its login form does (CSRF token from GET /api/login,
 * bound to the pre-session cookie, then POST), and returns the `Cookie` header value that
 * carries the session. Tests of the dashboard's routes call it instead of a browser.
 */
export async function loginThroughApi(
  webUrl: string,
  apiKey: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; cookie: string | null; setCookie: string | null }> {
  const form = await fetch(`${webUrl}/api/login`, { headers });
  const preSession = cookiePair(form.headers.get("set-cookie"));
  const { csrfToken } = (await form.json()) as { csrfToken: string };
  const res = await fetch(`${webUrl}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: preSession ?? "", ...headers },
    body: JSON.stringify({ apiKey, csrfToken }),
  });
  await res.arrayBuffer();
  const setCookie = res.headers.get("set-cookie");
  const session = setCookie
    ?.split(/,(?=\s*[^;,=\s]+=)/)
    .map((c) => cookiePair(c))
    .find((pair) => pair?.includes("graft_session=graftsession_"));
  return { status: res.status, cookie: session ?? null, setCookie };
}

const cookiePair = (header: string | null | undefined) => header?.split(";")[0]?.trim() ?? null;
