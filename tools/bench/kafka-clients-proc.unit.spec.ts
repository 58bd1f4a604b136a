import { listeningInodes, machineJiffies, statCpuSeconds } from './kafka-clients-proc';

const HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (local: string, state: string, inode: string) =>
  `   0: ${local} 00000000000000000000000000000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 00000000fe4fd6f5 100 0 0 10 0`;

describe('listeningInodes (which sockets listen on the broker port)', () => {
  it('given IPv6 and IPv4 listeners on several ports, then only those on the port are returned', () => {
    const text = [
      HEADER,
      row('0000000000000000FFFF00000100007F:23E8', '0A', '21708'), // 127.0.0.1:9192, listening
      row('0000000000000000FFFF00000100007F:2384', '0A', '21702'), // 9092: another broker
      row('0100007F:23E8', '0A', '555'), // IPv4 127.0.0.1:9192
    ].join('\n');
    expect([...listeningInodes(text, 9192)].sort()).toEqual(['21708', '555']);
  });

  it('given a connection to the port that is not listening, then it is not the broker', () => {
    // st 01 = ESTABLISHED: a client's socket to 9192 (our own producer, say).
    const text = [HEADER, row('0100007F:23E8', '01', '777')].join('\n');
    expect(listeningInodes(text, 9192).size).toBe(0);
  });
});

describe('statCpuSeconds', () => {
  it('given a command name with spaces and parentheses, then utime + stime are read after it', () => {
    const fields = ['S', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '250', '150', '0'];
    expect(statCpuSeconds(`42 (java (x) y) ${fields.join(' ')}`)).toBe(4);
  });
});

describe('machineJiffies', () => {
  it('given the cpu line of /proc/stat, then idle and iowait are not busy, and guest time is not counted twice', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const sample = machineJiffies('cpu  100 0 50 800 50 0 0 0 30 0\ncpu0 1 2 3');
    expect(sample).toEqual({ busy: 150, total: 1000 });
  });
});
