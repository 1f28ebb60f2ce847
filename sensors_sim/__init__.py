"""The sensor simulator: a device fleet, its physics with planted failures, live MQTT
telemetry (`run`), fast history (`backfill`) and device registration (`register`).

Run `python -m sensors_sim --help`.
"""

__all__: list[str] = []
