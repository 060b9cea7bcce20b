import type { Socket } from "node:net";
import type { WebSocket } from "ws";

/**
 * Close code for a socket that fell too far behind: 1013, "try again later". A graphql-ws
 * client reconnects and resubscribes, and its first event is the run's state again.
 */
export const FELL_BEHIND = 1013;

export interface FrameLimits {
  /** Past this many frames waiting for one socket, its oldest droppable frame (LOG, PROGRESS) is discarded. @default 256 */
  softFrames?: number;
  /** Past this many bytes waiting for one socket, it is closed with FELL_BEHIND. @default 4 MiB */
  maxBytes?: number;
}

type Frame = { bytes: Buffer; owner: object; droppable: boolean };

/** One socket's frames waiting to be written, and whether its last write is still with the kernel. */
class SocketFrames {
  frames: Frame[] = [];
  bytes = 0;
  writing = false;
  /** Called when the last write is done: one function per socket, not one per write. */
  readonly written: (error?: Error) => void;

  constructor(
    readonly socket: WebSocket,
    readonly tcp: Socket,
    writeAgain: (queue: SocketFrames) => void,
  ) {
    this.written = (error) => {
      this.writing = false;
      if (!error) writeAgain(this);
    };
  }

  clear(): void {
    this.frames = [];
    this.bytes = 0;
  }
}

/**
 * Outgoing websocket text frames, written per socket once per turn of the event loop: all the
 * frames a socket has waiting go out corked, as one write, and while the kernel has not taken
 * a socket's last write its new frames wait and go out together after it. An event fanned out
 * to 10,000 sockets is one pass over them, with nothing awaited per socket (issue 13).
 *
 * Bounded per socket: past `softFrames` waiting, the oldest droppable frame is discarded; past
 * `maxBytes` waiting, the socket is closed with FELL_BEHIND. A stuck socket holds at most that
 * much and never holds up the others.
 */
export class FrameWriter {
  readonly #queues = new WeakMap<WebSocket, SocketFrames>();
  readonly #due = new Set<SocketFrames>();
  #scheduled = false;
  readonly #softFrames: number;
  readonly #maxBytes: number;
  readonly #writeAll = () => {
    this.#scheduled = false;
    for (const queue of this.#due) this.#write(queue);
    this.#due.clear();
  };
  readonly #writeAgain = (queue: SocketFrames) => this.#write(queue);

  constructor(limits: FrameLimits = {}) {
    this.#softFrames = limits.softFrames ?? 256;
    this.#maxBytes = limits.maxBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Queues one text frame for `socket` (`tcp` is the connection under it, corked around each
   * write); `owner` names the subscription it belongs to, for `drop`.
   */
  push(socket: WebSocket, tcp: Socket, bytes: Buffer, owner: object, droppable: boolean): void {
    if (socket.readyState !== socket.OPEN) return;
    let queue = this.#queues.get(socket);
    if (!queue) {
      queue = new SocketFrames(socket, tcp, this.#writeAgain);
      this.#queues.set(socket, queue);
    }
    queue.frames.push({ bytes, owner, droppable });
    queue.bytes += bytes.length;
    if (queue.frames.length > this.#softFrames) {
      const victim = queue.frames.findIndex((f) => f.droppable);
      if (victim >= 0) queue.bytes -= (queue.frames.splice(victim, 1)[0] as Frame).bytes.length;
    }
    if (queue.bytes > this.#maxBytes) {
      queue.clear();
      socket.close(FELL_BEHIND, "fell behind: reconnect and read the state again");
      return;
    }
    if (queue.writing) return;
    this.#due.add(queue);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#writeAll);
    }
  }

  /** Writes what waits for `socket` now, e.g. before a `complete` that must come after it. */
  flush(socket: WebSocket): void {
    const queue = this.#queues.get(socket);
    if (!queue) return;
    this.#due.delete(queue);
    this.#write(queue, true);
  }

  /** Discards the frames waiting for `socket` that belong to `owner` (a subscription that ended). */
  drop(socket: WebSocket, owner: object): void {
    const queue = this.#queues.get(socket);
    if (!queue || queue.frames.length === 0) return;
    queue.frames = queue.frames.filter((f) => f.owner !== owner);
    queue.bytes = queue.frames.reduce((sum, f) => sum + f.bytes.length, 0);
  }

  #write(queue: SocketFrames, evenIfWriting = false): void {
    if ((queue.writing && !evenIfWriting) || queue.frames.length === 0) return;
    const { socket, tcp, frames } = queue;
    queue.clear();
    if (socket.readyState !== socket.OPEN) return;
    queue.writing = true;
    // ws corks each frame's header and payload; corked around all of them, they are one writev.
    tcp.cork();
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) socket.send((frames[i] as Frame).bytes, { binary: false });
    socket.send((frames[last] as Frame).bytes, { binary: false }, queue.written);
    tcp.uncork();
  }
}
