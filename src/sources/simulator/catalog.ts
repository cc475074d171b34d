/** The simulated site: four vendors, twenty features, realistic sizes. Data only. */

export interface SimFeatureSpec {
  name: string;
  vendor: string;
  version: string;
  issued: number;
  /** Mean share of `issued` in use. */
  load: number;
  /** Largest number of licenses one checkout takes (multi-license checkouts when > 1). */
  maxPerCheckout: number;
  uncounted?: boolean;
  /** Licenses reserved for a group (counted in use, as FlexLM does). */
  reservation?: { count: number; kind: 'GROUP' | 'HOST' | 'USER'; target: string };
  /** Always fully used with this many requests queued. */
  saturatedQueue?: number;
  /** Pool expires this many days after the simulation starts. */
  expiresInDays?: number;
}

export const SIM_VENDORS = [
  { name: 'ftxlmd', version: 'v11.19.6' },
  { name: 'snpslmd', version: 'v11.19.7' },
  { name: 'MLM', version: 'v11.19.6' },
  { name: 'cdslmd', version: 'v11.18.3' },
];

export const SIM_FEATURES: SimFeatureSpec[] = [
  { name: 'FTX_DEVELOPER', vendor: 'ftxlmd', version: 'v24.10', issued: 100, load: 0.25, maxPerCheckout: 1 },
  { name: 'FTX_RUNTIME', vendor: 'ftxlmd', version: 'v24.10', issued: 400, load: 0.4, maxPerCheckout: 8 },
  { name: 'shared_runtime_pool', vendor: 'ftxlmd', version: 'v24.10', issued: 10000, load: 0.02, maxPerCheckout: 50 },
  { name: 'FTX_COVERAGE', vendor: 'ftxlmd', version: 'v24.10', issued: 20, load: 0.3, maxPerCheckout: 1 },
  {
    name: 'FTX_ANALYZER',
    vendor: 'ftxlmd',
    version: 'v24.10',
    issued: 10,
    load: 0.5,
    maxPerCheckout: 1,
    expiresInDays: 12,
  },
  {
    name: 'VCSRuntime_Net',
    vendor: 'snpslmd',
    version: 'v2023.12',
    issued: 50,
    load: 0.5,
    maxPerCheckout: 4,
    reservation: { count: 2, kind: 'GROUP', target: 'verification' },
  },
  { name: 'DC-Expert', vendor: 'snpslmd', version: 'v2023.12', issued: 5, load: 0.4, maxPerCheckout: 1 },
  { name: 'Design-Compiler', vendor: 'snpslmd', version: 'v2023.12', issued: 8, load: 0.5, maxPerCheckout: 1 },
  { name: 'PrimeTime', vendor: 'snpslmd', version: 'v2023.12', issued: 6, load: 0.5, maxPerCheckout: 1 },
  { name: 'Verdi', vendor: 'snpslmd', version: 'v2023.12', issued: 12, load: 0.35, maxPerCheckout: 1 },
  { name: 'MATLAB', vendor: 'MLM', version: 'v52', issued: 60, load: 0.45, maxPerCheckout: 1 },
  { name: 'SIMULINK', vendor: 'MLM', version: 'v52', issued: 30, load: 0.3, maxPerCheckout: 1 },
  { name: 'Optimization_Toolbox', vendor: 'MLM', version: 'v52', issued: 10, load: 0.2, maxPerCheckout: 1 },
  { name: 'Signal_Toolbox', vendor: 'MLM', version: 'v52', issued: 10, load: 0.2, maxPerCheckout: 1 },
  { name: 'Statistics_Toolbox', vendor: 'MLM', version: 'v52', issued: 8, load: 0.25, maxPerCheckout: 1 },
  {
    name: 'Distrib_Computing_Toolbox',
    vendor: 'MLM',
    version: 'v52',
    issued: 2,
    load: 1,
    maxPerCheckout: 1,
    saturatedQueue: 1,
  },
  { name: 'TMW_Archive', vendor: 'MLM', version: 'v52', issued: 0, load: 0, maxPerCheckout: 1, uncounted: true },
  { name: 'Virtuoso_Schematic_Editor_L', vendor: 'cdslmd', version: 'v23.1', issued: 15, load: 0.4, maxPerCheckout: 1 },
  { name: 'Spectre', vendor: 'cdslmd', version: 'v23.1', issued: 20, load: 0.35, maxPerCheckout: 4 },
  { name: 'Xcelium_Single_Core', vendor: 'cdslmd', version: 'v23.1', issued: 40, load: 0.45, maxPerCheckout: 2 },
];

const FIRST = [
  'john',
  'jane',
  'ahmed',
  'li',
  'maria',
  'olga',
  'kenji',
  'priya',
  'lucas',
  'emma',
  'noah',
  'sofia',
  'ivan',
  'chen',
  'fatima',
  'diego',
  'anna',
  'tomas',
  'yuki',
  'omar',
];
const LAST = [
  'doe',
  'smith',
  'hassan',
  'wei',
  'garcia',
  'petrova',
  'sato',
  'patel',
  'muller',
  'jensen',
  'kim',
  'rossi',
  'novak',
  'zhang',
  'ali',
  'lopez',
  'berg',
  'horvat',
  'tanaka',
  'nasser',
];

export const SIM_USERS: string[] = FIRST.map((f, i) => `${f}.${LAST[i]}`);
export const SIM_HOSTS: string[] = [
  'workstation-123',
  'dev-machine',
  ...Array.from({ length: 14 }, (_, i) => `ws-${String(i + 101).padStart(3, '0')}`),
  ...Array.from({ length: 6 }, (_, i) => `farm-node-${String(i + 1).padStart(2, '0')}`),
];
