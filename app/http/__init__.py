"""The HTTP entry of /graphql, one module per concern: the guards every request passes
(`guards`), the media type an answer takes (`negotiation`), automatic persisted queries
(`persisted_queries`), the GraphQL endpoint (`graphql`) and its websockets (`websockets`)."""
