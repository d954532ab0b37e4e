"""Bulk import of clients and contacts from CSV: upload, preview, import (in the call or in the
background), progress. The modules: `csvfile` (reading a file), `uploads` (its pieces and scratch
keys in the database), `rows` (cleaning rows), `preview`, `jobs` (a job's life), `running`
(importing a file), `writers` (batched upserts and their events).

- A file is uploaded in pieces: `create_import` makes a job in status `uploading`, the pieces
  are stored in order (`append_import_chunk`, see uploads.py), then `preview_upload` (as
  often as the mapping changes) and `start_upload`. Small files may also be sent whole to
  `preview_import` / `start_import` (the JSON text in one RPC message).
- `preview_*` imports the whole file in a savepoint rolled back after (so it finds exactly what
  the import will): columns, the mapping used (the caller's or the suggested one), missing
  required fields, the first rows as mapped, the rows that fail, how many records are new and
  how many would be updated, in which fields (changes.py). `skip_updates` (preview and start):
  a row matching an existing record changes nothing.
- `start_*` validates the file's shape and counts its rows, then imports files of up to SYNC_ROWS
  rows inside the call; larger ones become `queued` jobs that the service runs in the background
  (`run_job`), committing every BATCH rows with the job's progress (`processed`/`total`,
  `created`, `updated`, `unchanged`, `errors`). A job that fails is marked `failed` with the
  reason. The process running a job renews its lease (`heartbeat_at`); a running job whose lease
  ran out lost its process (killed, stopped) and is marked failed by the next sweep of any
  clients process (`jobs.fail_interrupted`), never left `running` (re-importing the file is
  safe). The file's pieces and the job's keys are deleted when the job ends.
- Memory does not grow with the file: it is read back one stored piece at a time, parsed as a
  stream of lines, validated and written BATCH rows at a time, and the keys seen so far (to find
  repeats within the file) are kept in the database, not in a set.
- Bad rows are reported as `{"line": n, "reason": "..."}` (physical line in the file) and
  skipped; good rows are imported. At most MAX_ERRORS are kept on the job; `error_count` counts all.
- Re-importing is idempotent: contacts match by e-mail, clients by name (case-insensitive, among
  non-archived clients). A matched row is UPDATED with the file's non-empty cells (an empty cell
  keeps the stored value; a row that changes nothing counts as `unchanged`); the same e-mail or
  client name twice in one file is an error on the later line.
- A contacts file names clients by name (`client` column). An unknown name creates the client
  (a `client_created` event), within the plan's client limit: past it, the row is refused. A row
  without a client keeps an existing contact's client, or uses the agency's only client.
- Clients files respect the plan limit too: new clients past it are refused row by row.
- A clients file may name account managers by their team e-mail (`account_managers`, `;` or `,`
  separated; a non-empty cell replaces the client's managers). The team is asked of identity
  once per preview or import (`list_users`), between reading the file's shape and opening the
  transaction that imports it (never inside one: `rows.ask_team`), and kept on the job for a
  background run; an e-mail that is not a team member's is an error on its line.
- Writes are batched `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (SQLAlchemy core) and the
  batch's events go to the outbox in one multi-row insert, in the same transaction.
"""
