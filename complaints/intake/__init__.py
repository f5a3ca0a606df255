"""Taking complaints in from every channel: the public form, the duty line and service window,
and referrals over REST; routing to a county and department, de-duplication, and the receiving
unit's signature (which opens a case) or return."""
