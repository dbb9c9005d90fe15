"""Fingerprints and randomart, byte for byte against ssh-keygen -l -v [-E md5]."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ssh_keygen
from tests.keyfactory import KEY_SPECS, keygen, sign_certificate, sk_public_lines
from tui.cli.keys import fingerprint_lines
from tui.core.keys.public import parse_public_key, read_public_key_file


@pytest.fixture(scope="module")
def oracle_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One key per type/size, plus a certificate of each and hand-built sk keys with certs."""
    d = tmp_path_factory.mktemp("oracle")
    keys: dict[str, Path] = {}
    ca = keygen(d / "ca", "ed25519")
    for key_type, bits in KEY_SPECS:
        name = f"{key_type}{bits or ''}"
        keys[name] = keygen(d / name, key_type, bits, comment=f"{name}@oracle")
        keys[name + "-cert"] = sign_certificate(ca, d / f"{name}.pub")
    for name, line in sk_public_lines().items():
        pub = d / f"{name}.pub"
        pub.write_text(line + "\n")
        keys[name] = pub
        keys[name + "-cert"] = sign_certificate(ca, pub)
    return keys


def _files(keys: dict[str, Path], name: str) -> list[Path]:
    path = keys[name]
    if path.suffix == ".pub":
        return [path]
    return [path, path.with_name(path.name + ".pub")]


ALL_NAMES = [f"{t}{b or ''}" for t, b in KEY_SPECS] + ["sk-ed25519", "sk-ecdsa"]


@pytest.mark.parametrize("name", ALL_NAMES + [n + "-cert" for n in ALL_NAMES])
@pytest.mark.parametrize("hash_name", ["sha256", "md5"])
def test_fingerprint_and_randomart_match_ssh_keygen(
    oracle_keys: dict[str, Path], name: str, hash_name: str
) -> None:
    for path in _files(oracle_keys, name):
        expected = ssh_keygen("-l", "-v", "-E", hash_name, "-f", str(path))
        assert expected.returncode == 0, expected.stderr
        ours = "\n".join(fingerprint_lines(path, hash_name, visual=True)) + "\n"
        assert ours == expected.stdout


def test_certificate_shares_fingerprint_with_its_key(oracle_keys: dict[str, Path]) -> None:
    key = read_public_key_file(oracle_keys["ed25519"].with_name("ed25519.pub"))
    cert = read_public_key_file(oracle_keys["ed25519-cert"])
    assert cert.is_certificate and cert.key_type == "ssh-ed25519-cert-v01@openssh.com"
    assert cert.sha256 == key.sha256
    assert cert.certificate is not None
    assert cert.certificate.principals == ("alice", "bob")
    assert cert.certificate.key_id == "test-id"
    assert cert.label == "ED25519-CERT"


def test_rsa_bits_come_from_the_modulus(oracle_keys: dict[str, Path]) -> None:
    expected_bits = int(ssh_keygen("-l", "-f", str(oracle_keys["rsa3333"])).stdout.split()[0])
    assert (
        read_public_key_file(oracle_keys["rsa3333"].with_name("rsa3333.pub")).bits == expected_bits
    )


def test_rfc4716_and_pem_public_keys_have_the_same_fingerprint(
    oracle_keys: dict[str, Path],
) -> None:
    for name in ("ed25519", "rsa2048", "ecdsa384"):
        pub = oracle_keys[name].with_name(name + ".pub")
        reference = read_public_key_file(pub)
        rfc = ssh_keygen("-e", "-f", str(pub)).stdout
        assert parse_public_key(rfc).sha256 == reference.sha256
        if name != "ed25519":  # ssh-keygen exports PEM only for RSA/ECDSA/DSA
            pem = ssh_keygen("-e", "-m", "PKCS8", "-f", str(pub)).stdout
            assert parse_public_key(pem).sha256 == reference.sha256


def test_authorized_keys_file_prints_one_line_per_key(
    tmp_path: Path, oracle_keys: dict[str, Path]
) -> None:
    ed = oracle_keys["ed25519"].with_name("ed25519.pub").read_text().split()
    rsa = oracle_keys["rsa2048"].with_name("rsa2048.pub").read_text().strip()
    ak = tmp_path / "authorized_keys"
    ak.write_text(
        f'from="10.0.0.1",no-pty {ed[0]} {ed[1]}\n# comment line\n\n{rsa}\n'
        f'command="echo \\"hi there\\"" {ed[0]} {ed[1]} with comment\nnot a key at all\n'
    )
    for hash_name in ("sha256", "md5"):
        expected = ssh_keygen("-l", "-E", hash_name, "-f", str(ak)).stdout
        assert "\n".join(fingerprint_lines(ak, hash_name, visual=False)) + "\n" == expected
