"""The service's configuration: command-line flags first, then ``DVTKG_CDS_*`` environment variables.

Nothing here is global: ``Settings`` is built once by ``dvtkg serve`` (or a test) and handed to
``create_app``. Security is on as soon as a trusted issuer is configured; with none, the service
runs in development mode (no JWT checked), which ``dvtkg serve`` allows only on a loopback address
unless ``--dev`` is given explicitly.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from dvtkg import paths

ENV_PREFIX = "DVTKG_CDS_"


@dataclass(frozen=True)
class Issuer:
    """A CDS client allowed to call: its ``iss`` and where its public keys are (JWK Set URLs it may name in ``jku``)."""

    iss: str
    jwks_urls: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    engine: str = "fast"                      # "fast" or "reference": the service does not depend on which
    feedback_db: Path = field(default_factory=lambda: paths.build_dir() / "cds-feedback.sqlite")
    issuers: tuple[Issuer, ...] = ()          # empty: development mode (no JWT verified)
    dev: bool = False                         # development mode asked for explicitly
    public_url: str | None = None             # the base URL clients use (for aud); else from the request
    docs_url: str | None = None               # base URL of the documentation site; else this server's /site/
    docs_dir: Path | None = None              # the built site served under /site/ (default build/docs)
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 5 * 1024 * 1024
    fhir_timeout_s: float = 10.0
    clock_skew_s: int = 60
    today: datetime.date | None = None        # the reference date for ages (default: the day of the request)

    @property
    def verify_jwt(self) -> bool:
        return bool(self.issuers) and not self.dev

    def issuer(self, iss: str) -> Issuer | None:
        return next((i for i in self.issuers if i.iss == iss), None)


def parse_issuers(text: str) -> tuple[Issuer, ...]:
    """``{"iss": "jwks-url" | ["url", ...], ...}`` (JSON) to issuers; raises ValueError naming the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{ENV_PREFIX}ISSUERS: not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{ENV_PREFIX}ISSUERS: expected an object {{iss: jwks-url}}")
    out = []
    for iss, urls in data.items():
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.startswith("http") for u in urls):
            raise ValueError(f"{ENV_PREFIX}ISSUERS: issuer {iss!r} needs one or more JWK Set URLs")
        out.append(Issuer(iss, tuple(urls)))
    return tuple(out)


def from_env(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment (``DVTKG_CDS_ENGINE``, ``..._FEEDBACK_DB``, ``..._ISSUERS``, ...) and overrides."""
    env = dict(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = env.get(ENV_PREFIX + name)
        return value if value not in (None, "") else None

    values: dict[str, object] = {}
    if get("ENGINE"):
        values["engine"] = get("ENGINE")
    if get("FEEDBACK_DB"):
        values["feedback_db"] = Path(str(get("FEEDBACK_DB")))
    if get("ISSUERS"):
        values["issuers"] = parse_issuers(str(get("ISSUERS")))
    if get("DEV"):
        values["dev"] = get("DEV") in ("1", "true", "yes")
    if get("PUBLIC_URL"):
        values["public_url"] = str(get("PUBLIC_URL")).rstrip("/")
    if get("DOCS_URL"):
        values["docs_url"] = str(get("DOCS_URL"))
    if get("CORS_ORIGINS"):
        values["cors_origins"] = tuple(o.strip() for o in str(get("CORS_ORIGINS")).split(",") if o.strip())
    if get("MAX_BODY_BYTES"):
        values["max_body_bytes"] = int(str(get("MAX_BODY_BYTES")))
    if get("TODAY"):
        values["today"] = datetime.date.fromisoformat(str(get("TODAY")))
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.engine not in ("fast", "reference"):
        raise ValueError(f"engine {settings.engine!r}: use fast or reference")
    return settings
