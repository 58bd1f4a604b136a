import { SoakLedger, formatTable, type Findings } from './soak-ledger';

const none: Findings = { missing: new Set(), duplicated: new Set(), undelivered: new Map() };

function send(ledger: SoakLedger, messageId: string, at: number, recipients = ['bob']) {
  ledger.attempt({ messageId, senderId: 'alice', recipients, via: 'stomp' }, at);
}

describe('SoakLedger', () => {
  it('puts each acknowledged send in the window of the fault before its first attempt', () => {
    // Given traffic from t=0, a fault at t=10 s, and sends before and after it
    const ledger = new SoakLedger();
    ledger.begin(0);
    send(ledger, 'm1', 1_000);
    ledger.acknowledge('m1', 1_000, 1_100);
    ledger.fault('gateway', 10_000);
    send(ledger, 'm2', 11_000);
    send(ledger, 'm3', 12_000);
    // m2 is retried after the fault and acknowledged; m3 never is
    send(ledger, 'm2', 14_000);
    ledger.acknowledge('m2', 14_000, 14_500);

    // When the table is drawn
    const rows = ledger.table(none);

    // Then the warm-up has m1, the gateway window m2, and the unacknowledged m3 counts nowhere
    expect(rows.map((r) => [r.fault, r.acknowledged])).toEqual([
      ['(none: warm-up)', 1],
      ['gateway', 1],
      ['total', 2],
    ]);
    expect(ledger.sends.get('m2')?.attempts).toBe(2);
    expect(ledger.unacknowledged().map((s) => s.messageId)).toEqual(['m3']);
  });

  it('measures recovery from the fault to the first acknowledgement of an attempt made after it', () => {
    // Given a send attempted before the fault and acknowledged after it
    const ledger = new SoakLedger();
    ledger.begin(0);
    send(ledger, 'old', 9_000);
    const fault = ledger.fault('kafka-broker', 10_000);
    ledger.acknowledge('old', 9_000, 10_200);
    // When the first send attempted after the fault is acknowledged 3.5 s after it
    send(ledger, 'new', 11_000);
    ledger.acknowledge('new', 11_000, 13_500);

    // Then that, not the older attempt's answer, is the recovery
    expect(fault.firstAckAfter).toBe(13_500);
    expect(ledger.table(none)[1]?.recoverySeconds).toBe(3.5);
  });

  it('counts a message as undelivered until every recipient device has received it', () => {
    const ledger = new SoakLedger();
    ledger.begin(0);
    send(ledger, 'group-1', 1_000, ['bob', 'carol']);
    ledger.acknowledge('group-1', 1_000, 1_050);
    ledger.receive('bob', 'group-1');
    ledger.receive('bob', 'group-1'); // a redelivery counts once

    expect(ledger.undelivered()).toEqual(new Map([['group-1', ['carol']]]));
    ledger.receive('carol', 'group-1');
    expect(ledger.undelivered().size).toBe(0);
  });

  it('carries the findings into the rows and the total', () => {
    const ledger = new SoakLedger();
    ledger.begin(0);
    for (const [id, at] of [
      ['a', 1_000],
      ['b', 2_000],
      ['c', 21_000],
    ] as const) {
      send(ledger, id, at);
      ledger.acknowledge(id, at, at + 10);
    }
    ledger.fault('postgres', 20_000);

    const rows = ledger.table({
      missing: new Set(['a']),
      duplicated: new Set(['c']),
      undelivered: new Map([['b', ['bob']]]),
    });

    expect(rows.map((r) => [r.fault, r.missing, r.duplicates, r.undelivered])).toEqual([
      ['(none: warm-up)', 1, 0, 1],
      ['postgres', 0, 1, 0],
      ['total', 1, 1, 1],
    ]);
    expect(formatTable(rows)).toContain('| postgres');
  });

  it('refuses an acknowledgement of a message it never saw sent', () => {
    const ledger = new SoakLedger();
    expect(() => ledger.acknowledge('ghost', 0, 1)).toThrow('never sent');
  });
});
