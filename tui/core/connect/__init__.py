"""Connections, one job per module.

The probe behind ``sshdeck test`` and the tester screen is :class:`service.ProbeService`: two
engines behind one interface (:mod:`engine`: ``asyncssh`` in :mod:`engine_asyncssh`, the system
``ssh -vvv`` in :mod:`probe_openssh` with :mod:`openssh_call` and :mod:`openssh_reader`),
selected by name in :mod:`probe`, both ending in the frozen :class:`result.ProbeResult` and
saying the same sentences (:mod:`session_outcomes`, :mod:`diagnosis`, :mod:`refusal`). Below
them: the target and options (:mod:`options`), ssh_config (:mod:`ssh_config`), known_hosts and
the host key check (:mod:`known_hosts`, :mod:`host_key_check`), the keys ssh would offer
(:mod:`identities`, :mod:`key_offer`, :mod:`certificate_local`), the asyncssh login
(:mod:`client`, :mod:`auth_client`, :mod:`ssh_log`, :mod:`negotiation`), the trace it records
(:mod:`trace`), the read-only inspection of a server (:mod:`inspect_server`,
:mod:`inspect_verdict`), what a server shows of itself (:mod:`power_os`), and the one place
asyncssh's private API is used (:mod:`asyncssh_private`).
"""
