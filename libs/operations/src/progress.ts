/** "12,345 / 100,000 events (12%) · 48,210/s · ETA 2s": one status line from counts and time. */
export function formatProgress(
  done: number,
  total: number | undefined,
  elapsedMs: number,
  unit: string,
): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const parts = [
    total === undefined
      ? `${done.toLocaleString('en-US')} ${unit}`
      : `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} ${unit} (${total === 0 ? 100 : Math.floor((100 * done) / total)}%)`,
    `${Math.round(rate).toLocaleString('en-US')}/s`,
  ];
  if (total !== undefined && rate > 0 && done < total)
    parts.push(`ETA ${formatDuration(((total - done) / rate) * 1000)}`);
  return parts.join(' · ');
}

export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Progress of long work on stderr (stdout stays data): redrawn in place on a terminal at most a few
 * times a second, one line every few seconds otherwise (CI logs).
 */
export class Progress {
  private readonly started = Date.now();
  private lastDrawn = 0;
  private done = 0;

  constructor(
    private readonly unit: string,
    private total?: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  advance(by = 1): void {
    this.done += by;
    const now = Date.now();
    if (now - this.lastDrawn >= (this.stream.isTTY ? 200 : 5_000)) {
      this.lastDrawn = now;
      this.draw();
    }
  }

  finish(): void {
    this.draw();
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(): void {
    const line = formatProgress(this.done, this.total, Date.now() - this.started, this.unit);
    this.stream.write(this.stream.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  }
}
