"""Connections: targets and options (``client``), ssh_config and known_hosts, the identities ssh
would offer, the probe behind ``sshdeck test`` with its two engines (``probe`` for asyncssh,
``probe_openssh`` for the system ssh), the trace it records, the diagnosis and the ranking of
refusal causes, and the read-only inspection of a server."""
