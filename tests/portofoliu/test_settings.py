"""Settings are checked at start-up; each problem is one line naming the variable."""

import subprocess
import sys

import pytest

from portofoliu.settings import SettingsError, load_settings


def load(tmp_path, **env):
    return load_settings(env, key_file=tmp_path / "key")


def test_defaults_are_the_embedded_setup(tmp_path):
    s = load(tmp_path)
    assert s.database_url.startswith("sqlite://") and s.broadcast_url == "memory://" and s.smtp_url is None
    assert s.anaf_mode == "sandbox" and s.invitation_ttl_seconds == 15 * 24 * 3600 and s.jobs_enabled
    assert s.redirect_uri == "http://localhost:8000/anaf/oauth/callback"


def test_how_recent_a_rights_check_is_trusted(tmp_path):
    assert load(tmp_path).rights_verified_fresh_hours == 6
    assert load(tmp_path, RIGHTS_VERIFIED_FRESH_HOURS="0.5").rights_verified_fresh_hours == 0.5


def test_the_mounted_sandbox_keeps_its_state_beside_the_database(tmp_path):
    from portofoliu.app import sandbox_state_path

    s = load(tmp_path, DATABASE_URL=f"sqlite://{tmp_path}/portofoliu.sqlite3")
    assert sandbox_state_path(s) == f"{tmp_path}/portofoliu.anaf-sandbox.sqlite3"
    pg = [sandbox_state_path(load(tmp_path, DATABASE_URL=f"postgres://db/{name}")) for name in ("a", "a", "b")]
    assert pg[0] == pg[1] != pg[2]


def test_secret_key_generated_once_and_reused(tmp_path):
    first = load(tmp_path).secret_keys
    assert load(tmp_path).secret_keys == first
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0


def test_secret_key_rotation_list(tmp_path):
    s = load(tmp_path, SECRET_KEY="k2:new-secret-0123456789,k1:old-secret-0123456789")
    assert [k for k, _ in s.secret_keys] == ["k2", "k1"] and s.current_key[0] == "k2"


@pytest.mark.parametrize("env,names", [
    ({"ANAF_MODE": "production"}, "ANAF_CLIENT_ID"),
    ({"ANAF_MODE": "production", "ANAF_CLIENT_ID": "a", "ANAF_CLIENT_SECRET": "b", "ANAF_REDIRECT_URI": "http://x/cb"}, "ANAF_REDIRECT_URI"),
    ({"ANAF_MODE": "live"}, "ANAF_MODE"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
    ({"BROADCAST_URL": "kafka://x"}, "BROADCAST_URL"),
    ({"SMTP_URL": "http://mail"}, "SMTP_URL"),
    ({"INVITATION_TTL_SECONDS": "soon"}, "INVITATION_TTL_SECONDS"),
    ({"INVITATION_TTL_SECONDS": "5"}, "INVITATION_TTL_SECONDS"),
    ({"JOBS_ENABLED": "maybe"}, "JOBS_ENABLED"),
    ({"DATABASE_POOL_MAX": "0"}, "DATABASE_POOL_MAX"),
    ({"ALLOWED_ORIGINS": "ftp://x"}, "ALLOWED_ORIGINS"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"RIGHTS_VERIFIED_FRESH_HOURS": "later"}, "RIGHTS_VERIFIED_FRESH_HOURS"),
    ({"RIGHTS_VERIFIED_FRESH_HOURS": "-1"}, "RIGHTS_VERIFIED_FRESH_HOURS"),
])
def test_wrong_values_name_the_variable(tmp_path, env, names):
    with pytest.raises(SettingsError) as err:
        load(tmp_path, **env)
    assert str(err.value).startswith(names) and "\n" not in str(err.value)


def test_production_needs_its_hosts(tmp_path):
    from anaf.sandbox.ca import ca_certificate_path

    s = load(tmp_path, ANAF_MODE="production", ANAF_CLIENT_ID="id", ANAF_CLIENT_SECRET="secret",
             ANAF_REDIRECT_URI="https://portofoliu.example/anaf/oauth/callback", SECRET_KEY="k1:" + "0123456789abcdef" * 4,
             AGENT_TRUSTED_CA_FILE=str(ca_certificate_path()))
    assert s.anaf_registry_url.startswith("https://webservicesp.anaf.ro/")
    assert s.anaf_oauth_url == "https://logincert.anaf.ro/anaf-oauth2/v1"


def test_cli_stops_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "portofoliu", "migrate", "--check"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "ANAF_MODE": "production", "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])}, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "configuration error: ANAF_CLIENT_ID is required when ANAF_MODE=production (from the application registered at ANAF)"
