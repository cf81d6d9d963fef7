"""The library index: SQLite in WAL mode, one row per loop (never a reused id)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field

CATEGORIES = ("drums", "bass", "synth", "keys", "guitar", "vocals", "fx", "other")
SOURCES = ("imported", "recorded", "generated")

SCHEMA = """
CREATE TABLE IF NOT EXISTS loops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'other',
    tags TEXT NOT NULL DEFAULT '[]',
    file TEXT NOT NULL,
    duration REAL NOT NULL,
    sample_rate INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    bars INTEGER,
    bpm REAL, bpm_confidence REAL, bpm_user REAL,
    key TEXT, key_confidence REAL, key_user TEXT,
    rms_db REAL, peak REAL,
    source TEXT NOT NULL,
    provider TEXT, model TEXT, prompt TEXT, params TEXT, seed INTEGER, watermark TEXT,
    created REAL NOT NULL,
    overview TEXT
);
CREATE INDEX IF NOT EXISTS loops_name ON loops(name);
CREATE INDEX IF NOT EXISTS loops_bpm ON loops(bpm);
"""


@dataclass
class Loop:
    id: int
    name: str
    category: str
    tags: list[str]
    file: str  # relative to the data folder
    duration: float
    sample_rate: int
    channels: int
    bars: int | None
    bpm: float | None  # the user's value if they gave one, else the estimate
    key: str | None
    source: str
    hash: str = ""
    bpm_confidence: float = 0.0
    key_confidence: float = 0.0
    rms_db: float | None = None
    peak: float | None = None
    provenance: dict = field(default_factory=dict)
    created: float = 0.0
    overview: list = field(default_factory=list)

    def summary(self, data_dir: str = "") -> dict:
        import os

        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "bpm": self.bpm,
            "key": self.key,
            "bars": self.bars,
            "duration": round(self.duration, 3),
            "source": self.source,
            "tags": self.tags,
            "path": os.path.join(data_dir, self.file) if data_dir else self.file,
        }


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None)  # autocommit; explicit transactions
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a crash loses no committed data, only power loss may
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(SCHEMA)
    return db


def row_to_loop(row: sqlite3.Row) -> Loop:
    provenance = {k: row[k] for k in ("provider", "model", "prompt", "seed", "watermark") if row[k] is not None}
    if row["params"]:
        provenance["params"] = json.loads(row["params"])
    return Loop(
        id=row["id"],
        name=row["name"],
        category=row["category"],
        tags=json.loads(row["tags"]),
        file=row["file"],
        duration=row["duration"],
        sample_rate=row["sample_rate"],
        channels=row["channels"],
        bars=row["bars"],
        bpm=row["bpm_user"] if row["bpm_user"] is not None else row["bpm"],
        key=row["key_user"] if row["key_user"] is not None else row["key"],
        source=row["source"],
        hash=row["hash"],
        bpm_confidence=1.0 if row["bpm_user"] is not None else (row["bpm_confidence"] or 0.0),
        key_confidence=1.0 if row["key_user"] is not None else (row["key_confidence"] or 0.0),
        rms_db=row["rms_db"],
        peak=row["peak"],
        provenance=provenance,
        created=row["created"],
        overview=json.loads(row["overview"] or "[]"),
    )


def insert(db: sqlite3.Connection, meta: dict) -> int:
    columns = [
        "hash", "name", "category", "tags", "file", "duration", "sample_rate", "channels", "bars",
        "bpm", "bpm_confidence", "key", "key_confidence", "rms_db", "peak", "source",
        "provider", "model", "prompt", "params", "seed", "watermark", "created", "overview",
    ]  # fmt: skip
    values = dict(meta)
    values.setdefault("created", time.time())
    values["tags"] = json.dumps(values.get("tags", []))
    values["overview"] = json.dumps(values.get("overview", []))
    values["params"] = json.dumps(values["params"]) if values.get("params") is not None else None
    row = [values.get(c) for c in columns]
    cur = db.execute(f"INSERT INTO loops ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", row)
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def get(db: sqlite3.Connection, loop_id: int) -> Loop | None:
    row = db.execute("SELECT * FROM loops WHERE id = ?", (loop_id,)).fetchone()
    return row_to_loop(row) if row else None


def by_hash(db: sqlite3.Connection, digest: str) -> Loop | None:
    row = db.execute("SELECT * FROM loops WHERE hash = ?", (digest,)).fetchone()
    return row_to_loop(row) if row else None


def search(
    db: sqlite3.Connection,
    text: str = "",
    category: str | None = None,
    source: str | None = None,
    bpm_min: float | None = None,
    bpm_max: float | None = None,
    key: str | None = None,
    bars: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Loop]:
    where: list[str] = []
    args: list[object] = []
    for word in text.split():
        like = f"%{word.lower()}%"
        where.append("(lower(name) LIKE ? OR lower(tags) LIKE ? OR lower(coalesce(prompt, '')) LIKE ?)")
        args += [like, like, like]
    if category:
        where.append("category = ?")
        args.append(category)
    if source:
        where.append("source = ?")
        args.append(source)
    bpm = "coalesce(bpm_user, bpm)"
    if bpm_min is not None:
        where.append(f"{bpm} >= ?")
        args.append(bpm_min)
    if bpm_max is not None:
        where.append(f"{bpm} <= ?")
        args.append(bpm_max)
    if key:
        where.append("lower(coalesce(key_user, key)) = ?")
        args.append(key.lower())
    if bars is not None:
        where.append("bars = ?")
        args.append(bars)
    sql = "SELECT * FROM loops" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    return [row_to_loop(r) for r in db.execute(sql, [*args, limit, offset])]
