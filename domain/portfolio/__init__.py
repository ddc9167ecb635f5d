"""A firm's portfolio: the companies its certificate has rights for, the discovery runs that find
and verify them (and their sources: e-Factura, the token agent's SPV list, CUIs typed by hand), and
reading the entries back."""
