"""Erlang C: how many agents an arrival rate needs to answer a share of contacts within a target.

Pure functions (no database, no clock), tested against figures worked by hand.

With arrivals ``rate`` per hour and an average handle time ``aht_minutes``, the offered load is
``A = rate * aht_minutes / 60`` Erlangs. For ``n > A`` agents the probability that a contact
waits is Erlang's C formula

    C(n, A) = (A^n / n!) * n / (n - A)  /  (sum_{k<n} A^k / k!  +  (A^n / n!) * n / (n - A))

and the share answered within ``t`` minutes is ``1 - C(n, A) * exp(-(n - A) * t / aht)``. The
estimate is the smallest ``n`` reaching the target share (no shrinkage: breaks, training and
absence come on top).
"""

from __future__ import annotations

import math

MAX_AGENTS = 500


def erlang_c(agents: int, load: float) -> float:
    """Probability that a contact has to wait, for ``agents`` serving ``load`` Erlangs."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    # Sum A^k/k! iteratively to stay in floating range for large n.
    term = 1.0
    total = 1.0
    for k in range(1, agents):
        term *= load / k
        total += term
    last = term * load / agents * agents / (agents - load)
    return last / (total + last)


def service_level(agents: int, load: float, aht_minutes: float, target_minutes: float) -> float:
    """Share of contacts answered within ``target_minutes``."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    return 1.0 - erlang_c(agents, load) * math.exp(-(agents - load) * target_minutes / aht_minutes)


def agents_needed(*, rate_per_hour: float, aht_minutes: float, target_share: float, target_minutes: float) -> int:
    """The fewest agents answering ``target_share`` of contacts within ``target_minutes``."""
    if rate_per_hour <= 0:
        return 0
    load = rate_per_hour * aht_minutes / 60
    agents = max(1, math.floor(load) + 1)
    while agents < MAX_AGENTS and service_level(agents, load, aht_minutes, target_minutes) < target_share:
        agents += 1
    return agents
