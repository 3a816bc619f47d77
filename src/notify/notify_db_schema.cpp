#include "notify/notify_db_schema.hpp"

namespace btms::notify {

ops::Schema notify_db_schema(const std::string& file) {
  return {"notify",
          file,
          {{1,
            [](sqlite3* db) {
              ops::exec_sql(db,
                            "CREATE TABLE deliveries(id INTEGER PRIMARY KEY, time_ms INTEGER NOT "
                            "NULL, recipient TEXT NOT NULL, channel TEXT NOT NULL, group_key TEXT "
                            "NOT NULL, reason TEXT NOT NULL, subject TEXT NOT NULL, result TEXT "
                            "NOT NULL, detail TEXT NOT NULL, attempt INTEGER NOT NULL)");
            }},
           // Messages written before their first try and removed once delivered or given up:
           // the row id is the send order, `message` the whole notification as JSON.
           {2, [](sqlite3* db) {
              ops::exec_sql(db,
                            "CREATE TABLE outbox(id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, "
                            "message_id TEXT NOT NULL, queued_ms INTEGER NOT NULL, attempts_done "
                            "INTEGER NOT NULL, message TEXT NOT NULL)");
            }}}};
}

}  // namespace btms::notify
