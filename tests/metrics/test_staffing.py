"""Erlang C against figures worked by hand (A = 5 Erlangs: 100 contacts an hour, 3 minutes each)."""

from __future__ import annotations

import math

import pytest

from metrics.staffing import agents_needed, erlang_c, service_level


def test_erlang_c_matches_the_hand_computed_waiting_probability():
    # A^6/6! * 6/(6-5) = 15625/720 * 6 = 130.208; sum_{k<6} 5^k/k! = 91.417; C = 130.208 / 221.625.
    assert erlang_c(6, 5.0) == pytest.approx(130.2083 / (91.4167 + 130.2083), abs=1e-4)
    assert erlang_c(7, 5.0) == pytest.approx(0.3241, abs=1e-4)


def test_too_few_agents_always_wait():
    assert erlang_c(5, 5.0) == 1.0
    assert service_level(4, 5.0, 3, 1) == 0.0


def test_service_level_uses_the_exponential_wait_tail():
    expected = 1 - erlang_c(7, 5.0) * math.exp(-(7 - 5) * 1 / 3)
    assert service_level(7, 5.0, 3, 1) == pytest.approx(expected)


def test_it_finds_the_fewest_agents_meeting_the_target():
    needed = agents_needed(rate_per_hour=100, aht_minutes=3, target_share=0.8, target_minutes=1)
    assert service_level(needed, 5.0, 3, 1) >= 0.8
    assert service_level(needed - 1, 5.0, 3, 1) < 0.8
    assert needed == 7


def test_no_arrivals_need_no_agents():
    assert agents_needed(rate_per_hour=0, aht_minutes=10, target_share=0.9, target_minutes=5) == 0
