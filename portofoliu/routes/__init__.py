"""HTTP routes besides /graphql, one module each, thin: they call the domain and render."""
