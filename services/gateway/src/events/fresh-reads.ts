/**
 * Reads shared by callers that ask for the same key at about the same time, each of which
 * still gets a read that *started after it asked*: a caller never joins a read already under
 * way (it may predate what the caller must see, e.g. its live feed being attached). Per key,
 * at most one read is under way and one waits; everyone who asks while a read is under way
 * shares the waiting one, which starts when the current one settles. A lone caller's read
 * starts at once.
 *
 * Thousands of subscribers of one run connecting together cost one status read per round
 * trip, not one each.
 */
export class FreshReads<K, V> {
  readonly #keys = new Map<K, { running: Promise<unknown>; next?: Promise<V> }>();

  /** `read` must read the same thing for the same key: a waiting read is the first asker's. */
  read(key: K, read: () => Promise<V>): Promise<V> {
    const current = this.#keys.get(key);
    if (!current) return this.#start(key, read);
    current.next ??= current.running.then(
      () => this.#start(key, read),
      () => this.#start(key, read),
    );
    return current.next;
  }

  /** Keys with a read under way or waiting, for tests. */
  get size(): number {
    return this.#keys.size;
  }

  #start(key: K, read: () => Promise<V>): Promise<V> {
    const running = read();
    const entry = { running };
    this.#keys.set(key, entry);
    const settled = () => {
      // A waiting read replaces this entry when it starts; only the last one removes it.
      if (this.#keys.get(key) === entry) this.#keys.delete(key);
    };
    running.then(settled, settled);
    return running;
  }
}
