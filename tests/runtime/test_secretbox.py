"""SecretBox: sealed secrets open only with their key; the key file is private and stable."""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from runtime.secretbox import KEY_FILE_NAME, SecretBox, SecretBoxError
from runtime.settings import Settings


def test_seal_and_open_round_trip_with_a_configured_key(tmp_path: Path) -> None:
    settings = Settings(secret_key=Fernet.generate_key().decode(), data_dir=tmp_path)
    box = SecretBox.from_settings(settings)
    sealed = box.seal("app-token-ü")
    assert b"app-token" not in sealed
    assert box.open(sealed) == "app-token-ü"
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_a_value_sealed_under_another_key_is_refused_clearly() -> None:
    sealed = SecretBox(Fernet.generate_key()).seal("token")
    with pytest.raises(SecretBoxError, match="another key") as raised:
        SecretBox(Fernet.generate_key()).open(sealed)
    assert "token" not in str(raised.value)


def test_a_corrupted_value_is_refused() -> None:
    box = SecretBox(Fernet.generate_key())
    sealed = bytearray(box.seal("token"))
    sealed[-5] ^= 1
    with pytest.raises(SecretBoxError, match="corrupted"):
        box.open(bytes(sealed))


def test_malformed_configured_key_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be a Fernet key"):
        Settings(secret_key="not-a-fernet-key", data_dir=tmp_path)
    with pytest.raises(SecretBoxError, match="malformed"):
        SecretBox(b"short")


def test_without_a_setting_the_key_file_is_made_once_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    sealed = SecretBox.from_settings(settings).seal("token")
    key_file = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert SecretBox.from_settings(settings).open(sealed) == "token"
    assert list((tmp_path / "data").iterdir()) == [key_file]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    boxes: list[SecretBox] = []
    threads = [
        threading.Thread(target=lambda: boxes.append(SecretBox.from_settings(settings)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sealed = boxes[0].seal("token")
    assert {box.open(sealed) for box in boxes} == {"token"}


def test_the_key_never_shows_in_reprs_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = Fernet.generate_key().decode()
    caplog.set_level(logging.DEBUG)
    settings = Settings(secret_key=key, data_dir=tmp_path)
    box = SecretBox.from_settings(settings)
    box.open(box.seal("token"))
    assert key not in repr(settings) + repr(box) + caplog.text
