"""The gateway's ways to the services behind it."""
