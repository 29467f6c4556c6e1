"""The parts of bench/http_bench.py, the one-command entry point (see bench/README.md).

common: JSON codec, clock and progress log; client: the HTTP/1.1 client protocol; stats: phase
counters, percentiles and the markdown table; target: one query against the server (validation,
response checks, closed-loop phases); run: the phases of one query; cli: options and main().
"""
