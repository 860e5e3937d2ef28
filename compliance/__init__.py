"""Regulatory flags, four-eyes sign-off, regulatory clocks and the restricted inbox."""
