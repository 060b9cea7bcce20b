import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { ClientAddresses } from "./client-address.ts";

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
  }) as unknown as IncomingMessage;

test("a peer that is no trusted proxy is the client, whatever it forwards", () => {
  const addresses = new ClientAddresses();
  assert.equal(addresses.of(request("198.51.100.9", "203.0.113.7")), "198.51.100.9");
  assert.equal(addresses.of(request("::ffff:198.51.100.9")), "198.51.100.9");
});

test("behind trusted proxies the client is the last address no trusted proxy stands for", () => {
  const addresses = new ClientAddresses(["127.0.0.0/8", "::1", "10.0.0.0/8"]);
  assert.equal(addresses.of(request("::ffff:127.0.0.1", "203.0.113.7")), "203.0.113.7");
  // A client's own forged first hop is not believed past the real one a proxy appended.
  assert.equal(addresses.of(request("127.0.0.1", "192.0.2.1, 203.0.113.7, 10.1.2.3")), "203.0.113.7");
  assert.equal(addresses.of(request("::1", "2001:db8::5")), "2001:db8::5");
  // Nothing forwarded, only trusted hops, or a malformed hop: the proxy itself.
  assert.equal(addresses.of(request("127.0.0.1")), "127.0.0.1");
  assert.equal(addresses.of(request("127.0.0.1", "10.0.0.1")), "127.0.0.1");
  assert.equal(addresses.of(request("127.0.0.1", "203.0.113.7, not-an-address")), "127.0.0.1");
});

test("a trusted proxy list that is not addresses or ranges is refused at start", () => {
  assert.throws(() => new ClientAddresses(["gateway"]), /not an IP address or CIDR range: gateway/);
});
