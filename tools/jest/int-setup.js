// Integration tests wait on a real broker (group joins, rebalances): give them room, and poll
// with waitFor rather than sleeping.
jest.setTimeout(120_000);
