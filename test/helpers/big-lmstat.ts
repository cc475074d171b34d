/** Large lmstat -a outputs built from real lmstat line formats, for push-limit tests and bench/ingest-stall. */

/**
 * lmstat -a text with n features, one 2-license checkout each (the push: 100,000 features, ~8 MB). Without a
 * `status on` line, so a push stands for the moment it arrives (tests drive that with their clock).
 */
export function bigLmstat(n: number): string {
  const out = [
    'lmutil - Copyright (c) 1989-2005 Macrovision Europe Ltd. and/or Macrovision Corporation. All Rights Reserved.',
    '',
    'License server status: 28000@host1',
    '',
    'host1: license server UP (MASTER) v11.13',
    '',
    'Vendor daemon status (on host1):',
    '',
    '    vendor1: UP v11.13',
    '',
    'Feature usage info:',
    '',
  ];
  for (let i = 0; i < n; i++) {
    out.push(
      `Users of F${i}:  (Total of 10 licenses issued;  Total of 2 licenses in use)`,
      '',
      `  "F${i}" v31.0, vendor: vendor1`,
      '  floating license',
      '',
    );
    out.push(
      `    user${i % 97} ws${i} ws${i}0 (v31.0) (host1/28000 ${1000 + i}), start Fri 10/20 16:40, 2 licenses`,
      '',
    );
  }
  return out.join('\n') + '\n';
}
