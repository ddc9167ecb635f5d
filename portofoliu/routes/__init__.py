"""HTTP routes besides /graphql, one module each."""
