"""Password hashing: Argon2id with OWASP's recommended minimum (19 MiB of memory, two
passes, one lane), docs/decisions/0102-argon2id.md.

Django's own Argon2 defaults (100 MiB, eight lanes) cost about as much time as PBKDF2 at
a million iterations on two cores, and five times the memory per sign-in; OWASP rates
this configuration as strong as theirs. A hash with other parameters, or a PBKDF2 hash,
is upgraded to this one when its owner next signs in (Django's `must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
