"""Case handling, from a signed complaint to closure: triage, the timeline of actions,
recovered payments, extensions, closure and the money and status rules (outcomes)."""
