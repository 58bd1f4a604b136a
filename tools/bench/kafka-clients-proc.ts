// What /proc says about the broker and the machine, for the client benchmark's CPU columns.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { statTimes } from './process-cpu';

/** Socket inodes listening on `port` (IPv4 or IPv6), from the text of /proc/net/tcp and tcp6. */
export function listeningInodes(procNetTcp: string, port: number): Set<string> {
  const inodes = new Set<string>();
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // local_address is field 1 ("ADDR:PORT", hex), st field 3 ("0A" = LISTEN), inode field 9.
    const local = fields[1];
    if (!local || fields[3] !== '0A') continue;
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && fields[9]) inodes.add(fields[9]);
  }
  return inodes;
}

/** CPU seconds (utime + stime) from the text of /proc/<pid>/stat. */
export function statCpuSeconds(stat: string): number {
  return statTimes(stat).cpuSeconds;
}

/** Busy and total jiffies of all cores, from the first line of /proc/stat. */
export function machineJiffies(procStat: string): { busy: number; total: number } {
  const values = (procStat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * The broker's JVM: a process whose command line runs kafka.Kafka and that listens on `port`
 * (other brokers run on this machine too).
 */
export function findBrokerPid(port: number): number | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const inodes = listeningInodes(read('/proc/net/tcp') + read('/proc/net/tcp6'), port);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (!read(`/proc/${entry}/cmdline`).includes('kafka.Kafka')) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return Number(entry);
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function machineSample(): { busy: number; total: number } {
  return machineJiffies(readFileSync('/proc/stat', 'utf8'));
}
