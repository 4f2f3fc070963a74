from __future__ import annotations

import shutil
import subprocess

import pytest

from chirp.infra.provision.local.vcl import EdgeConfig, render_vcl

CONFIG = EdgeConfig("127.0.0.1", 18080, "127.0.0.1", 18333, "chirp-media")


def test_the_vcl_routes_media_to_the_bucket_and_the_rest_to_haproxy():
    vcl = render_vcl(CONFIG)
    assert '.port = "18080"' in vcl and '.port = "18333"' in vcl
    assert '"/chirp-media/"' in vcl
    assert "client.ip !~ purgers" in vcl
    assert 'req.url ~ "^/api/v1/(feed|notifications)"' in vcl


@pytest.mark.skipif(shutil.which("varnishd") is None, reason="varnishd is not installed")
def test_varnish_compiles_it(tmp_path):
    vcl = tmp_path / "edge.vcl"
    vcl.write_text(render_vcl(CONFIG))
    result = subprocess.run(
        ["varnishd", "-C", "-j", "none", "-f", str(vcl), "-n", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
