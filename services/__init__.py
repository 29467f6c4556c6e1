"""Infrastructure below the schema and the resolvers: settings, security, rate limits,
pub/sub, storage, model providers, embeddings, vector stores, system logs. Imports db/ only."""
