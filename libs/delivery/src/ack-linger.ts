/**
 * How long an ACK waits for others before it is recorded: its item's delivered mark, its device's
 * position and its MessageDelivered share one statement and one produce with every ACK of that
 * time. At everyday rates each ACK was otherwise a statement and a commit of its own (a wake-up of
 * the gateway and of a PostgreSQL backend, 0.5-1 ms of CPU per message here) and a produce that
 * also woke the delivery worker's fetch. Nobody waits for the record: the recipient has the message,
 * the sender's `delivered` receipt comes up to this much later, and a device that reconnects within
 * it, or a gateway that crashes within it, may be given the message again (at least once, as after
 * any failure; docs/protocol.md §2.6).
 */
export const ACK_LINGER_MS = 100;
