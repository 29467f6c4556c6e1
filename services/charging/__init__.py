"""Charging-log analysis: a DC charging session between a BMS and a charger, as GB/T 27930
defines it, read from an uploaded CAN log (BLF, ASC or CSV).

frames.py reads the log, decode.py turns frames into GB/T 27930 messages (gbt27930.py is the
table), session.py follows the session and signals.py its measured output, findings.py words
the results, analyse.py ties them together; job.py runs an analysis job end to end (source.py
finds its file, progress.py reports it, citations.py cites troubleshooting passages).
"""
