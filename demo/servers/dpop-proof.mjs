// DPoP proof checks at a resource (RFC 9449 §4.3, §7), shared by the demo API and the local
// provider's /userinfo: each proof is for this request and this access token, signed by the
// key the token is bound to, fresh, and used once.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

/** Seconds either side of now within which a DPoP proof's iat is accepted. */
export const PROOF_WINDOW_S = 60;

/**
 * A bounded, expiring set of DPoP proof jti values. An entry is kept for as long as its proof
 * could pass the freshness check (twice the window: an iat up to the window in the future,
 * then the window), then dropped. `add` answers true for a new jti, false for a replay, and
 * 'full' when `max` live entries are held (refused rather than forgetting a live jti).
 */
export function createJtiCache({ windowS = PROOF_WINDOW_S, max = 10_000, now = () => Date.now() / 1000 } = {}) {
  const expiries = new Map(); // jti -> expiry; insertion order is expiry order
  return {
    add(jti) {
      const t = now();
      for (const [key, expires] of expiries) {
        if (expires > t) break;
        expiries.delete(key);
      }
      if (expiries.has(jti)) return false;
      if (expiries.size >= max) return 'full';
      expiries.set(jti, t + 2 * windowS);
      return true;
    },
    get size() { return expiries.size; },
  };
}

/**
 * Verifies the DPoP proof of a request made with `accessToken`, bound to the key thumbprint
 * `jkt`. Throws an Error saying what is wrong. Returns 'use_dpop_nonce' when `nonce` is
 * demanded and the proof lacks it (the proof is not spent then), else 'ok'.
 * @param {unknown} proof the DPoP header
 * @param {{ method: string, url: URL, accessToken: string, jkt: string, seen: ReturnType<typeof createJtiCache>, nonce?: string | null }} request
 */
export async function verifyDpopProof(proof, { method, url, accessToken, jkt, seen, nonce = null }) {
  if (typeof proof !== 'string') throw new Error('DPoP proof missing');
  const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'] });
  const claims = verified.payload;
  if (claims.htm !== method || claims.htu !== `${url.origin}${url.pathname}`) throw new Error('DPoP proof is for another request');
  if (typeof claims.iat !== 'number' || Math.abs(Date.now() / 1000 - claims.iat) > PROOF_WINDOW_S) throw new Error('DPoP proof is not fresh');
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw new Error('DPoP proof has no usable jti');
  if (claims.ath !== createHash('sha256').update(accessToken).digest('base64url')) throw new Error('DPoP proof is for another access token');
  if (await calculateJwkThumbprint(verified.protectedHeader.jwk) !== jkt) throw new Error('DPoP proof is signed by another key');
  if (nonce && claims.nonce !== nonce) return 'use_dpop_nonce';
  const fresh = seen.add(claims.jti);
  if (fresh === 'full') throw new Error('too many DPoP proofs at once; try again shortly');
  if (!fresh) throw new Error('DPoP proof replayed: its jti was used before');
  return 'ok';
}
