"""A certificate chain of the tests' own (a root CA and a signer it issued, ES256) and C2PA signing with it,
so the fakes can answer with signed audio as a service does when asked."""

from __future__ import annotations

import datetime
import functools
import io
import json


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ISSUER)]
    )


ISSUER = "padserver tests"
SIGNER = "fake elevenlabs signer"
GENERATOR = "fake elevenlabs"


def _usage(signs_certificates: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not signs_certificates, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=signs_certificates,
        crl_sign=signs_certificates, encipher_only=False, decipher_only=False,
    )  # fmt: skip


@functools.cache
def chain() -> tuple[bytes, bytes]:
    """(the signer's certificate then the root's, PEM; the signer's private key, PEM): minted once a process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.UTC)
    days = datetime.timedelta(days=1)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject, issuer, public, ca: bool):
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - days)
            .not_valid_after(now + 30 * days)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_usage(ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )

    root = certificate(_name("test root"), _name("test root"), root_key.public_key(), True).sign(
        root_key, hashes.SHA256()
    )
    leaf = (
        certificate(_name(SIGNER), root.subject, key.public_key(), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return leaf.public_bytes(pem) + root.public_bytes(pem), private


def sign(data: bytes, mime: str = "audio/mpeg", title: str = "loop.mp3") -> bytes:
    """``data`` with a C2PA manifest saying it was made by an algorithm, signed with the tests' chain."""
    import c2pa

    certificates, key = chain()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, certificates, key, None))
    made = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    manifest = {
        "claim_generator_info": [{"name": GENERATOR, "version": "1.0"}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": made}]}}
        ],
    }
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()
