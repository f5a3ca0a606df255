"""Signals other apps listen to, so the foundation does not import the domain apps."""

from django.dispatch import Signal

# Sent (by the recompute task, in the worker) after the working-day calendar changed and the
# running deadlines were recomputed; receivers bring their own stored working-day figures in
# line. No arguments.
calendar_changed = Signal()
