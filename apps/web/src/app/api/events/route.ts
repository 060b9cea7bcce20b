import { RunEventsDocument, StudyUpdatedDocument, SweepUpdatedDocument, TrainerEventsDocument } from "@graft/client";
import { forwardedFor } from "@/lib/server/gateway.ts";
import { refuseForeignRequest } from "@/lib/server/request-guard.ts";
import { sessionToken } from "@/lib/server/session.ts";
import { type SubscriptionHandlers, subscribeGateway } from "@/lib/server/subscribe.ts";

export const dynamic = "force-dynamic";

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// Proxies and browsers drop idle streams; a comment line keeps the connection open.
const KEEPALIVE_MS = 15_000;

type Open = (handlers: SubscriptionHandlers<unknown>) => () => void;
/** The subscriptions of one thing, by the query parameter that names it. */
type Forwarded = Record<string, string>;
const BY_ID: Record<string, (id: string, key: string, forwarded: Forwarded) => Open> = {
  runId: (runId, key, fwd) => (handlers) => subscribeGateway(RunEventsDocument, { runId }, key, fwd, handlers),
  sweepId: (id, key, fwd) => (handlers) => subscribeGateway(SweepUpdatedDocument, { id }, key, fwd, handlers),
  studyId: (id, key, fwd) => (handlers) => subscribeGateway(StudyUpdatedDocument, { id }, key, fwd, handlers),
};

/**
 * Server-Sent Events relay of one gateway subscription: `?runId=<id>` for runEvents,
 * `?sweepId=<id>` for sweepUpdated, `?studyId=<id>` for studyUpdated, or `?topic=trainers`
 * for trainerEvents. Each event is the subscription's `data` as JSON.
 */
export async function GET(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: false });
  if (refused) return refused;
  const key = await sessionToken();
  if (!key) return new Response("Log in first", { status: 401 });
  const forwarded = await forwardedFor();
  const params = new URL(request.url).searchParams;
  const named = Object.entries(BY_ID).find(([name]) => params.has(name));
  let open: Open;
  if (named) {
    const [name, subscription] = named;
    const id = params.get(name) ?? "";
    if (!ID_PATTERN.test(id)) return new Response(`Bad ${name}`, { status: 400 });
    open = subscription(id, key, forwarded);
  } else if (params.get("topic") === "trainers") {
    open = (handlers) => subscribeGateway(TrainerEventsDocument, {}, key, forwarded, handlers);
  } else {
    return new Response("Pass ?runId=<id>, ?sweepId=<id>, ?studyId=<id> or ?topic=trainers", { status: 400 });
  }

  const encoder = new TextEncoder();
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (chunk: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(chunk));
        } catch {
          closed = true;
        }
      };
      send("retry: 2000\n: connected\n\n");
      const keepalive = setInterval(() => send(": keepalive\n\n"), KEEPALIVE_MS);
      const dispose = open({
        next: (data) => send(`data: ${JSON.stringify(data)}\n\n`),
        error: (message) => send(`event: gateway-error\ndata: ${JSON.stringify({ message })}\n\n`),
        complete: () => send("event: complete\ndata: {}\n\n"),
      });
      stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        dispose();
        try {
          controller.close();
        } catch {
          // already closed by the client going away
        }
      };
      request.signal.addEventListener("abort", () => stop());
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
