"""A secured cluster: HTTPS verified with the sink's 'ca-file', and basic auth
or an API key from secret(), end to end from the REAL Kafka to the REAL
OpenSearch of tools/services/, through tools/faultproxy/ listening with TLS
and refusing (401 security_exception, not forwarded) any request without the
expected Authorization header, as OpenSearch's security plugin does.

The certificates are made here with the `openssl` command (a fresh CA and a
server certificate for 127.0.0.1); the credentials reach pipec only through
environment variables named by secret().
"""

import base64
import subprocess

import pytest

from pipeline_e2e import FaultProxy, all_ids, count, killed_on_exit, pipe_text, produce, run_until_indexed, start

N = 2000
USER, PASSWORD = "pipec-writer", "s3cret-Pa55"
API_KEY_ID, API_KEY = "VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw"


def openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True)
    assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"


def make_ca(d, name):
    key, cert = d / f"{name}.key", d / f"{name}.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", str(key), "-out", str(cert))
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate it signed for 127.0.0.1, and an unrelated CA."""
    d = tmp_path_factory.mktemp("pki")
    ca, ca_key = make_ca(d, "test-ca")
    other_ca, _ = make_ca(d, "other-ca")
    key, csr, cert, ext = d / "server.key", d / "server.csr", d / "server.pem", d / "server.ext"
    ext.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-days", "2",
            "-extfile", str(ext), "-out", str(cert))
    return {"ca": ca, "other_ca": other_ca, "cert": cert, "key": key}


def secured_pipe(tmp_path, names, proxy, auth, ca):
    """The e2e pipeline writing to `proxy` over HTTPS; `auth`: sink option
    text (values from secret())."""
    text = pipe_text(names, tmp_path / "dlq.ndjson", hosts=proxy.url)
    text = text.replace("'bulk.flush-interval' = '200ms'",
                        f"'bulk.flush-interval' = '200ms',\n  'ca-file' = '{ca}',\n  {auth}")
    pipe = tmp_path / "secured.pipe"
    pipe.write_text(text)
    return pipe


BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
APIKEY = "ApiKey " + base64.b64encode(f"{API_KEY_ID}:{API_KEY}".encode()).decode()
USE_BASIC = f"username = '{USER}',\n  password = secret('PIPEC_TEST_ES_PASSWORD')"
USE_APIKEY = "'api-key' = secret('PIPEC_TEST_ES_API_KEY')"


@pytest.mark.parametrize("auth", ["basic", "api-key"])
def test_https_with_ca_file_and_credentials_from_secrets(tmp_path, es, names, pki, monkeypatch, auth):
    monkeypatch.setenv("PIPEC_TEST_ES_PASSWORD", PASSWORD)
    monkeypatch.setenv("PIPEC_TEST_ES_API_KEY", f"{API_KEY_ID}:{API_KEY}")
    produce(names["topic"], N)
    proxy = FaultProxy({}, tls=(pki["cert"], pki["key"], pki["ca"]), require_auth=[BASIC if auth == "basic" else APIKEY])
    try:
        pipe = secured_pipe(tmp_path, names, proxy, USE_BASIC if auth == "basic" else USE_APIKEY, pki["ca"])
        log, _ = run_until_indexed(es, names, pipe, tmp_path, N)
        st = proxy.stats()
    finally:
        proxy.close()
    assert all_ids(es, names["index"]) == set(range(N))
    assert count(es, names["index"]) == N
    # Everything went through the proxy with the credentials: index preparation and every bulk request.
    assert st["auth_refused"] == 0, st
    assert st["bulk_requests"] >= 1 and st["auth_accepted"] >= st["bulk_requests"] + 1, st
    text = log.read_text()
    assert PASSWORD not in text and API_KEY not in text, "a secret reached the log"


def refused_run(tmp_path, names, pki, ca):
    """`pipec run` against the TLS proxy requiring BASIC, trusting `ca`,
    until it exits: (exit code, log, proxy stats)."""
    produce(names["topic"], 10)
    proxy = FaultProxy({}, tls=(pki["cert"], pki["key"], pki["ca"]), require_auth=[BASIC])
    try:
        pipe = secured_pipe(tmp_path, names, proxy, USE_BASIC, ca)
        log_path = tmp_path / "run.log"
        with killed_on_exit(start(pipe, open(log_path, "w"))) as proc:
            rc = proc.wait(timeout=60)
        st = proxy.stats()
    finally:
        proxy.close()
    log = log_path.read_text()
    assert rc == 2, f"exit {rc}; log:\n{log}"
    return log, st


def test_a_certificate_from_another_ca_is_refused_with_a_clear_error(tmp_path, es, names, pki, monkeypatch):
    monkeypatch.setenv("PIPEC_TEST_ES_PASSWORD", PASSWORD)
    log, st = refused_run(tmp_path, names, pki, pki["other_ca"])
    print("\nanother CA:", next(l for l in log.splitlines() if "error:" in l).strip())
    assert "cannot prepare index" in log and "certificate" in log.lower() and "ca-file" in log, log
    assert st["requests"] == 0, st  # nothing was sent over the unverified connection
    assert not es.indices.exists(index=names["index"])


def test_wrong_credentials_are_refused_with_the_clusters_error(tmp_path, es, names, pki, monkeypatch):
    monkeypatch.setenv("PIPEC_TEST_ES_PASSWORD", "not-the-password")
    log, st = refused_run(tmp_path, names, pki, pki["ca"])
    print("\nwrong password:", next(l for l in log.splitlines() if "error:" in l).strip())
    assert "cannot prepare index" in log and "401" in log and "security_exception" in log, log
    assert st["auth_refused"] >= 1 and st["auth_accepted"] == 0, st
    assert "not-the-password" not in log
    assert not es.indices.exists(index=names["index"])
