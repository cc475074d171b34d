import { validate, validateFeature } from '../../src/domain/validate';
import { checkout, feature, snapshot } from '../helpers/snapshots';

const codes = (f: ReturnType<typeof validateFeature>) => f.issues.map((i) => i.code);

describe("validate(): the LicenseSummary's three checks, reconciled", () => {
  test('a consistent feature is valid and free = issued - used', () => {
    const v = validateFeature(feature('F', 10, 3, [checkout('a', 'h'), checkout('b', 'h', { count: 2 })]));
    expect(v).toMatchObject({ valid: true, free: 7, checkedOut: 3, reserved: 0, issues: [] });
  });

  test('check 1: checkouts must match used (sum of license counts)', () => {
    const v = validateFeature(feature('F', 10, 4, [checkout('a', 'h'), checkout('b', 'h', { count: 2 })]));
    expect(v.valid).toBe(false);
    expect(v.issues).toEqual([expect.objectContaining({ code: 'CHECKOUTS_MISMATCH', expected: 4, actual: 3 })]);
  });

  test('check 1 counts reservations as in use, and ignores queued requests', () => {
    const f = feature('F', 10, 3, [checkout('a', 'h')], {
      reservations: [{ count: 2, kind: 'GROUP', target: 'DED' }],
      queued: [{ username: 'q', hostname: 'h', count: 1 }],
    });
    expect(validateFeature(f)).toMatchObject({ valid: true, reserved: 2, queued: 1, free: 7 });
  });

  test('check 2: free = issued - used fails when used exceeds issued', () => {
    const v = validateFeature(feature('F', 2, 3, [checkout('a', 'h', { count: 3 })]));
    expect(codes(v)).toEqual(['FREE_MISMATCH']);
    expect(v.issues[0]).toMatchObject({ expected: '>= 0', actual: -1 });
  });

  test('check 2: a source-reported free that disagrees is flagged', () => {
    const v = validateFeature(feature('F', 10, 1, [checkout('a', 'h')], { reportedFree: 8 }));
    expect(v.issues).toEqual([expect.objectContaining({ code: 'FREE_MISMATCH', expected: 9, actual: 8 })]);
  });

  test('check 3: issued and used must be non-negative', () => {
    expect(codes(validateFeature(feature('F', -1, 0)))).toEqual(['NEGATIVE_ISSUED']);
    expect(codes(validateFeature(feature('F', 5, -2)))).toEqual(['NEGATIVE_USED']);
  });

  test('missing counts are invalid, not zero', () => {
    expect(codes(validateFeature(feature('F', null, null)))).toEqual(['MISSING_ISSUED', 'MISSING_USED']);
  });

  test('uncounted features skip the arithmetic', () => {
    const v = validateFeature(feature('F', null, null, [checkout('a', 'h')], { uncounted: true }));
    expect(v).toMatchObject({ valid: true, free: null });
  });

  test('a feature the server could not report on is invalid', () => {
    const v = validateFeature(
      feature('F', null, null, [], {
        error: { code: 'CANNOT_GET_USERS', message: 'No such feature exists. (-5,222)' },
      }),
    );
    expect(v.issues).toEqual([expect.objectContaining({ code: 'FEATURE_UNAVAILABLE', actual: 'CANNOT_GET_USERS' })]);
  });

  test('unreadable lines invalidate only when they could change a count', () => {
    const s = snapshot('s', [feature('F', 1, 0), feature('G', 1, 0)], {
      warnings: [
        { code: 'UNPARSED_LINE', message: 'x', feature: 'F', affectsCounts: true },
        { code: 'UNPARSED_LINE', message: 'y', feature: 'G', affectsCounts: false },
      ],
    });
    const v = validate(s);
    expect(v.valid).toBe(false);
    expect(v.features.map((f) => f.valid)).toEqual([false, true]);
    expect(v.features[0].issues[0]).toMatchObject({ code: 'UNPARSED_LINES', actual: 1 });
  });

  test('the report is invalid when the server is down, a daemon is down, or data is stale', () => {
    expect(validate(snapshot('s', [], { status: 'DOWN', error: 'Cannot connect' })).issues[0]).toMatchObject({
      code: 'SERVER_DOWN',
    });
    const d = validate(
      snapshot('s', [], {
        vendorDaemons: [{ name: 'theorem', status: 'DOWN', message: 'The desired vendor daemon is down. (-97,121)' }],
      }),
    );
    expect(d).toMatchObject({ valid: false, issues: [expect.objectContaining({ code: 'VENDOR_DAEMON_DOWN' })] });
    expect(validate(snapshot('s', []), { stale: true }).issues.map((i) => i.code)).toEqual(['SOURCE_UNAVAILABLE']);
    expect(validate(snapshot('s', [feature('F', 1, 0)])).valid).toBe(true);
  });
});
