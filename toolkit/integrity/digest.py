"""CloudTrail digest files: the one place for AWS's signing and verification algorithm.

AWS documents it in "Validating CloudTrail log file integrity with custom implementations"
(and the AWS CLI's ``validate-logs`` implements it):

- a digest file (gzip JSON) lists the log files delivered in one hour, each with the hex
  SHA-256 of its *uncompressed* content, plus the previous digest's object, hash and signature;
- the digest is signed with RSA PKCS#1 v1.5 over SHA-256 of the *string to sign*::

      digestEndTime + "\\n" + digestS3Bucket + "/" + digestS3Object + "\\n"
      + hex(SHA-256(uncompressed digest file)) + "\\n" + previousDigestSignature

  where a missing previous signature (first digest of a chain) is the literal ``null``;
- the hex signature lives in the digest object's S3 user metadata (``x-amz-meta-signature``,
  ``x-amz-meta-signature-algorithm``), not in the file;
- public keys come from ``aws cloudtrail list-public-keys``: ``Value`` is base64 DER of a
  PKCS#1 RSA public key, ``Fingerprint`` identifies it in ``digestPublicKeyFingerprint``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import math
import random
from typing import Any

SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
# Keys every digest must carry before it can be validated (as the AWS CLI requires).
REQUIRED_DIGEST_KEYS = (
    "digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object",
    "previousDigestSignature", "digestEndTime", "digestStartTime",
)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 (log files and digests are hashed uncompressed)."""
    return hashlib.sha256(data).hexdigest()


def string_to_sign(digest: dict[str, Any], inflated_digest: bytes) -> bytes:
    """AWS's documented data-signing string for a digest file."""
    previous = digest.get("previousDigestSignature")
    if previous is None:
        previous = "null"  # matches AWS's Java implementation and the AWS CLI
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{sha256_hex(inflated_digest)}\n{previous}"
    ).encode()


def sign(digest: dict[str, Any], inflated_digest: bytes, private_key) -> str:
    """Hex RSA-SHA256 (PKCS#1 v1.5) signature of a digest, as CloudTrail stores it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = private_key.sign(string_to_sign(digest, inflated_digest),
                                 padding.PKCS1v15(), hashes.SHA256())
    return signature.hex()


def signature_is_valid(digest: dict[str, Any], inflated_digest: bytes, signature_hex: str,
                       public_key) -> bool:
    """True when ``signature_hex`` is a valid signature of this digest under ``public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        signature = binascii.unhexlify(signature_hex)
        public_key.verify(signature, string_to_sign(digest, inflated_digest),
                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


# --- keys -------------------------------------------------------------------------------------

def public_key_der(public_key) -> bytes:
    """PKCS#1 DER of an RSA public key (the form CloudTrail publishes)."""
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def fingerprint(public_key) -> str:
    """Hex fingerprint of a public key: MD5 of its PKCS#1 DER (32 hex chars like AWS's)."""
    return hashlib.md5(public_key_der(public_key), usedforsecurity=False).hexdigest()


def public_key_entry(public_key, valid_from: str, valid_to: str) -> dict[str, str]:
    """One ``PublicKeyList`` item as ``aws cloudtrail list-public-keys`` prints it."""
    return {
        "Value": base64.b64encode(public_key_der(public_key)).decode(),
        "ValidityStartTime": valid_from,
        "ValidityEndTime": valid_to,
        "Fingerprint": fingerprint(public_key),
    }


def load_public_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Fingerprint -> RSA public key from ``list-public-keys`` output (a dict)."""
    from cryptography.hazmat.primitives import serialization

    if not isinstance(document, dict) or not isinstance(document.get("PublicKeyList"), list):
        raise ValueError("public keys must be `aws cloudtrail list-public-keys` output "
                         "with a PublicKeyList array")
    keys = {}
    for item in document["PublicKeyList"]:
        try:
            der = base64.b64decode(item["Value"])
        except (KeyError, binascii.Error, TypeError) as exc:
            raise ValueError(f"public key entry without a base64 Value: {exc}") from None
        try:
            key = serialization.load_der_public_key(der)
        except ValueError:
            key = _load_pkcs1_der(der)
        keys[item.get("Fingerprint") or fingerprint(key)] = key
    return keys


def _load_pkcs1_der(der: bytes):
    """Load a PKCS#1 RSAPublicKey DER (cryptography's DER loader wants SubjectPublicKeyInfo)."""
    from cryptography.hazmat.primitives import serialization

    pem = (b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der)
           + b"-----END RSA PUBLIC KEY-----\n")
    try:
        return serialization.load_pem_public_key(pem)
    except ValueError:
        raise ValueError("public key Value is neither PKCS#1 nor SubjectPublicKeyInfo DER") from None


@functools.lru_cache(maxsize=8)
def deterministic_rsa_key(seed: str, bits: int = 2048):
    """An RSA private key derived from ``seed`` (sample data only: same seed, same key).

    ``cryptography`` cannot generate keys from a seed, and the sample's digest files embed
    signatures, so byte-identical output for a seed needs a reproducible key.
    """
    from cryptography.hazmat.primitives.asymmetric import rsa

    rng = random.Random(f"trailwatch-digest-key:{seed}")
    e = 65537
    while True:
        p, q = _prime(rng, bits // 2), _prime(rng, bits // 2)
        if p != q and (p - 1) % e and (q - 1) % e:
            break
    n, phi = p * q, (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(
        p=p, q=q, d=d, dmp1=d % (p - 1), dmq1=d % (q - 1), iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(e, n))
    return numbers.private_key()


@functools.cache
def _sieve_product(limit: int = 1 << 16) -> int:
    """Product of the odd primes below ``limit``: one gcd sieves a candidate."""
    flags = bytearray([1]) * limit
    flags[:2] = b"\x00\x00"
    for n in range(2, int(limit ** 0.5) + 1):
        if flags[n]:
            flags[n * n::n] = bytes(len(range(n * n, limit, n)))
    return math.prod(n for n in range(3, limit, 2) if flags[n])


_MR_ROUNDS = 5  # enough for random 1024-bit candidates (FIPS 186-4, table C.2)


def _prime(rng: random.Random, bits: int) -> int:
    """A probable prime of exactly ``bits`` bits drawn from ``rng`` (sieve, then Miller-Rabin)."""
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if math.gcd(candidate, _sieve_product()) == 1 and _miller_rabin(candidate, rng, _MR_ROUNDS):
            return candidate


def _miller_rabin(n: int, rng: random.Random, rounds: int) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True
