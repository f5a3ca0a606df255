"""The referring systems: API keys of the integration clients, their authentication, and the
callback outbox that feeds each public step of a complaint back to the system that sent it."""
