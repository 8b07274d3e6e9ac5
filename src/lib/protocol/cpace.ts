/**
 * CPace balanced PAKE, cipher suite CPACE-RISTR255-SHA512, following draft-irtf-cfrg-cpace-21
 * (section numbers below refer to that revision). Plain TypeScript over @noble/curves and
 * @noble/hashes so the same module runs in the page, in Web Workers and in Node.
 *
 * The output is the intermediate session key ISK (§7.2). K is never exposed by the protocol
 * functions (§10.3); callers SHOULD run ISK through a KDF and add key confirmation (§10.4).
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const Point = ristretto255.Point;
type RistrettoPoint = InstanceType<typeof Point>;

/** G_Ristretto255.DSI (§8.3). */
const CPACE_DSI = utf8ToBytes('CPaceRistretto255');
/** G.DSI || b"_ISK", the label of the ISK hash (§7.2). */
const DSI_ISK = utf8ToBytes('CPaceRistretto255_ISK');
/** H.s_in_bytes for SHA-512: its compression function eats 128-byte blocks (§6.2). */
const SHA512_S_IN_BYTES = 128;
/** Prime order of the ristretto255 group (§8.3). */
const ORDER = Point.Fn.ORDER;

/** Thrown where the draft has scalar_mult_vfy return G.I and the party MUST abort (§7.2, §9). */
export class CpaceError extends Error {
	readonly code = 'cpace-invalid-point' as const;
	constructor(message: string) {
		super(message);
		this.name = 'CpaceError';
	}
}

/** A party's ephemeral secret scalar and its public share Ya / Yb (encoded, 32 bytes). */
export interface CpaceShare {
	scalar: bigint;
	share: Uint8Array;
}

// ---------------------------------------------------------------- string utilities (§6.3, A.1)

/** prepend_len: LEB128 length (7 bits per byte, least significant first) then the data (A.1.1). */
export function prependLen(data: Uint8Array): Uint8Array {
	const len: number[] = [];
	let n = data.length;
	do {
		len.push(n < 128 ? n : (n & 0x7f) | 0x80);
		n = Math.floor(n / 128);
	} while (n !== 0);
	return concatBytes(Uint8Array.from(len), data);
}

/** lv_cat: concatenation of prepend_len of every argument, a prefix-free encoding (A.1.3, §10.2). */
export function lvCat(...args: Uint8Array[]): Uint8Array {
	return concatBytes(...args.map(prependLen));
}

/**
 * generator_string (§8.1, A.2). The zero padding makes DSI and PRS fill the whole first hash
 * block, so the work done on the password is independent of its length and of CI / sid.
 */
export function generatorString(
	dsi: Uint8Array,
	prs: Uint8Array,
	ci: Uint8Array,
	sid: Uint8Array,
	sInBytes: number
): Uint8Array {
	const lenZpad = Math.max(0, sInBytes - 1 - prependLen(prs).length - prependLen(dsi).length);
	return lvCat(dsi, prs, new Uint8Array(lenZpad), ci, sid);
}

/** lexiographically_larger (A.3.1): bytewise compare, then the longer string wins. */
export function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
	const min = Math.min(a.length, b.length);
	for (let i = 0; i < min; i++) {
		const x = a[i] as number;
		const y = b[i] as number;
		if (x !== y) return x > y;
	}
	return a.length > b.length;
}

/** o_cat (A.3.2): b"oc" then the larger string first, so both parties get the same bytes. */
export function oCat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const oc = utf8ToBytes('oc');
	return lexicographicallyLarger(a, b) ? concatBytes(oc, a, b) : concatBytes(oc, b, a);
}

/** transcript_ir (§6.3, A.3.4): the initiator's message always comes first. */
export function transcriptIr(
	ya: Uint8Array,
	ada: Uint8Array,
	yb: Uint8Array,
	adb: Uint8Array
): Uint8Array {
	return concatBytes(lvCat(ya, ada), lvCat(yb, adb));
}

/** transcript_oc (§6.3, A.3.6): for the symmetric setting without message ordering. */
export function transcriptOc(
	ya: Uint8Array,
	ada: Uint8Array,
	yb: Uint8Array,
	adb: Uint8Array
): Uint8Array {
	return oCat(lvCat(ya, ada), lvCat(yb, adb));
}

// ---------------------------------------------------------------- group G_Ristretto255 (§8.3)

/**
 * calculate_generator (§8.3): gen_str hashed to 2 * field_size_bytes = 64 bytes, then the
 * RFC 9496 element derivation (one-way map of both halves, added). noble types this hook as
 * optional, hence the guard.
 */
