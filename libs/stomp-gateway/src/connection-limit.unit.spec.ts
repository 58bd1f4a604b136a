import { ConnectionsPerAddress } from './connection-limit';

describe('ConnectionsPerAddress', () => {
  it('given a cap of 2, when an address opens a third connection then it is refused; others are counted apart', () => {
    const connections = new ConnectionsPerAddress(2);
    expect(connections.tryOpen('10.0.0.1')).toBe(true);
    expect(connections.tryOpen('10.0.0.1')).toBe(true);
    expect(connections.tryOpen('10.0.0.1')).toBe(false);
    expect(connections.tryOpen('10.0.0.2')).toBe(true);
    expect(connections.countOf('10.0.0.1')).toBe(2);
    expect(connections.addresses).toBe(2);
  });

  it('given an address at its cap, when one of its connections closes then one more may open, and an address with none is forgotten', () => {
    const connections = new ConnectionsPerAddress(1);
    expect(connections.tryOpen('::1')).toBe(true);
    expect(connections.tryOpen('::1')).toBe(false);
    connections.closed('::1');
    expect(connections.countOf('::1')).toBe(0);
    expect(connections.addresses).toBe(0);
    expect(connections.tryOpen('::1')).toBe(true);
  });
});
