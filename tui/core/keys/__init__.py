"""Keys: parse, load and fingerprint (``public``, ``certificate_signature``, ``private``,
``fingerprint``, ``openssh_format``, ``keygen_listing``), generate and change pairs
all-or-nothing (``generate``, ``pairwrite``; RSA through ``rsa_search``, the one child-process
search), find them on disk (``scan``), the trash, the agent, and passphrase strength. The flows
the app and the CLI run are ``service.KeyService`` (generation: ``generation.Generation``).
Nothing here opens a network connection."""
