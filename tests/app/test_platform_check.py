import subprocess
import sys

import pytest

from cc2d_app.logic import platform_check as pc

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffc5b3f2000)
\tlibQt6XcbQpa.so.6 => /opt/venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f1)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f0d0284b000)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f0d027f8000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibweird-vendor.so.7 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0d029ab000)
"""


def test_parse_ldd_missing_keeps_order_and_drops_repeats():
    assert pc.parse_ldd_missing(LDD_OUTPUT) == [
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
        "libweird-vendor.so.7",
    ]
    assert pc.parse_ldd_missing("\tlibGL.so.1 => /lib/libGL.so.1 (0x1)\n") == []


def test_sonames_map_to_debian_packages_unknown_kept():
    sonames = pc.parse_ldd_missing(LDD_OUTPUT)
    assert pc.packages_for(sonames) == [
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libweird-vendor.so.7",
    ]
    assert pc.packages_for(["libxkbcommon-x11.so.0", "libEGL.so.1", "libdbus-1.so.3"]) == [
        "libxkbcommon-x11-0",
        "libegl1",
        "libdbus-1-3",
    ]


def test_install_hint_is_one_apt_line():
    assert pc.install_hint(["libxcb-cursor0", "libxcb-icccm4"]) == (
        "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4"
    )


def test_gui_package_list_covers_every_mapping_once():
    assert set(pc.GUI_LINUX_PACKAGES) == set(pc.SONAME_PACKAGES.values())
    assert len(pc.GUI_LINUX_PACKAGES) == len(set(pc.GUI_LINUX_PACKAGES))
    assert "libxcb-cursor0" in pc.GUI_LINUX_PACKAGES


@pytest.fixture
def linux_x11(monkeypatch, tmp_path):
    """A Linux desktop whose xcb plugin ldd reports ``LDD_OUTPUT`` for."""
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    monkeypatch.setattr(pc, "xcb_libraries", lambda: [plugin])
    monkeypatch.setattr(pc.shutil, "which", lambda name: "/usr/bin/ldd")
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, stdout=LDD_OUTPUT, stderr="")

    monkeypatch.setattr(pc.subprocess, "run", fake_run)
    return calls


def test_missing_packages_from_ldd(linux_x11, tmp_path):
    assert pc.missing_linux_packages() == [
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libweird-vendor.so.7",
    ]
    assert linux_x11 == [["/usr/bin/ldd", str(tmp_path / "libqxcb.so")]]


def test_preflight_names_the_apt_line(linux_x11):
    message = pc.preflight()
    assert message is not None
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1\n" in message
    assert "libweird-vendor.so.7" in message
    assert "QT_QPA_PLATFORM=offscreen" in message


def test_preflight_fine_when_ldd_finds_everything(linux_x11, monkeypatch):
    monkeypatch.setattr(
        pc.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, "", "")
    )
    assert pc.missing_linux_packages() == []
    assert pc.preflight() is None


def test_no_ldd_means_no_verdict(linux_x11, monkeypatch):
    monkeypatch.setattr(pc.shutil, "which", lambda name: None)
    assert pc.missing_linux_packages() == []


@pytest.mark.parametrize("platform", ["offscreen", "wayland", "minimal", "vnc", "wayland;xcb"])
def test_preflight_skipped_for_other_platforms(linux_x11, monkeypatch, platform):
    monkeypatch.setenv("QT_QPA_PLATFORM", platform)
    monkeypatch.delenv("DISPLAY")
    assert pc.preflight() is None
    assert pc.missing_linux_packages() == []
    assert linux_x11 == []  # ldd never ran


def test_preflight_without_any_display(linux_x11, monkeypatch):
    monkeypatch.delenv("DISPLAY")
    message = pc.preflight()
    assert message == pc.NO_DISPLAY_MESSAGE
    assert "no display" in message and "QT_QPA_PLATFORM=offscreen" in message
    assert linux_x11 == []


def test_explicit_xcb_without_display_is_explained(linux_x11, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert pc.preflight() == pc.NO_DISPLAY_MESSAGE


def test_wayland_session_skips_the_xcb_check(linux_x11, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    assert pc.preflight() is None
    assert linux_x11 == []


def test_not_linux_is_not_checked(linux_x11, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.delenv("DISPLAY")
    assert pc.preflight() is None


def test_module_does_not_import_qt():
    code = (
        "import sys, cc2d_app.logic.platform_check as pc; pc.xcb_libraries(); "
        "print(any(m.startswith('PySide6.Qt') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
