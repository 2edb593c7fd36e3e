"""What passes for an e-mail address wherever one is typed (the business's, a staff member's,
a test send's): something, an @, a domain with a dot, no spaces. Whether it exists is for the
mail server to say."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""Use with ``fullmatch``."""
