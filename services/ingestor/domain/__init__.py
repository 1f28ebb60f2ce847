"""Sensor rules with no I/O: devices, observations, detection and incidents."""
