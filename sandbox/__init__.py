"""The local stand-in for Google (OIDC sign-in, Gmail, Calendar) and Fathom, seeded with a sample team.

Used by the tests, the benchmarks and `switchboard serve --sandbox` from a checkout. It imports nothing
from `app/` and is not shipped: the wheel and the container hold `app/` only."""
