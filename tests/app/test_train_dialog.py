"""The Train dialog: what was found, the choices, the estimate; driven by clicks."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

import cc2d_app.dialogs.train_dialog as train_dialog
from cc2d_app.controllers.training_worker import detect_gpu
from cc2d_app.dialogs.train_dialog import TrainChoice, TrainDialog, estimate_seconds


@pytest.mark.parametrize("profile", ["full", "clinic", "quick"])
@pytest.mark.parametrize("device", ["cuda", "cpu"])
def test_the_estimate_grows_with_the_images(profile, device):
    times = [estimate_seconds(profile, device, n) for n in (1, 10, 150, 1000)]
    assert times == sorted(times) and times[0] < times[-1]


def test_the_estimate_orders_devices_and_profiles():
    for n in (1, 150, 1000):
        assert estimate_seconds("full", "cuda", n) < estimate_seconds("clinic", "cuda", n)
        for profile in ("full", "clinic", "quick"):
            assert estimate_seconds(profile, "cuda", n) < estimate_seconds(profile, "cpu", n)
    # The README's measured figure: clinic ~11 min for 150 images on 2 CPU cores.
    assert 10 * 60 < estimate_seconds("clinic", "cpu", 150) < 12 * 60
    assert 14 * 60 < estimate_seconds("quick", "cpu", 150) < 17 * 60
    with pytest.raises(ValueError):
        estimate_seconds("tiny", "cpu", 10)


def _dialog(qtbot, gpu, monkeypatch, n_images=150):
    monkeypatch.setattr(train_dialog, "detect_gpu", lambda: gpu)
    dialog = TrainDialog(n_images, "ceph_001.png")
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def _texts(dialog):
    return " | ".join(label.text() for label in dialog.findChildren(QLabel))


def _click(qtbot, button):
    # Near the left edge: a radio reacts only on its dot and text, not its whole row.
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def test_without_cuda_the_gpu_is_off_and_clinic_is_the_default(qtbot, monkeypatch):
    dialog = _dialog(qtbot, None, monkeypatch)
    texts = _texts(dialog)
    assert "No CUDA GPU found: training runs on the CPU" in texts
    assert "150 images" in texts and "ceph_001.png" in texts
    assert not dialog.device_cuda.isEnabled()
    assert dialog.profile_clinic.isChecked() and dialog.device_auto.isChecked()
    assert "Estimated time on the CPU: about 11 min" in texts

    _click(qtbot, dialog.device_cuda)           # disabled: nothing changes
    assert dialog.device_auto.isChecked()
    _click(qtbot, dialog.profile_full)
    assert "Estimated time on the CPU: about 3 min" in _texts(dialog)
    _click(qtbot, dialog.device_cpu)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.choice() == TrainChoice("cpu", "full")
    assert dialog.choice().settings().profile == "full"


def test_with_cuda_the_full_profile_on_the_gpu_is_the_default(qtbot, monkeypatch):
    dialog = _dialog(qtbot, "NVIDIA H200, 139 GiB", monkeypatch)
    assert "GPU found: NVIDIA H200, 139 GiB" in _texts(dialog)
    assert dialog.device_cuda.isEnabled() and dialog.profile_full.isChecked()
    assert "Estimated time on the GPU: about 2 min" in _texts(dialog)
    _click(qtbot, dialog.device_cuda)
    _click(qtbot, dialog.profile_clinic)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.choice() == TrainChoice("cuda", "clinic")


def test_cancel_rejects(qtbot, monkeypatch):
    dialog = _dialog(qtbot, None, monkeypatch)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)


def test_detect_gpu_names_the_gpu_and_its_memory(monkeypatch):
    import torch

    class Props:
        name = "NVIDIA H200"
        total_memory = 139 * 2**30

    detect_gpu.cache_clear()
    try:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: Props())
        assert detect_gpu() == "NVIDIA H200, 139 GiB"
        detect_gpu.cache_clear()
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        assert detect_gpu() is None
    finally:
        detect_gpu.cache_clear()
