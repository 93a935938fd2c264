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
    # 4: the officer desk: routed actors, case events, staff and invites, the durable outbox,
    # and chats that can no longer be reached.
    """
    ALTER TABLE cases ADD COLUMN acknowledged_at TEXT;
    ALTER TABLE cases ADD COLUMN resolved_at TEXT;
    ALTER TABLE cases ADD COLUMN commitment_id TEXT;
    ALTER TABLE cases ADD COLUMN escalated_at TEXT;
    CREATE TABLE case_actors (
        case_id   INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        actor_id  TEXT NOT NULL,
        PRIMARY KEY (case_id, actor_id)
    );
    CREATE TABLE case_events (
        id           INTEGER PRIMARY KEY,
        case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        action       TEXT NOT NULL,
        from_status  TEXT,
        to_status    TEXT,
        actor_id     TEXT,
        staff_id     INTEGER,
        note         TEXT,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX case_events_case ON case_events(case_id);
    CREATE TABLE staff (
        id           INTEGER PRIMARY KEY,
        key          TEXT NOT NULL UNIQUE,
        telegram_id  INTEGER UNIQUE,
        name         TEXT NOT NULL,
        role         TEXT NOT NULL,
        actor_id     TEXT NOT NULL,
        stations     TEXT NOT NULL DEFAULT '[]',
        email        TEXT,
        source       TEXT NOT NULL,
        active       INTEGER NOT NULL DEFAULT 1,
        created_at   TEXT NOT NULL,
        revoked_at   TEXT
    );
    CREATE TABLE invites (
        code        TEXT PRIMARY KEY,
        role        TEXT NOT NULL,
        actor_id    TEXT NOT NULL,
        stations    TEXT NOT NULL,
        created_by  INTEGER,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_by     INTEGER,
        used_at     TEXT
    );
    CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY,
        channel          TEXT NOT NULL CHECK (channel IN ('telegram', 'email')),
        recipient        TEXT NOT NULL,
        kind             TEXT NOT NULL,
        payload          TEXT NOT NULL,
        case_id          INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        status           TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        last_error       TEXT,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        message_id       INTEGER
    );
    CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
    CREATE TABLE chats (
        chat_id     INTEGER PRIMARY KEY,
        active      INTEGER NOT NULL DEFAULT 1,
        reason      TEXT,
        updated_at  TEXT NOT NULL
    );
    """,
    # 5: promises in the database (current status and a timeline), and station followers.
    """
    CREATE TABLE commitment_state (
        commitment_id  TEXT PRIMARY KEY,
        promise_id     TEXT NOT NULL,
        status         TEXT NOT NULL,
        progress       INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
        updated_at     TEXT NOT NULL
    );
    CREATE TABLE commitment_updates (
        id             INTEGER PRIMARY KEY,
        commitment_id  TEXT NOT NULL,
        status         TEXT,
        progress       INTEGER,
        text           TEXT NOT NULL,
        photo          TEXT,
        actor_id       TEXT,
        staff_id       INTEGER,
        created_at     TEXT NOT NULL
    );
    CREATE INDEX commitment_updates_commitment ON commitment_updates(commitment_id, id);
    CREATE TABLE station_follows (
        resident_id  INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
        station_id   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (resident_id, station_id)
    );
    CREATE INDEX station_follows_station ON station_follows(station_id);
    CREATE INDEX outbox_recipient ON outbox(recipient, status, id);
    """,
    # 6: the audit log (exports, staff views of cases).
    """
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        who         TEXT NOT NULL,
        action      TEXT NOT NULL,
        details     TEXT NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL
    );
    CREATE INDEX audit_created ON audit(created_at);
    """,
    # 7: staff rows the deployment file created and an invite code later took over (source
    # 'invite'): they belong to the file again, so leaving the file ends their access. A row
    # an invite created has its created_at equal to that invite's used_at.
    """
    UPDATE staff SET source = 'deployment' WHERE source = 'invite' AND NOT EXISTS (
        SELECT 1 FROM invites WHERE invites.used_by = staff.telegram_id
        AND invites.used_at = staff.created_at);
    """,
    # 8: the draft a case was written from (Draft.id), at most one case per draft: a second
    # "Skicka" (a double press, an update Telegram delivers again after a crash) finds the
    # first case instead of writing another. Cases from before have none (NULLs may repeat).
    """
    ALTER TABLE cases ADD COLUMN draft_id TEXT;
    CREATE UNIQUE INDEX cases_draft ON cases(draft_id);
    """,
    # 9: the pending update a promise update was published from (a random token made with its
    # preview), at most one update per token: a "Publicera" Telegram delivers again after a
    # crash finds the first update instead of broadcasting it twice. Older rows have none.
    """
    ALTER TABLE commitment_updates ADD COLUMN token TEXT;
    CREATE UNIQUE INDEX commitment_updates_token ON commitment_updates(token);
    """,
    # 10: the Telegram message an event came from ('<case id>:<message id>': only the case's
    # reporter answers, so no chat id is kept), at most one event per message: a resident's
    # answer Telegram delivers again after a crash is stored and passed on once. Other events
    # have none (NULLs may repeat).
    """
    ALTER TABLE case_events ADD COLUMN message TEXT;
    CREATE UNIQUE INDEX case_events_message ON case_events(message);
    """,
    # 11: an outbox row's priority for the worker's fetch (storage.outbox.due): 1 for cards,
    # notifications and alerts, 2 for broadcasts and digests (payload flag "broadcast"), so
    # that a card queued behind a big broadcast is fetched first. Old rows are cards; pending
    # broadcast rows get 2 here.
    """
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
    UPDATE outbox SET priority = 2 WHERE status = 'pending' AND json_valid(payload)
        AND json_extract(payload, '$.broadcast') IS 1;
    """,
    # 12: pending rows by priority and age, for the worker's fetch (storage.outbox.due): it
    # reads the urgent rows, then the broadcast rows oldest first up to its limit, instead of
    # ranking every pending row on each pass (a pass over a broadcast to n followers cost
    # O(n), the whole broadcast O(n²)).
    """
    CREATE INDEX outbox_pending ON outbox(status, priority, id);
    """,
    # 13: when a resident's draft (user_data "draft") last changed, for its expiry after
    # retention.draft_days (storage.bot_state stamps it on each write that changes the draft).
    # Drafts from before have no time: they count as changed now, at the migration.
    """
    ALTER TABLE ptb_user_data ADD COLUMN draft_changed_at TEXT;
    UPDATE ptb_user_data SET draft_changed_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        WHERE json_valid(data) AND json_type(data, '$.draft') = 'object';
    CREATE INDEX ptb_user_data_draft ON ptb_user_data(draft_changed_at)
        WHERE draft_changed_at IS NOT NULL;
    """,
    # 14: the language Telegram last reported for a staff member (an update's language_code),
    # so cards pushed to them are in it when neither the deployment file nor their own choice
    # names one (bot.domain.staff_language).
    """
    ALTER TABLE staff ADD COLUMN telegram_language TEXT;
    """,
    # 15: whether a resident row's language was chosen in the bot (/sprak, the /start
    # picker), not taken from Telegram on first contact or when following a station: only a
    # choice counts as a staff member's own language (bot.domain.staff_language). Rows from
    # before cannot tell: not chosen.
    """
    ALTER TABLE residents ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0;
    """,
    # 16: web sign-in (bot.domain.web): one-time links from /webb and the sessions they
    # open, each stored as the SHA-256 of its random token, never the token itself.
    """
    CREATE TABLE web_links (
        token_hash  TEXT PRIMARY KEY,
        staff_id    INTEGER NOT NULL REFERENCES staff(id),
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_at     TEXT
    );
    CREATE TABLE web_sessions (
        session_hash  TEXT PRIMARY KEY,
        staff_id      INTEGER NOT NULL REFERENCES staff(id),
        created_at    TEXT NOT NULL,
        last_seen     TEXT NOT NULL,
        ended_at      TEXT
    );
    """,
    # 17: when a staff member's access ends (revoked, or gone from the deployment file:
    # whichever path sets active = 0), their web sessions and unused sign-in links end with
    # it, so being added again later revives neither (bot.domain.web).
    """
    CREATE TRIGGER staff_access_ends_web AFTER UPDATE OF active ON staff
    WHEN OLD.active = 1 AND NEW.active = 0
    BEGIN
        UPDATE web_sessions SET ended_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
            WHERE staff_id = NEW.id AND ended_at IS NULL;
        UPDATE web_links SET used_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
            WHERE staff_id = NEW.id AND used_at IS NULL;
    END;
    """,
    # 18: the trygghetsmätning (bot.domain.pulse): a resident's opt-in per followed station,
    # which month each was asked about, and the answers. An answer carries no chat id or
    # resident id, only a keyed pseudonym of the resident for its month (HMAC-SHA-256 under
    # that month's random key in pulse_keys); when the key is deleted (retention), the
    # month's answers can no longer be tied to anyone. No answer time is stored.
    """
    CREATE TABLE pulse_consents (
        resident_id  INTEGER NOT NULL REFERENCES residents(id),
        station_id   TEXT NOT NULL,
        given_at     TEXT NOT NULL,
        PRIMARY KEY (resident_id, station_id)
    );
    CREATE TABLE pulse_asked (
        resident_id  INTEGER NOT NULL REFERENCES residents(id),
        station_id   TEXT NOT NULL,
        month        TEXT NOT NULL,
        asked_at     TEXT NOT NULL,
        PRIMARY KEY (resident_id, station_id, month)
    );
    CREATE TABLE pulse_keys (
        month  TEXT PRIMARY KEY,
        key    BLOB NOT NULL
    );
    CREATE TABLE pulse_answers (
        pseudonym   TEXT NOT NULL,
        station_id  TEXT NOT NULL,
        month       TEXT NOT NULL,
        score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        category    TEXT,
        PRIMARY KEY (pseudonym, station_id, month)
    );
    CREATE INDEX pulse_answers_station_month ON pulse_answers (station_id, month);
    """,
    # 19: the monthly lägesbild sent to admins (bot.services.lagesbild_send): which month's
    # lägesbild of which area each admin was sent, written with its outbox row, so a restart
    # or a second run on the same day sends none twice.
    """
    CREATE TABLE lagesbild_sent (
        month     TEXT NOT NULL,
        staff_id  INTEGER NOT NULL REFERENCES staff(id),
        area      TEXT NOT NULL,
        sent_at   TEXT NOT NULL,
        PRIMARY KEY (month, staff_id, area)
    );
    """,
)

LATEST_VERSION = len(MIGRATIONS)
