"""The shared kernel every capability uses: typed errors, the unit of work and its live events,
bulk inserts, load coalescing, the clock, random secrets, throttling, and normalising what people
type (e-mails, phones, CUIs). It imports no capability."""
