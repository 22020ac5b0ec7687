"""Start and stop the test provider (serve.py) for a test: a free loopback port, its own SQLite file, an RSA
key made here."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CLIENT_SECRET = "client-secret-for-tests-only"
PASSWORD = "provider-pw-for-tests-only"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_provider(folder: Path, *, redirect_uri: str, post_logout_uri: str):
    """Yields the running provider's issuer URL."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "provider-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "OIDC_PROVIDER_PORT": str(port),
        "OIDC_PROVIDER_DB": str(folder / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY_FILE": str(key_file),
        "OIDC_PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_REDIRECT_URI": redirect_uri,
        "OIDC_PROVIDER_POST_LOGOUT_URI": post_logout_uri,
    }
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
    )
    issuer = f"http://127.0.0.1:{port}/o"
    try:
        for _ in range(120):
            if process.poll() is not None:
                break
            try:
                if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.25)
        else:
            raise RuntimeError("the test provider did not answer within 30 s")
        if process.poll() is not None:
            raise RuntimeError("the test provider exited:\n" + (folder / "provider.log").read_text())
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
