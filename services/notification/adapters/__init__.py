"""SQL repositories, the intake client and apprise channels."""
