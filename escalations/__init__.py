"""Escalations as records (from team -> to team, reason, OLA clock); built on cases."""