function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): RistrettoPoint {
	const hash = sha512(generatorString(CPACE_DSI, prs, ci, sid, SHA512_S_IN_BYTES));
	const g = ristretto255_hasher.deriveToCurve?.(hash);
	if (!g) throw new Error('@noble/curves lacks ristretto255 element derivation');
	return g;
}

/**
 * sample_scalar (§8.3, recommended form): 32 random bytes with every bit above
 * group_size_bits = 252 cleared, read little-endian. That is below the order already;
 * zero (probability 2^-252) is redrawn because noble refuses it.
 */
function sampleScalar(): bigint {
	for (;;) {
		const bytes = crypto.getRandomValues(new Uint8Array(32));
		bytes[31] = (bytes[31] as number) & 0x0f;
		const y = bytesToNumberLE(bytes);
		bytes.fill(0);
		if (y !== 0n) return y;
	}
}

/** Scalars act mod the group order; zero would make every share the identity. */
function toScalar(y: bigint): bigint {
	const r = ((y % ORDER) + ORDER) % ORDER;
	if (r === 0n) throw new RangeError('CPace scalar must be non-zero modulo the group order');
	return r;
}

/** scalar_mult (§8.3): internal point in, public encoding out. Constant-time multiply. */
function scalarMult(y: bigint, g: RistrettoPoint): Uint8Array {
	return g.multiply(toScalar(y)).toBytes();
}

/**
 * scalar_mult_vfy (§8.3): decode X (RFC 9496 decode rejects non-canonical and invalid strings)
 * and return encode(y * X). Where the draft returns G.I for the caller to abort on (§7.2) this
 * throws CpaceError instead: on a failed decode and on the identity (y * X = I iff X = I in a
 * prime-order group, but the result is checked anyway).
 */
export function scalarMultVfy(y: bigint, x: Uint8Array): Uint8Array {
	let point: RistrettoPoint;
	try {
		point = Point.fromBytes(x);
	} catch {
		throw new CpaceError('CPace share is not a valid ristretto255 encoding');
	}
	if (point.is0()) throw new CpaceError('CPace share is the identity element');
	const k = point.multiply(toScalar(y));
	if (k.is0()) throw new CpaceError('CPace shared point is the identity element');
	return k.toBytes();
}

// ---------------------------------------------------------------- protocol (§7)

/** The encoded generator g for (PRS, CI, sid), mainly for the B.3.1 known-answer test. */
export function cpaceGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
	return calculateGenerator(prs, ci, sid).toBytes();
}

/**
 * A party's first step (§7.2): g = calculate_generator(PRS, CI, sid), y = sample_scalar(),
 * Y = scalar_mult(y, g). Pass `scalar` only for known-answer tests: scalars MUST NOT be reused
 * (§10.9).
 */
export function cpaceShare(
	prs: Uint8Array,
	ci: Uint8Array,
	sid: Uint8Array,
	scalar?: bigint
): CpaceShare {
	const y = scalar ?? sampleScalar();
	return { scalar: y, share: scalarMult(y, calculateGenerator(prs, ci, sid)) };
}

/** ISK = H.hash(lv_cat(G.DSI || b"_ISK", sid, K) || transcript) (§7.2). */
function intermediateSessionKey(
	sid: Uint8Array,
	k: Uint8Array,
	transcript: Uint8Array
): Uint8Array {
	return sha512(concatBytes(lvCat(DSI_ISK, sid, k), transcript));
}

/**
 * ISK in the initiator-responder setting (transcript_ir, §6.3): the initiator's share and AD are
 * Ya / ADa. Throws CpaceError when the peer's share is invalid or the identity (§7.2 abort).
 */
export function cpaceIsk(
	role: 'initiator' | 'responder',
	own: CpaceShare,
	ownAd: Uint8Array,
	peerShare: Uint8Array,
	peerAd: Uint8Array,
	sid: Uint8Array
): Uint8Array {
	const k = scalarMultVfy(own.scalar, peerShare);
	const transcript =
		role === 'initiator'
			? transcriptIr(own.share, ownAd, peerShare, peerAd)
			: transcriptIr(peerShare, peerAd, own.share, ownAd);
	return intermediateSessionKey(sid, k, transcript);
}

/**
 * ISK in the symmetric ("parallel") setting (transcript_oc, §6.3): no roles, o_cat orders the
 * two messages. §10.1.1: ADa and ADb must then be unique per session, else use cpaceIsk.
 */
export function cpaceIskOrdered(
	own: CpaceShare,
	ownAd: Uint8Array,
	peerShare: Uint8Array,
	peerAd: Uint8Array,
	sid: Uint8Array
): Uint8Array {
	const k = scalarMultVfy(own.scalar, peerShare);
	return intermediateSessionKey(sid, k, transcriptOc(own.share, ownAd, peerShare, peerAd));
}
