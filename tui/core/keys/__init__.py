"""Keys: parse, load and fingerprint (``public``, ``private``, ``fingerprint``,
``openssh_format``, ``keygen_listing``), generate and change pairs all-or-nothing (``generate``,
``pairwrite``, ``rsa_search``, ``service``), find them on disk (``scan``), the trash, the agent, and
passphrase strength. Nothing here opens a network connection."""
