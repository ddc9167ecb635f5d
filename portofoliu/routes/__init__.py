"""HTTP routes besides /graphql: thin handlers that call the domain."""
