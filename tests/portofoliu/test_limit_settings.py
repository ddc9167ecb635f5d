"""The limit settings: defaults, and one line naming the variable when a value is wrong."""

import pytest

from portofoliu.settings import SettingsError, load_settings


def load(tmp_path, **env):
    return load_settings(env, key_file=tmp_path / "key")


def test_limit_defaults_trust_no_proxy(tmp_path):
    s = load(tmp_path)
    assert s.trusted_proxies == ()
    assert (s.invitation_emails_per_recipient_day, s.invitation_emails_per_firm_day, s.signups_per_address_hour) == (10, 3000, 20)
    assert (s.registry_cache_seconds, s.registry_lookups_per_user_minute) == (24 * 3600, 20)


def test_trusted_proxies_are_addresses_or_networks(tmp_path):
    assert load(tmp_path, TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1,::1").trusted_proxies == ("10.0.0.0/8", "127.0.0.1", "::1")


@pytest.mark.parametrize("env,name", [
    ({"TRUSTED_PROXIES": "proxy.local"}, "TRUSTED_PROXIES"),
    ({"INVITATION_EMAILS_PER_RECIPIENT_DAY": "0"}, "INVITATION_EMAILS_PER_RECIPIENT_DAY"),
    ({"INVITATION_EMAILS_PER_FIRM_DAY": "many"}, "INVITATION_EMAILS_PER_FIRM_DAY"),
    ({"SIGNUPS_PER_ADDRESS_HOUR": "-1"}, "SIGNUPS_PER_ADDRESS_HOUR"),
    ({"REGISTRY_CACHE_SECONDS": "a day"}, "REGISTRY_CACHE_SECONDS"),
    ({"REGISTRY_LOOKUPS_PER_USER_MINUTE": "0"}, "REGISTRY_LOOKUPS_PER_USER_MINUTE"),
])
def test_bad_limit_values_name_the_variable(tmp_path, env, name):
    with pytest.raises(SettingsError) as err:
        load(tmp_path, **env)
    assert name in str(err.value)
