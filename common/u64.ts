// Conversions between unsigned 64-bit counters (bigint) and doubles through a typed array: the
// same values as Number(b) and BigInt(n), without their runtime calls (about 20 ns each against
// 2-6 ns; the window engine makes 8 of each per interface sample).
// Precondition: 0 <= b < 2^64 (the contract's range for counters); n an integer in [0, 2^64).

const cell = new BigUint64Array(1);
const halves = new Uint32Array(cell.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;
const TWO_32 = 4294967296;

/** Number(b): exact below 2^53, correctly rounded above (one rounding of hi * 2^32 + lo). */
export function u64ToNumber(b: bigint): number {
  cell[0] = b;
  return halves[HI] * TWO_32 + halves[LO];
}

/** BigInt(n) for an integer 0 <= n < 2^64. */
export function numberToU64(n: number): bigint {
  const lo = n % TWO_32;
  halves[LO] = lo;
  halves[HI] = (n - lo) / TWO_32;
  return cell[0];
}
