/**
 * Test API of @graft/trainer (`@graft/trainer/testing/events`): the trainer's event outbox and
 * publisher, for tests and benches that drive the real ones against a gateway without loading
 * TensorFlow.js. Not for production code.
 */
export { Outbox } from "./node/outbox.ts";
export { runEventPublisher } from "./node/run-events.ts";
