// SQL that turns a history file of this build back into the version 2 layout (channel-first
// keys), as an older BTMS wrote it: for the tests of the migration to time-first keys.
#pragma once

namespace btms::history::test {

inline constexpr const char* kBackToVersion2Layout = R"sql(
  DROP INDEX chunks_by_bucket;
  CREATE INDEX chunks_by_channel_end ON chunks(channel, end_ms);
  DROP INDEX minute_chunks_by_bucket;
  ALTER TABLE minute_chunks DROP COLUMN bucket;
  CREATE INDEX minute_chunks_by_channel_hour ON minute_chunks(channel, hour_ms);
  CREATE TABLE rollups_old(channel INTEGER NOT NULL, bucket_ms INTEGER NOT NULL,
    min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY(channel, bucket_ms)) WITHOUT ROWID;
  INSERT INTO rollups_old SELECT channel, bucket_ms, min, max, sum, count FROM rollups_hour;
  DROP TABLE rollups_hour;
  ALTER TABLE rollups_old RENAME TO rollups_hour;
  DELETE FROM meta WHERE key = 'longest_chunk_ms';
  UPDATE schema_version SET version = 2 WHERE part = 'history';)sql";

}  // namespace btms::history::test
