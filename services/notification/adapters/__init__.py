"""SQL repositories, the intake client, apprise channels and the outbox wake-up."""
