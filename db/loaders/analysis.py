"""Relations of the analysis domain, declared as data (see db/loaders/base.py)."""

from db.loaders.base import Relation

ANALYSIS_JOBS = Relation("analysisJobs", "analysis_jobs")
RESULTS_BY_JOB = Relation("results", "analysis_results", parent_key="job_id")
