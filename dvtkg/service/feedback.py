"""Card feedback (``POST /cds-services/{id}/feedback``) and seen JWT ids, stored in SQLite.

One file (``--feedback-db``, default build/cds-feedback.sqlite), opened per call so that several
workers can share it. A feedback row holds what the client sent about a card (uuid, outcome,
accepted suggestions, override reason and comment, timestamp) and the service id; no patient
data are asked for, and the service adds none.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from dvtkg.service.models import FeedbackItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received REAL NOT NULL,
  service TEXT NOT NULL,
  card TEXT NOT NULL,
  outcome TEXT NOT NULL,
  accepted_suggestions TEXT NOT NULL,
  override_code TEXT,
  override_system TEXT,
  override_comment TEXT,
  outcome_timestamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback(card);
CREATE TABLE IF NOT EXISTS seen_jti (
  iss TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires REAL NOT NULL,
  PRIMARY KEY (iss, jti)
);
"""


class Store:
    """The SQLite file behind feedback and the JWT replay check."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def add_feedback(self, service: str, items: list[FeedbackItem]) -> int:
        now = time.time()
        rows = []
        for f in items:
            reason = f.overrideReason.reason if f.overrideReason and f.overrideReason.reason else None
            rows.append((now, service, f.card, f.outcome,
                         json.dumps([s.id for s in f.acceptedSuggestions or []]),
                         reason.code if reason else None, reason.system if reason else None,
                         f.overrideReason.userComment if f.overrideReason else None, f.outcomeTimestamp))
        with closing(self._connect()) as db, db:
            db.executemany("INSERT INTO feedback (received, service, card, outcome, accepted_suggestions,"
                           " override_code, override_system, override_comment, outcome_timestamp)"
                           " VALUES (?,?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def feedback(self, service: str | None = None, card: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        sql = "SELECT * FROM feedback WHERE (? IS NULL OR service = ?) AND (? IS NULL OR card = ?) ORDER BY id LIMIT ?"
        with closing(self._connect()) as db:
            rows = db.execute(sql, (service, service, card, card, limit)).fetchall()
        return [{"service": r["service"], "card": r["card"], "outcome": r["outcome"],
                 "acceptedSuggestions": json.loads(r["accepted_suggestions"]),
                 "overrideReason": {"code": r["override_code"], "system": r["override_system"],
                                    "userComment": r["override_comment"]} if r["override_code"] or r["override_comment"]
                 else None,
                 "outcomeTimestamp": r["outcome_timestamp"], "received": r["received"]} for r in rows]

    def first_use_of_jti(self, iss: str, jti: str, expires: float) -> bool:
        """Record a JWT id; False if it was seen before (a replay). Expired ids are forgotten."""
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM seen_jti WHERE expires < ?", (time.time() - 300,))
            try:
                db.execute("INSERT INTO seen_jti (iss, jti, expires) VALUES (?,?,?)", (iss, jti, expires))
            except sqlite3.IntegrityError:
                return False
        return True
