"""The worker tier: jobs in PostgreSQL, run by procrastinate workers (docs/workers.md).

A job is enqueued in the transaction of the row that asks for it (`enqueue`), so a rolled-back
request leaves no job behind and a committed one always has its job.
"""
