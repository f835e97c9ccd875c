"""Test doubles for the CDS Hooks service: a fake FHIR server and JWK Set host (an httpx MockTransport),
a CDS client's signing keys, and the app built around one loaded knowledge base."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cds-hooks"
FHIR_BASE = "http://fhir.test/r4"
JWKS_URL = "http://issuer.test/.well-known/jwks.json"
ISSUER = "http://issuer.test"


def spec_example(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class FakeFhir:
    """A FHIR R4 server for one base URL: reads and patient searches over the resources it holds.
    It requires ``Authorization: Bearer <token>`` when ``token`` is set; every other host is unreachable,
    except the JWK Set URL, which serves ``jwks``."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    token: str | None = None
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    seen: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if str(request.url) == JWKS_URL:
            return httpx.Response(200, json=self.jwks)
        if not str(request.url).startswith(FHIR_BASE + "/"):
            raise httpx.ConnectError("host unreachable (fake network)", request=request)
        if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"resourceType": "OperationOutcome"})
        path = request.url.path[len("/r4/"):]
        rtype, _, rid = path.partition("/")
        if rid:
            found = [r for r in self.resources if r.get("resourceType") == rtype and r.get("id") == rid]
            return httpx.Response(200, json=found[0]) if found else httpx.Response(404, json={})
        patient = request.url.params.get("patient")
        hits = [r for r in self.resources if r.get("resourceType") == rtype
                and ((r.get("subject") or r.get("patient") or {}).get("reference", "").split("/")[-1] == patient)]
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "total": len(hits),
                                         "entry": [{"resource": r} for r in hits]})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class SigningKeys:
    """An RS384 and an ES384 key of the test CDS client, and its JWK Set."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP384R1())
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk.update(kid="rsa-1", alg="RS384", use="sig")
        ec_jwk.update(kid="ec-1", alg="ES384", use="sig")
        self.jwks = {"keys": [rsa_jwk, ec_jwk]}

    def token(self, aud: str, alg: str = "RS384", iss: str = ISSUER, exp_in: int = 300, jti: str | None = None,
              jku: str | None = JWKS_URL, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": iss, "sub": "test-client", "aud": aud, "iat": now, "exp": now + exp_in,
                   "jti": jti or uuid.uuid4().hex, **claims}
        key = self.rsa if alg == "RS384" else self.ec
        headers: dict[str, Any] = {"kid": "rsa-1" if alg == "RS384" else "ec-1", "typ": "JWT"}
        if jku:
            headers["jku"] = jku
        return jwt.encode(payload, key, algorithm=alg, headers=headers)
