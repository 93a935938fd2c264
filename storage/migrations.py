"""Schema migrations: numbered SQL steps, applied in order under `PRAGMA user_version`.

Append a new step to `MIGRATIONS` to change the schema; never edit a step that has shipped.
Step N brings a database from user_version N-1 to N inside one transaction.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: residents and their consents.
    """
    CREATE TABLE residents (
        id            INTEGER PRIMARY KEY,
        chat_id       INTEGER NOT NULL UNIQUE,
        language      TEXT,
        home_station  TEXT,
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL
    );
    CREATE TABLE consents (
        id              INTEGER PRIMARY KEY,
        resident_id     INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
        notice_version  TEXT NOT NULL,
        given_at        TEXT NOT NULL
    );
    CREATE INDEX consents_resident ON consents(resident_id);
    """,
    # 2: cases (reports and ideas) with per-station numbering, and their photos.
    """
    CREATE TABLE case_counters (
        station_id   TEXT PRIMARY KEY,
        last_number  INTEGER NOT NULL
    );
    CREATE TABLE cases (
        id           INTEGER PRIMARY KEY,
        reference    TEXT NOT NULL UNIQUE,
        station_id   TEXT NOT NULL,
        number       INTEGER NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('report', 'idea')),
        category     TEXT,
        status       TEXT NOT NULL DEFAULT 'new',
        resident_id  INTEGER REFERENCES residents(id) ON DELETE SET NULL,
        place_text   TEXT,
        lat          REAL,
        lon          REAL,
        times        TEXT NOT NULL DEFAULT '[]',
        description  TEXT NOT NULL,
        language     TEXT,
        created_at   TEXT NOT NULL,
        UNIQUE (station_id, number)
    );
    CREATE INDEX cases_station_status ON cases(station_id, status);
    CREATE INDEX cases_resident ON cases(resident_id);
    CREATE TABLE case_photos (
        id          INTEGER PRIMARY KEY,
        case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        path        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX case_photos_case ON case_photos(case_id);
    """,
    # 3: supporters ("me too") of a case, and python-telegram-bot persistence (drafts and
    # conversation states survive a restart).
    """
    CREATE TABLE case_supporters (
        case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        resident_id  INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (case_id, resident_id)
    );
    CREATE INDEX case_supporters_resident ON case_supporters(resident_id);
    CREATE INDEX cases_similar ON cases(station_id, category, status, created_at);
    CREATE TABLE ptb_user_data (
        user_id  INTEGER PRIMARY KEY,
        data     TEXT NOT NULL
    );
    CREATE TABLE ptb_chat_data (
        chat_id  INTEGER PRIMARY KEY,
        data     TEXT NOT NULL
    );
    CREATE TABLE ptb_conversations (
        name   TEXT NOT NULL,
        key    TEXT NOT NULL,
        state  TEXT NOT NULL,
        PRIMARY KEY (name, key)
    );
    """,
)

LATEST_VERSION = len(MIGRATIONS)
