"""A firm's RO e-Factura authorization at ANAF: the OAuth states and callback, the encrypted token
pair and its refresh, and the integration's status with what members are told about it."""
