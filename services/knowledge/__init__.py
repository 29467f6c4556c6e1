"""Knowledge-base ingestion: text extraction, chunking, the vector-store interface (pgvector
backend) and the background worker that turns documents into embedded chunks."""
