"""The ticket benchmark's data: the one volume generator, `feedback.demo_volume` (also `feedback demo --feedback N`).

Kept as a module so bench/tickets.py (and anything that imported it) goes on working unchanged.
"""

from feedback.demo_volume import PASSWORD, Owners, Writer, build, make_people  # noqa: F401
