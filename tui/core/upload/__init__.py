"""Upload targets: the Stratos for Power cloud API and hosts' authorized_keys."""
