"""The CDS client's JWT (CDS Hooks 2.0 security): verified when trusted issuers are configured.

Checks: ``Authorization: Bearer <JWT>`` present; algorithm RS384 or ES384; ``iss`` on the allow-list;
the key from the issuer's JWK Set (the header's ``jku`` only when it is one of the issuer's configured
URLs, else the configured one); signature; ``aud`` equal to this service's URL; ``exp`` (and ``iat``)
with a small clock skew; ``jti`` not seen before (recorded in the SQLite store, so all workers share
it). Anything wrong is answered 401 with the reason; nothing of the token is logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from dvtkg.service.feedback import Store
from dvtkg.service.settings import Settings

ALGORITHMS = ("RS384", "ES384")
JWKS_TTL_S = 300.0


class Unauthorized(Exception):
    """The request's JWT is missing or fails a check (answered 401)."""


@dataclass
class JwksCache:
    """JWK Sets by URL, kept for a few minutes."""

    sets: dict[str, tuple[float, jwt.PyJWKSet]] = field(default_factory=dict)

    async def get(self, url: str, client: httpx.AsyncClient, refresh: bool = False) -> jwt.PyJWKSet:
        hit = self.sets.get(url)
        if hit and not refresh and time.monotonic() - hit[0] < JWKS_TTL_S:
            return hit[1]
        try:
            resp = await client.get(url, headers={"Accept": "application/json"})
            resp.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(resp.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise Unauthorized(f"cannot read the issuer's JWK Set ({type(exc).__name__})") from None
        self.sets[url] = (time.monotonic(), keys)
        return keys


def _bearer(headers: Any) -> str:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing 'Authorization: Bearer <JWT>' (this service verifies the CDS client's JWT)")
    return token.strip()


async def verify(headers: Any, audience: str, settings: Settings, store: Store, cache: JwksCache,
                 client: httpx.AsyncClient) -> dict[str, Any]:
    """The verified claims; raises Unauthorized naming the failed check."""
    token = _bearer(headers)
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the JWT cannot be read ({exc})") from None
    if header.get("alg") not in ALGORITHMS:
        raise Unauthorized(f"JWT algorithm {header.get('alg')!r} not accepted (use {' or '.join(ALGORITHMS)})")
    iss = unverified.get("iss")
    issuer = settings.issuer(iss) if isinstance(iss, str) else None
    if issuer is None:
        raise Unauthorized(f"issuer {iss!r} is not trusted by this service")
    jku = header.get("jku")
    if jku is not None and jku not in issuer.jwks_urls:
        raise Unauthorized(f"jku {jku!r} is not a JWK Set URL configured for issuer {iss!r}")
    urls = [jku] if jku else list(issuer.jwks_urls)
    kid = header.get("kid")
    key = None
    for url in urls:
        for refresh in (False, True):
            keys = await cache.get(url, client, refresh=refresh)
            key = next((k for k in keys.keys if kid is None or k.key_id == kid), None)
            if key is not None:
                break
        if key is not None:
            break
    if key is None:
        raise Unauthorized(f"no key {kid!r} in the issuer's JWK Set")
    try:
        claims = jwt.decode(token, key=key, algorithms=[header["alg"]], audience=audience, issuer=iss,
                            leeway=settings.clock_skew_s, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the JWT has expired") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized(f"the JWT's aud is not this service ({audience})") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the JWT fails verification ({exc})") from None
    if not store.first_use_of_jti(str(iss), str(claims["jti"]), float(claims["exp"])):
        raise Unauthorized("the JWT's jti has been used before (replay)")
    return claims
