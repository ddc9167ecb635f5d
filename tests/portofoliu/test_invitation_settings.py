"""INVITATION_REMINDER_DAYS and INVITATION_TTL_SECONDS are read and checked at start-up."""

import pytest

from portofoliu.settings import SettingsError, load_settings


def test_reminder_days(tmp_path):
    key = tmp_path / "key"
    assert load_settings({}, key_file=key).invitation_reminder_days == (7, 13)
    assert load_settings({"INVITATION_REMINDER_DAYS": "13, 3.5"}, key_file=key).invitation_reminder_days == (3.5, 13)
    for bad in ("seven", "0,7"):
        with pytest.raises(SettingsError, match="INVITATION_REMINDER_DAYS"):
            load_settings({"INVITATION_REMINDER_DAYS": bad}, key_file=key)
    with pytest.raises(SettingsError, match="INVITATION_TTL_SECONDS must be at least 60"):
        load_settings({"INVITATION_TTL_SECONDS": "5"}, key_file=key)
