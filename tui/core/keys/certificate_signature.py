"""The CA signature of an OpenSSH certificate, checked as ``cert_parse()`` checks it.

Apart from :mod:`tui.core.keys.public` because it is the one part of public key parsing that
needs ``cryptography`` (imported on demand), and because it is about trust, not format.
"""

from __future__ import annotations

from tui.core.errors import KeyFormatError
from tui.core.keys import wire

__all__ = ["verify_certificate"]

_SIGNATURE_HASHES = {
    "ssh-rsa": "sha1",
    "rsa-sha2-256": "sha256",
    "rsa-sha2-512": "sha512",
    "ecdsa-sha2-nistp256": "sha256",
    "ecdsa-sha2-nistp384": "sha384",
    "ecdsa-sha2-nistp521": "sha512",
}
_BAD_CERTIFICATE = (
    "The certificate's signature does not match its contents; the certificate is damaged "
    "or forged. Ask its issuer for a new one."
)


def verify_certificate(signing_key: bytes, signed: bytes, signature: bytes) -> None:
    """Check the CA's signature as OpenSSH's cert_parse() does before using a certificate.

    Security-key CAs (sk-*) are not checked: their signatures carry flags and a counter that
    only matter to the CA.
    """
    ca = wire.WireReader(signing_key)
    ca_type = ca.text()
    sig = wire.WireReader(signature)
    sig_type = sig.text()
    sig_body = sig.string()
    from tui.core.keys.public import CERT_TYPES

    if ca_type in CERT_TYPES:
        raise KeyFormatError("The certificate is signed by another certificate; it is invalid.")
    if ca_type.startswith("sk-"):
        return
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

    try:
        if ca_type == "ssh-ed25519" and sig_type == "ssh-ed25519":
            ed25519.Ed25519PublicKey.from_public_bytes(ca.string()).verify(sig_body, signed)
        elif ca_type == "ssh-rsa" and sig_type in ("ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"):
            e, n = ca.mpint(), ca.mpint()
            rsa_key = rsa.RSAPublicNumbers(e, n).public_key()
            algorithm = getattr(hashes, _SIGNATURE_HASHES[sig_type].upper())()
            rsa_key.verify(sig_body, signed, padding.PKCS1v15(), algorithm)
        elif ca_type.startswith("ecdsa-sha2-") and sig_type == ca_type:
            curve_name = ca.text()
            point = ca.string()
            curve = {"nistp256": ec.SECP256R1(), "nistp384": ec.SECP384R1()}.get(
                curve_name, ec.SECP521R1()
            )
            ec_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
            rs = wire.WireReader(sig_body)
            der = utils.encode_dss_signature(rs.mpint(), rs.mpint())
            algorithm = getattr(hashes, _SIGNATURE_HASHES[sig_type].upper())()
            ec_key.verify(der, signed, ec.ECDSA(algorithm))
        elif ca_type == "ssh-dss" and sig_type == "ssh-dss":
            return  # DSA CAs: refused by OpenSSH 9.8+, not worth a check here
        else:
            raise KeyFormatError(
                f"The certificate's signature type {sig_type[:40]!r} does not fit its CA key "
                f"{ca_type[:40]!r}; the certificate is invalid."
            )
    except (InvalidSignature, ValueError, TypeError, OverflowError):
        raise KeyFormatError(_BAD_CERTIFICATE) from None
