"""The fault suite (`make chaos`): the whole system under load while its database, its
broker, its processes and a service's database link fail in turn; see docs/reliability.md."""
