"""Self-signed TLS for ``--tls``: a throw-away CA and a server certificate for 127.0.0.1/localhost.

Clients under test must be able to verify the server (``ca_file``/``verify`` options), so the CA is
written to a temp dir whose path the CLI prints; EC P-256 keys keep start-up fast.
"""

import dataclasses
import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass
class TlsFiles:
    """Where the generated PEM files live; :meth:`cleanup` removes them."""

    directory: str
    ca_file: str
    cert_file: str
    key_file: str

    def server_context(self):
        """An SSLContext serving the generated certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def cleanup(self):
        """Delete the temp dir."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CCKM emulator"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def generate(directory=None):
    """Create CA + server certificate (SAN IP 127.0.0.1, DNS localhost) and write them as PEM files."""
    directory = directory or tempfile.mkdtemp(prefix="cckm-emulator-tls-")
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    end = start + datetime.timedelta(days=30)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("CCKM emulator test CA")).issuer_name(_name("CCKM emulator test CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(ca_ski, critical=False)
               .sign(ca_key, hashes.SHA256()))
    server_cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
                   .public_key(server_key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                                  critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(directory, os.path.join(directory, "ca.pem"), os.path.join(directory, "server.pem"), os.path.join(directory, "server-key.pem"))
    _write(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(files.cert_file, server_cert.public_bytes(serialization.Encoding.PEM))
    _write(files.key_file, server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return files
